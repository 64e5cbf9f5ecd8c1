// Minimal hand-written SVG: a reliability diagram and an equity curve.
import type { CalibrationBin } from './forecast-metrics.js';

const W = 480;
const H = 360;
const PAD = 48;
const esc = (s: string): string => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
const sx = (x: number): number => PAD + x * (W - 2 * PAD);
const sy = (y: number): number => H - PAD - y * (H - 2 * PAD);

function frame(title: string, xLabel: string, yLabel: string, body: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    `<line x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}" stroke="black"/>`,
    `<line x1="${PAD}" y1="${PAD}" x2="${PAD}" y2="${H - PAD}" stroke="black"/>`,
    `<text x="${W / 2}" y="${H - 10}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="14" y="${H / 2}" text-anchor="middle" transform="rotate(-90 14 ${H / 2})">${esc(yLabel)}</text>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}

export function calibrationSvg(title: string, series: readonly { name: string; color: string; bins: readonly CalibrationBin[] }[]): string {
  const parts = [`<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}" stroke="#999" stroke-dasharray="4 4"/>`];
  for (const t of [0, 0.5, 1]) {
    parts.push(`<text x="${sx(t)}" y="${H - PAD + 14}" text-anchor="middle">${t}</text>`, `<text x="${PAD - 6}" y="${sy(t) + 4}" text-anchor="end">${t}</text>`);
  }
  series.forEach((s, k) => {
    const pts = s.bins.filter((b) => b.n > 0).map((b) => `${sx(b.meanP).toFixed(1)},${sy(b.freq).toFixed(1)}`);
    parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const p of pts) {
      const [x, y] = p.split(',');
      parts.push(`<circle cx="${x}" cy="${y}" r="3" fill="${s.color}"/>`);
    }
    parts.push(`<text x="${PAD + 8}" y="${PAD + 14 * (k + 1)}" fill="${s.color}">${esc(s.name)}</text>`);
  });
  return frame(title, 'forecast probability', 'observed frequency', parts.join('\n'));
}

export function equitySvg(title: string, equity: readonly { ts: number; pnl: number }[]): string {
  if (equity.length === 0) return frame(title, 'resolution time', 'cumulative PnL (USD)', `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no trades</text>`);
  const t0 = equity[0]!.ts;
  const t1 = Math.max(equity[equity.length - 1]!.ts, t0 + 1);
  const lo = Math.min(0, ...equity.map((e) => e.pnl));
  const hi = Math.max(0, ...equity.map((e) => e.pnl));
  const span = hi - lo || 1;
  const x = (t: number): number => sx((t - t0) / (t1 - t0));
  const y = (v: number): number => sy((v - lo) / span);
  const pts = equity.map((e) => `${x(e.ts).toFixed(1)},${y(e.pnl).toFixed(1)}`).join(' ');
  const body = [
    `<line x1="${PAD}" y1="${y(0)}" x2="${W - PAD}" y2="${y(0)}" stroke="#999" stroke-dasharray="4 4"/>`,
    `<polyline points="${x(t0)},${y(0)} ${pts}" fill="none" stroke="#1f77b4" stroke-width="2"/>`,
    `<text x="${PAD - 6}" y="${y(hi) + 4}" text-anchor="end">${hi.toFixed(0)}</text>`,
    `<text x="${PAD - 6}" y="${y(lo) + 4}" text-anchor="end">${lo.toFixed(0)}</text>`,
    `<text x="${sx(0)}" y="${H - PAD + 14}">${new Date(t0).toISOString().slice(0, 10)}</text>`,
    `<text x="${sx(1)}" y="${H - PAD + 14}" text-anchor="end">${new Date(t1).toISOString().slice(0, 10)}</text>`,
  ].join('\n');
  return frame(title, 'resolution time', 'cumulative PnL (USD)', body);
}
