import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../api/api-deps.js';
import { modelRoutes } from '../../api/routes/model-routes.js';
import { readRegistry } from '../../models/registry.js';
import { recordModel } from '../../models/registry-store.js';
import { openStateStore } from '../../sinks/postgres/open-state-store.js';
import type { SqlStateStore } from '../../sinks/postgres/sql-state-store.js';
import { createTestDatabase } from '../helpers/postgres-test-db.js';

/*
 * The model registry: the shipped ensemble's card, registered twice, is one row in the state
 * store's `models` table (PGlite and a real Postgres) with the card's figures, one line in
 * registry.jsonl, and what GET /models lists.
 */
const DIR = resolve('models/artifacts/ensemble');
const MANIFEST = join(DIR, 'manifest.json');
const CARD = join(DIR, 'card.json');

interface Scores {
  brier: number;
  log_loss: number;
}
interface Card {
  model_version: string;
  kind: string;
  created: string;
  feature_spec: { version: string; hash: string };
  training_data: { train_resolution_range: [string, string]; holdout_resolution_range: [string, string]; rows: Record<string, number> };
  metrics: Record<string, { rows: number; ensemble?: Scores; market?: Scores }>;
  artifacts: Record<string, { file: string; sha256: string }>;
  edge_gate: { categories: string[] };
}
const card = JSON.parse(readFileSync(CARD, 'utf8')) as Card;
const manifestSha = createHash('sha256').update(readFileSync(MANIFEST)).digest('hex');
const td = card.training_data;
const split = (k: string) => {
  const m = card.metrics[k];
  return { rows: m?.rows, model: m?.ensemble, market: m?.market };
};

describe('model registry', () => {
  let db: { url: string; drop: () => Promise<void> };
  const tmp = mkdtempSync(join(tmpdir(), 'polyflow-registry-'));
  beforeAll(async () => {
    db = await createTestDatabase('polyflow_registry');
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const kind of ['pglite', 'postgres'] as const) {
    it(`${kind}: registering the shipped card twice gives one row with the card's figures`, async () => {
      const open = (): Promise<SqlStateStore> => (kind === 'postgres' ? openStateStore({ kind, url: db.url }) : openStateStore({ kind, dir: join(tmp, 'pglite') }));
      const registryFile = join(tmp, kind, 'registry.jsonl');
      let store = await open();
      try {
        await recordModel({ manifestFile: MANIFEST, cardFile: CARD, registryFile, store });
        await recordModel({ manifestFile: MANIFEST, cardFile: CARD, registryFile, store });
      } finally {
        await store.close();
      }
      // Read back in a new connection (PGlite: a reopened data directory).
      store = await open();
      try {
        const models = await store.listModels();
        expect(models).toHaveLength(1);
        const m = models[0];
        expect(m).toMatchObject({
          version: card.model_version,
          name: card.kind,
          featureSpec: card.feature_spec.version,
          featureSpecHash: card.feature_spec.hash,
          artifactPath: 'models/artifacts/ensemble/manifest.json',
          artifactSha256: manifestSha,
          trainRange: td.train_resolution_range,
          holdoutRange: td.holdout_resolution_range,
          dataFromTs: Math.min(Date.parse(td.train_resolution_range[0]), Date.parse(td.holdout_resolution_range[0])),
          dataToTs: Math.max(Date.parse(td.train_resolution_range[1]), Date.parse(td.holdout_resolution_range[1])),
          rowCounts: td.rows,
          artifacts: card.artifacts,
          tradeableCategories: card.edge_gate.categories,
          status: 'candidate',
          createdAt: card.created,
        });
        const splits = (m?.metrics as { splits: Record<string, unknown> }).splits;
        expect(Object.keys(splits).sort()).toEqual(['holdout', 'oof', 'oof_calibrated_out_of_fold']);
        for (const k of Object.keys(splits)) expect(splits[k], k).toEqual(split(k));
        expect(Object.keys((m?.metrics as { evaluation: object }).evaluation).sort()).toEqual(Object.keys(JSON.parse(readFileSync(CARD, 'utf8')).evaluation as object).sort());

        // The row as GET /models shows it.
        const app = Fastify();
        modelRoutes(app, { store, modelVersion: card.model_version } as unknown as ApiDeps);
        const body = (await app.inject({ method: 'GET', url: '/models' })).json<{ loaded: string; models: Record<string, unknown>[] }>();
        await app.close();
        expect(body.loaded).toBe(card.model_version);
        expect(body.models).toHaveLength(1);
        expect(body.models[0]).toMatchObject({
          version: m?.version,
          featureSpecHash: m?.featureSpecHash,
          artifactSha256: manifestSha,
          dataFromTs: m?.dataFromTs,
          dataToTs: m?.dataToTs,
          rowCounts: td.rows,
          metrics: m?.metrics,
          artifacts: card.artifacts,
          createdAt: card.created,
        });
      } finally {
        await store.close();
      }

      // registry.jsonl: one line, the shipped registry's row (plus the spec version).
      const lines = await readRegistry(registryFile);
      expect(lines).toHaveLength(1);
      const [shipped] = await readRegistry('models/artifacts/registry.jsonl');
      expect({ ...lines[0], manifest: '' }).toEqual({ ...shipped, feature_spec_version: card.feature_spec.version, manifest: '' });
    }, 60_000);
  }
});
