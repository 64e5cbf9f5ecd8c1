// `npm run bench`: events/s per stage and for the whole graph on a generated 1M-event stream, next
// to a plain-loop reference of parse + book + features in the same process. Last line: one JSON object.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScorer } from '../models/load-scorer.js';
import { applyBookUpdate } from '../operators/order-book.js';
import type { L2Book } from '../operators/l2-book.js';
import { initialMarketFeaturesState, marketFeaturesStep } from '../operators/market-features.js';
import { replayRecords } from '../pipelines/replay.js';
import { loadConfig } from '../runtime/config.js';
import { createLogger } from '../runtime/logger.js';
import { fromPackageRoot } from '../runtime/package-root.js';
import type { BookUpdate } from '../schemas/book-update.js';
import { FEATURE_SPEC } from '../schemas/feature-spec.js';
import type { FeatureVector } from '../schemas/feature-vector.js';
import type { AssetId } from '../schemas/ids.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { Trade } from '../schemas/trade.js';
import { JsonlFiles } from '../sinks/jsonl-files.js';
import { parseGammaMarket } from '../sources/polymarket/gamma-market.js';
import { parseMarketFrame, type MarketFrameSink } from '../sources/polymarket/market-channel.js';
import type { ReplayRecord } from '../sources/replay/replay-record.js';
import { generateFrames, generateMarkets } from '../sources/simulator/simulate.js';
import { throughput } from './measure.js';

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 1_000_000);
const MARKETS = Number(process.env['BENCH_MARKETS'] ?? 1_000);
const PASSES = Number(process.env['BENCH_PASSES'] ?? 3);
// PERF.md's reference mix: 1M events over 2,000 assets in 2.6 h of event time (~107 events/s).
const DURATION_MS = Number(process.env['BENCH_HOURS'] ?? 2.6) * 3_600_000;

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const noop = (): void => undefined;

type MarketInput = { kind: 'book'; update: BookUpdate } | { kind: 'trade'; trade: Trade } | { kind: 'meta'; meta: MarketMeta };

