/**
 * manifest.json (machine-readable) and SOURCE.md (the shared-data README's per-source page) of a
 * history directory, recomputed from its data files after every run, so they always describe what
 * is on disk (every run appended to the directory) and equal data gives equal bytes: no wall-clock
 * time is written here (run times live in collect-state.json).
 */
import { writeFileSync } from 'node:fs';
import { HISTORY_FILES, type HistoryDirectory } from './history-directory.js';
import type { HistoryQuery } from './history-query.js';
import type { MarketFlag, MarketLine, PriceLine, SkipLine, SkipReason } from './history-records.js';
import { jsonlLines } from './jsonl-lines.js';
import { isoSeconds } from './resolved-market-line.js';

export const LOOK_AHEAD_NOTE =
  'volume, liquidity, closed_time, winning_outcome/yes_resolved and the final prices of each series were known only after the market closed: they are labels or metadata, never features at an earlier time. A series point at time t is usable as a feature only for decisions after t.';

export interface HistoryManifest {
  generator: 'polyflow history';
  query: {
    since: string | null;
    until: string | null;
    min_volume_usd: number;
    fidelity_minutes: number;
    gamma_url: string;
    clob_url: string;
    markets_request: string;
    prices_request: string;
  };
  files: Record<'markets' | 'prices' | 'skipped', string>;
  counts: {
    markets: number;
    events: number;
    series: number;
    points: number;
    empty_series: number;
    outcomes: Record<string, number>;
    neg_risk: number;
    flagged: Partial<Record<MarketFlag, number>>;
    skipped: Partial<Record<SkipReason, number>>;
  };
  date_range: {
    end_date: [string, string] | null;
    closed_time: [string, string] | null;
    series: [string, string] | null;
  };
  checks: Record<MarketFlag | SkipReason, string>;
  look_ahead: string;
}

const CHECKS: HistoryManifest['checks'] = {
  series_missing: 'flag: an outcome token has no price point in [start_date, closed_time]',
  series_ends_early: 'flag: a series ends more than the stale limit before trading ended (min of end_date, closed_time)',
  last_price_contradicts_winner: "flag: the last price of the winner is < 0.5 or of a loser > 0.5",
  malformed: 'excluded: the Gamma record does not parse (ids, outcomes, token ids, dates)',
  not_closed: 'excluded: closed is not true',
  not_final: 'excluded: umaResolutionStatus is not resolved/settled (no final winner yet; re-checked by later runs)',
  no_winner: 'excluded: outcomePrices is not a payout of one 1 and one 0',
  voided_50_50: 'excluded: voided market, outcomePrices 50-50',
  non_binary: 'excluded: not exactly two outcomes, token ids and prices',
  no_closed_time: 'excluded: closedTime missing or unreadable',
  duplicate_token: 'excluded: a token id already belongs to a collected market (the first one is kept)',
};

