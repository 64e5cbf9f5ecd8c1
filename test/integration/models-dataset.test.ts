// Needs: ../shared/data/polymarket (emre, ochaff, yxf9tv sources, read by path). No services.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDataset } from '../../models/dataset/build-dataset.js';
import { readDataset, type DatasetMeta, type DatasetRow } from '../../models/dataset/dataset-file.js';
import { replayMarket } from '../../models/dataset/point-in-time.js';
import { readSource, type ReplayMarket } from '../../models/dataset/source-markets.js';
import { SYNTHETIC_BOOK_FEATURES } from '../../models/dataset/synthetic-quote.js';
import { FEATURE_INDEX } from '../../schemas/feature-spec.js';

const ROOT = resolve(process.cwd(), '../shared/data/polymarket');
const SLICES = { 'emre-agentic-research-platform': 80, 'ochaff-fated-btc-daily-bands': 40, 'yxf9tv-mlb-orderbooks': 120 } as const;

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

describe.each(Object.entries(SLICES))('dataset from %s (first %i markets)', (source, n) => {
  let dir: string;
  let rows: DatasetRow[];
  let meta: DatasetMeta;
  let markets: Map<string, ReplayMarket>;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, source))) throw new Error(`shared data missing: ${join(ROOT, source)} (run from the repo root beside ../shared)`);
    dir = await mkdtemp(join(tmpdir(), 'polyflow-dataset-'));
    await buildDataset(join(ROOT, source), join(dir, 'd.csv'), { maxMarkets: n });
    ({ rows, meta } = await readDataset(join(dir, 'd.csv')));
    markets = new Map((await readSource(join(ROOT, source))).markets.slice(0, n).map((m) => [m.meta.market as string, m]));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('leakage: every row equals the vector recomputed from the history truncated at its ts', () => {
    expect(rows.length).toBeGreaterThan(n);
    for (const r of rows) {
      const m = markets.get(r.market)!;
      const truncated = replayMarket(m, {}, r.ts);
      const last = truncated[truncated.length - 1]!;
      expect(last.vector.ts).toBe(r.ts);
      if (!same(last.vector.values, r.values)) throw new Error(`row ${r.market}@${r.ts} differs from its truncated recomputation`);
      expect(r.ts).toBeLessThanOrEqual(r.horizonTs);
      expect(r.horizonTs).toBeLessThan(r.resolutionTs);
    }
    // The check has teeth: a vector from one update later (a peek ahead) is caught.
    const r = rows.find((x) => replayMarket(markets.get(x.market)!).some((v) => v.vector.ts > x.ts && !same(v.vector.values, x.values)))!;
    const ahead = replayMarket(markets.get(r.market)!).find((v) => v.vector.ts > r.ts)!;
    expect(same(ahead.vector.values, r.values)).toBe(false);
  });

  it('labels, splits and the honesty flags of the meta', () => {
    for (const r of rows) expect(r.label).toBe(markets.get(r.market)!.label);
    // A whole event goes one way, and every holdout event resolves after every training event.
    const splitOf = new Map<string, string>();
    for (const r of rows) {
      expect(splitOf.get(r.event) ?? r.split).toBe(r.split);
      splitOf.set(r.event, r.split);
    }
    const lastTrain = Math.max(...rows.filter((r) => r.split === 'train').map((r) => r.resolutionTs));
    const holdout = rows.filter((r) => r.split === 'holdout');
    expect(holdout.length).toBeGreaterThan(0);
    for (const r of holdout) expect(r.resolutionTs).toBeGreaterThanOrEqual(meta.holdout_cutoff_ms);
    expect(lastTrain).toBeLessThan(meta.holdout_cutoff_ms);
    expect(meta.synthetic_depth).toBe(source !== 'yxf9tv-mlb-orderbooks');
    if (meta.synthetic_depth) {
      for (const f of SYNTHETIC_BOOK_FEATURES) expect(meta.excluded_features).toContain(f);
      // The synthetic quote keeps the mid on the recorded price.
      for (const r of rows) expect(Math.abs(r.values[FEATURE_INDEX.mid]! - r.pMarket)).toBeLessThanOrEqual(0.00015);
    }
    if (source === 'emre-agentic-research-platform') {
      // end_date is the close time there: never a feature.
      for (const r of rows) expect(r.values[FEATURE_INDEX.time_to_resolution_h]).toBeNaN();
    }
  });
});