async function main(): Promise<void> {
  log(`generating ${EVENTS.toLocaleString('en-US')} events over ${MARKETS} markets...`);
  const frames = [...generateFrames({ events: EVENTS, markets: MARKETS, durationMs: DURATION_MS })];
  const marketRecords = generateMarkets({ events: EVENTS, markets: MARKETS, durationMs: DURATION_MS });
  const metas = marketRecords.flatMap((r) => {
    const parsed = parseGammaMarket(r.market, r.recvTs);
    return parsed.ok ? [parsed.meta] : [];
  });

  // Parsed inputs, for the stages measured on data already in memory.
  const inputs: MarketInput[] = metas.map((meta) => ({ kind: 'meta', meta }));
  const collect: MarketFrameSink = {
    book: (update) => inputs.push({ kind: 'book', update }),
    trade: (trade) => inputs.push({ kind: 'trade', trade }),
    resolution: noop,
    deadLetter: noop,
  };
  for (const f of frames) parseMarketFrame(f.frame, f.recvTs, collect);
  const bookUpdates = inputs.flatMap((i) => (i.kind === 'book' ? [i.update] : []));

  let sink = 0;
  const counting: MarketFrameSink = { book: () => sink++, trade: () => sink++, resolution: () => sink++, deadLetter: () => sink++ };

  const parse = await throughput(PASSES, () => {
    for (const f of frames) parseMarketFrame(f.frame, f.recvTs, counting);
    return frames.length;
  });
  const book = await throughput(PASSES, () => {
    const books = new Map<AssetId, L2Book>();
    for (const u of bookUpdates) applyBookUpdate(books, u);
    return bookUpdates.length;
  });
  const vectors: FeatureVector[] = [];
  const bookFeatures = await throughput(PASSES, () => {
    const books = new Map<AssetId, L2Book>();
    const state = initialMarketFeaturesState();
    vectors.length = 0;
    for (const i of inputs) {
      const v =
        i.kind === 'book'
          ? marketFeaturesStep(state, { kind: 'book', change: applyBookUpdate(books, i.update) })
          : i.kind === 'trade'
            ? marketFeaturesStep(state, { kind: 'trade', trade: i.trade })
            : marketFeaturesStep(state, { kind: 'meta', meta: i.meta });
      if (v !== undefined && vectors.length < 200_000) vectors.push(v);
    }
    return inputs.length;
  });

  // Reference: the same work as a plain loop straight from the wire: parse + book + features.
  const reference = await throughput(PASSES, () => {
    const books = new Map<AssetId, L2Book>();
    const state = initialMarketFeaturesState();
    for (const meta of metas) marketFeaturesStep(state, { kind: 'meta', meta });
    const loop: MarketFrameSink = {
      book: (u) => void marketFeaturesStep(state, { kind: 'book', change: applyBookUpdate(books, u) }),
      trade: (trade) => void marketFeaturesStep(state, { kind: 'trade', trade }),
      resolution: noop,
      deadLetter: noop,
    };
    for (const f of frames) parseMarketFrame(f.frame, f.recvTs, loop);
    return frames.length;
  });

  const config = loadConfig({ env: {} });
  const scorer = await loadScorer(fromPackageRoot(config.scoring.modelPath), FEATURE_SPEC);
  const width = FEATURE_SPEC.names.length;
  const batch = config.scoring.maxBatch;
  const rows = new Float32Array(batch * width);
  const scoring = await throughput(PASSES, async () => {
    let scored = 0;
    for (let start = 0; start + batch <= vectors.length; start += batch) {
      for (let r = 0; r < batch; r++) rows.set((vectors[start + r] as FeatureVector).values, r * width);
      await scorer.score(rows, batch);
      scored += batch;
    }
    return scored;
  });

  const records: ReplayRecord[] = [
    ...marketRecords.map((r): ReplayRecord => ({ kind: 'market', recvTs: r.recvTs, market: r.market })),
    ...frames.map((f): ReplayRecord => ({ kind: 'frame', recvTs: f.recvTs, frame: f.frame })),
  ].sort((a, b) => a.recvTs - b.recvTs);
  const outRoot = mkdtempSync(join(tmpdir(), 'polyflow-bench-'));
  let graphSummary: Awaited<ReturnType<typeof replayRecords>>['summary'] | undefined;
  const graph = await throughput(PASSES, async () => {
    const files = new JsonlFiles(join(outRoot, 'out'));
    const result = await replayRecords([records], { config, scorer, files, logger: createLogger('silent') });
    files.close();
    graphSummary = result.summary;
    return frames.length;
  });
  rmSync(outRoot, { recursive: true, force: true });

  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  const row = (name: string, m: { best: number; median: number }, unit: string): string =>
    `  ${name.padEnd(34)} ${Math.round(m.best).toLocaleString('en-US').padStart(12)} ${Math.round(m.median).toLocaleString('en-US').padStart(12)}  ${unit}`;
  const out = process.stdout;
  out.write(`\npolyflow bench: ${frames.length.toLocaleString('en-US')} events, ${MARKETS} markets, ${(DURATION_MS / 3_600_000).toFixed(1)} h of event time, ${PASSES} passes after a warm-up\n`);
  out.write(`machine: ${cpu}, ${cpus().length} vCPU, node ${process.version}; one process, one core for the pipeline\n\n`);
  out.write(`  ${'stage'.padEnd(34)} ${'best/s'.padStart(12)} ${'median/s'.padStart(12)}\n`);
  out.write(`${row('parse (wire -> events)', parse, 'frames')}\n`);
  out.write(`${row('book (L2 books)', book, 'book updates')}\n`);
  out.write(`${row('book + features (in memory)', bookFeatures, 'inputs')}\n`);
  out.write(`${row(`scoring (ONNX, batches of ${batch})`, scoring, 'rows')}\n`);
  out.write(`${row('reference: parse+book+features loop', reference, 'frames')}\n`);
  out.write(`${row('whole graph (replay, all pipelines)', graph, 'frames')}\n`);
  if (graphSummary !== undefined) {
    const s = graphSummary;
    out.write(`\n  graph output per pass: ${s.predictions} predictions, ${s.signals.total} signals, ${s.orders} orders, ${s.fills} fills, ${s.dlq} dead letters\n`);
  }
  const result = {
    events: frames.length,
    markets: MARKETS,
    parse_eps: Math.round(parse.median),
    book_ups: Math.round(book.median),
    features_ips: Math.round(bookFeatures.median),
    scoring_rows_per_s: Math.round(scoring.median),
    reference_eps: Math.round(reference.median),
    graph_eps: Math.round(graph.median),
    ratio: Number((graph.median / reference.median).toFixed(3)),
    cpu,
    node: process.version,
  };
  out.write(`\n${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