export function writeHistoryManifest(
  dir: HistoryDirectory,
  run: { query: HistoryQuery; endpoints: { gamma: string; clob: string }; staleSeconds: number },
): HistoryManifest {
  const kept = new Set<string>();
  const events = new Set<string>();
  const outcomes: Record<string, number> = {};
  const flagged: Partial<Record<MarketFlag, number>> = {};
  let negRisk = 0;
  let end: [number, number] | null = null;
  let closed: [number, number] | null = null;
  for (const { text, complete } of jsonlLines(dir.path('markets'))) {
    if (!complete) continue;
    const m = JSON.parse(text) as MarketLine;
    kept.add(m.market_id);
    events.add(m.event_id ?? `market:${m.market_id}`);
    outcomes[m.winning_outcome] = (outcomes[m.winning_outcome] ?? 0) + 1;
    if (m.neg_risk) negRisk++;
    for (const f of m.flags) flagged[f] = (flagged[f] ?? 0) + 1;
    end = widen(end, Date.parse(m.end_date));
    closed = widen(closed, Date.parse(m.closed_time));
  }
  let series = 0;
  let points = 0;
  let empty = 0;
  let span: [number, number] | null = null;
  for (const { text, complete } of jsonlLines(dir.path('prices'))) {
    if (!complete) continue;
    const p = JSON.parse(text) as PriceLine;
    series++;
    points += p.series.length;
    const first = p.series[0];
    const last = p.series.at(-1);
    if (first === undefined || last === undefined) empty++;
    else span = widen(widen(span, first[0] * 1000), last[0] * 1000);
  }
  // A market skipped on several runs counts once, under its latest reason; one collected since, not at all.
  const latestSkip = new Map<string, SkipReason>();
  for (const { text, complete } of jsonlLines(dir.path('skipped'))) {
    if (!complete) continue;
    const s = JSON.parse(text) as SkipLine;
    if (!kept.has(s.market_id)) latestSkip.set(s.market_id, s.reason);
  }
  const skipped: Partial<Record<SkipReason, number>> = {};
  for (const reason of latestSkip.values()) skipped[reason] = (skipped[reason] ?? 0) + 1;

  const { query } = run;
  const manifest: HistoryManifest = {
    generator: 'polyflow history',
    query: {
      since: query.sinceMs === undefined ? null : isoSeconds(query.sinceMs),
      until: query.untilMs === undefined ? null : isoSeconds(query.untilMs),
      min_volume_usd: query.minVolumeUsd,
      fidelity_minutes: query.fidelityMinutes,
      gamma_url: run.endpoints.gamma,
      clob_url: run.endpoints.clob,
      markets_request: `GET /markets/keyset?closed=true&limit=100${query.minVolumeUsd > 0 ? `&volume_num_min=${query.minVolumeUsd}` : ''}&after_cursor=<next_cursor>`,
      prices_request: `GET /prices-history?market=<token id>&startTs=<start_date>&endTs=<closed_time>&fidelity=${query.fidelityMinutes} (in chunks)`,
    },
    files: { markets: HISTORY_FILES.markets, prices: HISTORY_FILES.prices, skipped: HISTORY_FILES.skipped },
    counts: {
      markets: kept.size,
      events: events.size,
      series,
      points,
      empty_series: empty,
      outcomes: sortedRecord(outcomes),
      neg_risk: negRisk,
      flagged: sortedRecord(flagged),
      skipped: sortedRecord(skipped),
    },
    date_range: { end_date: isoRange(end), closed_time: isoRange(closed), series: isoRange(span) },
    checks: { ...CHECKS, series_ends_early: `${CHECKS.series_ends_early} (${run.staleSeconds} s)` },
    look_ahead: LOOK_AHEAD_NOTE,
  };
  writeFileSync(dir.path('manifest'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(dir.path('source'), sourceMarkdown(manifest));
  return manifest;
}

function sourceMarkdown(m: HistoryManifest): string {
  const c = m.counts;
  const list = (r: Record<string, number | undefined>): string =>
    Object.entries(r)
      .map(([k, v]) => `${k} ${(v ?? 0).toLocaleString('en-US')}`)
      .join(', ') || 'none';
  const range = (r: [string, string] | null): string => (r === null ? 'none' : `${r[0]} .. ${r[1]}`);
  return `# Polymarket resolved markets + price series, collected by \`polyflow history\`

- Source: Polymarket's public APIs. Gamma ${m.query.gamma_url}: \`${m.query.markets_request}\` (every page, guarding against a repeated page). CLOB ${m.query.clob_url}: \`${m.query.prices_request}\`.
- Query (last run): closed between ${m.query.since ?? 'the beginning'} and ${m.query.until ?? 'now'} (closedTime, else endDate), min volume ${m.query.min_volume_usd} USD, fidelity ${m.query.fidelity_minutes} min. Counts cover every run appended to this directory.
- Winner: Gamma \`closed\` + \`umaResolutionStatus\` resolved/settled + \`outcomePrices\` a payout of one "1" and one "0" (POLYMARKET.md B.4); binary markets only.
- Layout: \`markets.jsonl\` (market_id, condition_id, question, market_slug, event_id, event_slug, event_title, category, tags, end_date, closed_time, start_date, volume, liquidity, neg_risk, outcomes, token_ids, winning_outcome, yes_resolved, uma_resolution_status, flags), \`prices.jsonl\` (one line per outcome token: token_id, market_id, outcome, series [[unix_seconds, price], ...] from start_date to closed_time), \`skipped.jsonl\` (market_id, reason, detail for each closed market left out), \`manifest.json\` (these figures, machine-readable).
- Counts: ${c.markets.toLocaleString('en-US')} markets in ${c.events.toLocaleString('en-US')} events, ${c.series.toLocaleString('en-US')} token series (${c.empty_series.toLocaleString('en-US')} empty), ${c.points.toLocaleString('en-US')} points; neg-risk ${c.neg_risk.toLocaleString('en-US')}.
- Outcomes: ${list(c.outcomes)}.
- Date range: end_date ${range(m.date_range.end_date)}; closed_time ${range(m.date_range.closed_time)}; series ${range(m.date_range.series)}.
- Flagged (kept, see \`flags\`): ${list(c.flagged)}.
- Excluded (see skipped.jsonl): ${list(c.skipped)}.
- Checks:
${Object.entries(m.checks)
  .map(([k, v]) => `  - \`${k}\`: ${v}`)
  .join('\n')}
- Look-ahead: ${m.look_ahead}
`;
}

function widen(range: [number, number] | null, value: number): [number, number] | null {
  if (Number.isNaN(value)) return range;
  if (range === null) return [value, value];
  return [Math.min(range[0], value), Math.max(range[1], value)];
}

function isoRange(range: [number, number] | null): [string, string] | null {
  return range === null ? null : [isoSeconds(range[0]), isoSeconds(range[1])];
}

function sortedRecord<T extends Record<string, number | undefined>>(r: T): T {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}
