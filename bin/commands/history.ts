import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '../../runtime/errors.js';
import { collectHistory, type CollectProgress, type CollectSummary } from '../../sources/history/collect-history.js';
import { HostRateLimiter } from '../../runtime/http/host-rate-limiter.js';
import { HttpClient } from '../../runtime/http/http-client.js';
import { HttpAbortedError } from '../../runtime/http/http-errors.js';
import { systemClock } from '../../runtime/http/clock.js';
import type { TokenBucketLimit } from '../../runtime/http/token-bucket.js';
import { parseIsoMillis } from '../../sources/polymarket/gamma-market.js';

export const HISTORY_USAGE = `polyflow history --out <dir> [--since <date>] [--until <date>] [--min-volume <usd>] [--fidelity <minutes>]
                 [--gamma-url <url>] [--clob-url <url>] [--chunk-days <n>] [--progress | --no-progress]`;

/**
 * Polite defaults, well under Polymarket's published limits (POLYMARKET.md §0 item 11 and B.5):
 * Gamma `/markets` 300 per 10 s -> 10/s; CLOB `/prices-history` 1,000 per 10 s -> 20/s.
 */
const GAMMA_LIMIT: TokenBucketLimit = { capacity: 10, refillPerSecond: 10 };
const CLOB_LIMIT: TokenBucketLimit = { capacity: 20, refillPerSecond: 20 };
const DEFAULT_GAMMA_URL = 'https://gamma-api.polymarket.com';
const DEFAULT_CLOB_URL = 'https://clob.polymarket.com';

/**
 * `polyflow history --out <dir>`: resolved markets from Gamma and their outcome tokens' price
 * series from CLOB, in the shared-data layout; resumable (run the same command again after a stop).
 */
