/**
 * Real resolved markets and their price series from ../shared/data/polymarket (emre-agentic-
 * research-platform: hourly YES series; ochaff-fated-btc-daily-bands: 1-minute YES and NO series),
 * turned into Gamma market objects in the documented shape (POLYMARKET.md B.4: JSON-encoded
 * outcomes / outcomePrices / clobTokenIds, closed, umaResolutionStatus, events[]), plus the series
 * a fake CLOB serves per token. The source records are returned too, so a test can compute what
 * the collector should write without looking at the collector.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SourceMarket {
  source: 'emre' | 'ochaff';
  market_id: string;
  condition_id: string;
  question: string;
  market_slug: string;
  event_id: string | null;
  event_slug: string | null;
  category: string;
  end_date: string;
  closed_time: string;
  start_date: string;
  volume: number | null;
  neg_risk: boolean;
  outcomes: string[];
  token_ids: string[];
  winning_outcome: string;
}

export interface HistoryFixture {
  /** Source markets in the order Gamma lists them. */
  sources: SourceMarket[];
  /** Gamma market objects, same order, with the scripted faults mixed in. */
  gamma: Record<string, unknown>[];
  /** What /prices-history knows per token: the full source series. */
  series: Map<string, [number, number][]>;
  /** Ids of the market objects made faulty on purpose, by the skip reason they must get. */
  faults: { voided: string; noWinner: string; notFinal: string; duplicateToken: string };
}

const EMRE_IDS_EXTRA = ['514710', '519542']; // real: series end ~30 days before close; 519542 also ends on the loser's side
const OCHAFF_EVENT = 'bitcoin-price-on-november-1';
const OCHAFF_EXTRA = ['651831', '674508', '674510']; // real: last prices contradict the winner; series run past closed_time

export function loadHistoryFixture(dataDir: string): HistoryFixture {
  const emre = readJsonl(join(dataDir, 'emre-agentic-research-platform/markets.jsonl'));
  const emrePrices = readJsonl(join(dataDir, 'emre-agentic-research-platform/prices.jsonl'));
  const ochaff = readJsonl(join(dataDir, 'ochaff-fated-btc-daily-bands/markets.jsonl'));
  const series = new Map<string, [number, number][]>();
  const sources: SourceMarket[] = [];

  const emrePicked = [...emre.slice(0, 16), ...emre.filter((m) => EMRE_IDS_EXTRA.includes(String(m.market_id)))];
  const emreSeries = new Map(emrePrices.map((p) => [String(p.market_id), p.series as [number, number][]]));
  for (const m of emrePicked) {
    const id = String(m.market_id);
    const yes = (m.token_ids as string[])[0] as string;
    const no = syntheticNoToken(yes);
    const yesSeries = emreSeries.get(id) ?? [];
    series.set(yes, yesSeries);
    series.set(no, yesSeries.map(([t, p]) => [t, Math.round((1 - p) * 10_000) / 10_000]));
    sources.push({
      source: 'emre',
      market_id: id,
      condition_id: `0x${createHash('sha256').update(`condition:${id}`).digest('hex')}`,
      question: String(m.question),
      market_slug: `emre-market-${id}`,
      event_id: null,
      event_slug: null,
      category: 'other',
      end_date: String(m.end_date),
      closed_time: String(m.end_date), // the source's end_date is Gamma closedTime
      start_date: String(m.start_date),
      volume: null,
      neg_risk: false,
      outcomes: ['Yes', 'No'],
      token_ids: [yes, no],
      winning_outcome: String(m.winning_outcome),
    });
  }

  const ochaffPicked = ochaff.filter((m) => (m.event_slug === OCHAFF_EVENT || OCHAFF_EXTRA.includes(String(m.market_id))) && m.question != null);
  const wanted = new Set((ochaffPicked.flatMap((m) => m.token_ids) as string[]).map(String));
  for (const p of readJsonl(join(dataDir, 'ochaff-fated-btc-daily-bands/prices.jsonl'), (line) => wanted.has(tokenOf(line)))) {
    series.set(String(p.token_id), p.series as [number, number][]);
  }
  for (const m of ochaffPicked) {
    sources.push({
      source: 'ochaff',
      market_id: String(m.market_id),
      condition_id: String(m.condition_id),
      question: String(m.question),
      market_slug: String(m.market_slug),
      event_id: String(m.event_id),
      event_slug: String(m.event_slug),
      category: 'crypto',
      end_date: String(m.end_date),
      closed_time: String(m.closed_time),
      start_date: String(m.start_date),
      volume: typeof m.volume === 'number' ? m.volume : null,
      neg_risk: true,
      outcomes: m.outcomes as string[],
      token_ids: (m.token_ids as string[]).map(String),
      winning_outcome: String(m.winning_outcome),
    });
  }

  const gamma = sources.map(gammaObject);
  // Scripted faults, on copies of real records.
  const voided = gamma[3] as Record<string, unknown>;
  voided.outcomePrices = JSON.stringify(['0.5', '0.5']);
  const noWinner = gamma[5] as Record<string, unknown>;
  noWinner.outcomePrices = JSON.stringify(['0', '0']);
  const notFinal = gamma[6] as Record<string, unknown>;
  notFinal.umaResolutionStatus = 'proposed';
  notFinal.outcomePrices = JSON.stringify(['0.97', '0.03']);
  const dupSource = sources.find((s) => s.source === 'ochaff') as SourceMarket;
  const dup = { ...gammaObject(dupSource), id: '9999001', slug: `${dupSource.market_slug}-copy` };
  gamma.splice(gamma.findIndex((g) => g.id === dupSource.market_id) + 1, 0, dup);
  return {
    sources,
    gamma,
    series,
    faults: { voided: String(voided.id), noWinner: String(noWinner.id), notFinal: String(notFinal.id), duplicateToken: dup.id },
  };
}

/** A Gamma market object in the documented shape (strings double-encoded, closedTime in Gamma's "+00" form). */
function gammaObject(s: SourceMarket): Record<string, unknown> {
  const prices = s.outcomes.map((o) => (o === s.winning_outcome ? '1' : '0'));
  return {
    id: s.market_id,
    question: s.question,
    conditionId: s.condition_id,
    slug: s.market_slug,
    category: s.category === 'crypto' ? 'Crypto' : s.category,
    startDate: s.start_date,
    endDate: s.end_date,
    closedTime: gammaTime(s.closed_time),
    outcomes: JSON.stringify(s.outcomes),
    outcomePrices: JSON.stringify(prices),
    clobTokenIds: JSON.stringify(s.token_ids),
    ...(s.volume === null ? {} : { volumeNum: s.volume, volume: String(s.volume) }),
    active: true,
    closed: true,
    archived: false,
    negRisk: s.neg_risk,
    orderPriceMinTickSize: 0.01,
    umaResolutionStatus: 'resolved',
    events: s.event_id === null ? [] : [{ id: s.event_id, slug: s.event_slug }],
  };
}

/** "2025-11-01T19:29:06Z" -> "2025-11-01 19:29:06+00", as Gamma writes closedTime. */
function gammaTime(iso: string): string {
  return iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '+00');
}

/** The emre source has no NO token id: a deterministic stand-in, decimal and distinct. */
export function syntheticNoToken(yes: string): string {
  return `9${[...yes].reverse().join('')}`.slice(0, 78);
}

function tokenOf(line: string): string {
  return /"token_id":\s*"(\d+)"/.exec(line)?.[1] ?? '';
}

function readJsonl(path: string, keep: (line: string) => boolean = () => true): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && keep(line))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