export async function historyCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      'min-volume': { type: 'string' },
      fidelity: { type: 'string' },
      'gamma-url': { type: 'string' },
      'clob-url': { type: 'string' },
      'chunk-days': { type: 'string' },
      progress: { type: 'boolean' },
      'no-progress': { type: 'boolean' },
      books: { type: 'boolean' },
    },
  });
  if (values.out === undefined) throw new InputError(`history: --out <dir> is required\nusage: ${HISTORY_USAGE}`);
  if (values.books === true) throw new InputError('history: --books is not available: Polymarket no longer serves historical books (POLYMARKET.md §0 item 12); record them live');
  const sinceMs = date('since', values.since);
  const untilMs = date('until', values.until);
  if (sinceMs !== undefined && untilMs !== undefined && untilMs <= sinceMs) throw new InputError('history: --until must be after --since');
  const minVolumeUsd = number('min-volume', values['min-volume'], 0, (n) => n >= 0);
  const fidelityMinutes = number('fidelity', values.fidelity, 60, (n) => Number.isInteger(n) && n >= 1);
  const chunkDays = values['chunk-days'] === undefined ? undefined : number('chunk-days', values['chunk-days'], 30, (n) => n > 0);
  const gammaUrl = url('gamma-url', values['gamma-url'] ?? process.env.POLYMARKET_GAMMA_URL ?? DEFAULT_GAMMA_URL);
  const clobUrl = url('clob-url', values['clob-url'] ?? process.env.POLYMARKET_CLOB_URL ?? DEFAULT_CLOB_URL);
  const outDir = resolve(values.out);

  const limits: Record<string, TokenBucketLimit> = { [new URL(clobUrl).host]: CLOB_LIMIT };
  limits[new URL(gammaUrl).host] = GAMMA_LIMIT; // the stricter one when both are one host
  const rateLimiter = new HostRateLimiter({ clock: systemClock, limits });
  const requests = { gamma: 0, clob: 0, retries: 0 };
  const gamma = new HttpClient({ baseUrl: gammaUrl, rateLimiter, onRequest: () => requests.gamma++, onRetry: () => requests.retries++ });
  const clob = new HttpClient({ baseUrl: clobUrl, rateLimiter, onRequest: () => requests.clob++, onRetry: () => requests.retries++ });

  const showProgress = values.progress === true || (values['no-progress'] !== true && process.stderr.isTTY === true);
  let lastDraw = 0;
  const draw = (p: CollectProgress): void => {
    const now = Date.now();
    if (now - lastDraw < 200 && !(p.phase === 'prices' && p.done === p.queued)) return;
    lastDraw = now;
    const line =
      p.phase === 'listing'
        ? `history: listing page ${p.pages} | seen ${fmt(p.seen)} | skipped ${fmt(p.skipped)} | requests ${fmt(requests.gamma)}`
        : `history: series ${fmt(p.done)}/${fmt(p.queued)} markets | appended ${fmt(p.appended)} | skipped ${fmt(p.skipped)} | requests ${fmt(requests.gamma + requests.clob)} | ETA ${p.etaMs === null ? '?' : duration(p.etaMs)}`;
    process.stderr.write(process.stderr.isTTY === true ? `\r\x1b[2K${line}` : `${line}\n`);
  };

  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new Error('interrupted (SIGINT)'));
  process.once('SIGINT', onSigint);
  let summary: CollectSummary;
  try {
    summary = await collectHistory({
      outDir,
      gamma,
      clob,
      query: {
        ...(sinceMs === undefined ? {} : { sinceMs }),
        ...(untilMs === undefined ? {} : { untilMs }),
        minVolumeUsd,
        fidelityMinutes,
      },
      endpoints: { gamma: gammaUrl, clob: clobUrl },
      signal: controller.signal,
      ...(chunkDays === undefined ? {} : { initialChunkSeconds: Math.round(chunkDays * 86_400) }),
      ...(showProgress ? { onProgress: draw } : {}),
    });
  } catch (err) {
    if (showProgress && process.stderr.isTTY === true) process.stderr.write('\n');
    if (err instanceof HttpAbortedError && controller.signal.aborted) {
      process.stderr.write(`history: interrupted; everything collected so far is in ${outDir}. Run the same command again to continue.\n`);
      return 130;
    }
    if (err instanceof Error && 'retriable' in err && err.retriable === true) {
      process.stderr.write(`history: stopped by a transient error; run the same command again to continue from where it stopped.\n`);
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  if (showProgress && process.stderr.isTTY === true) process.stderr.write('\n');
  process.stdout.write(formatHistorySummary(summary, outDir, requests));
  return 0;
}

export function formatHistorySummary(s: CollectSummary, outDir: string, requests: { gamma: number; clob: number; retries: number }): string {
  const list = (r: Record<string, number | undefined>): string =>
    Object.entries(r)
      .map(([k, v]) => `${k} ${fmt(v ?? 0)}`)
      .join(', ') || 'none';
  const skippedTotal = Object.values(s.skipped).reduce((a: number, b) => a + (b ?? 0), 0);
  const c = s.manifest.counts;
  const rows: [string, string][] = [
    ['gamma pages', `${fmt(s.pages)}${s.repeatedPage ? ' (stopped: Gamma served a page again; listing may be incomplete)' : ''}`],
    ['markets seen', fmt(s.seen)],
    ['outside the query', `closed before --since ${fmt(s.outsideQuery.beforeSince)}, not before --until ${fmt(s.outsideQuery.notBeforeUntil)}, below --min-volume ${fmt(s.outsideQuery.belowMinVolume)}`],
    ['already collected', fmt(s.alreadyCollected)],
    ['skipped', `${fmt(skippedTotal)}${skippedTotal > 0 ? ` (${list(s.skipped)})` : ''}`],
    ['queued for series', fmt(s.queued)],
    ['appended', `${fmt(s.appended)} markets, ${fmt(s.series)} series, ${fmt(s.points)} points${s.badPoints > 0 ? ` (${fmt(s.badPoints)} unreadable points dropped)` : ''}`],
    ['flagged', list(s.flagged)],
    ['/prices-history', `chunk ${duration(s.chunkSeconds * 1000)}, ${fmt(s.intervalRejections)} "interval is too long" rejection(s)`],
    ['requests', `gamma ${fmt(requests.gamma)}, clob ${fmt(requests.clob)}, retries ${fmt(requests.retries)}`],
    ['directory now', `${fmt(c.markets)} markets, ${fmt(c.series)} series, ${fmt(c.points)} points; excluded ${list(c.skipped)}`],
  ];
  if (s.truncatedBytes > 0) rows.push(['repaired', `${fmt(s.truncatedBytes)} bytes of an interrupted write cut off`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return `history -> ${outDir}\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n  see manifest.json and SOURCE.md\n`;
}

function date(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseIsoMillis(text);
  if (Number.isNaN(ms)) throw new InputError(`history: --${name} must be an ISO date such as 2026-01-31 or 2026-01-31T12:00:00Z, got ${JSON.stringify(text)}`);
  return ms;
}

function number(name: string, text: string | undefined, fallback: number, ok: (n: number) => boolean): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new InputError(`history: --${name}: invalid value ${JSON.stringify(text)}`);
  return n;
}

function url(name: string, text: string): string {
  try {
    const u = new URL(text);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    return text;
  } catch {
    throw new InputError(`history: --${name} (or its environment variable) is not an http(s) URL: ${JSON.stringify(text)}`);
  }
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${(s / 86_400).toFixed(1)}d`;
}
