import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyticsSource } from '../../api/analytics-source.js';
import { buildApi } from '../../api/build-api.js';
import { RunReadModel } from '../../api/run-read-model.js';
import { SettingsService } from '../../api/settings-service.js';
import { LiveSettings } from '../../runtime/live-settings.js';
import type { StateStore } from '../../runtime/state-store.js';
import { openStateStore } from '../../sinks/postgres/open-state-store.js';
import { configLoader } from '../helpers/embedded-api-system.js';

/*
 * The analytics cache: fresh data once the TTL has passed on the injected clock, and at once after
 * a settings change (the key holds the settings version). The source counts its loads.
 */
const TOKEN = 'cache-test-token';
let store: StateStore;

beforeAll(async () => {
  store = await openStateStore({ kind: 'pglite', dir: join(mkdtempSync(join(tmpdir(), 'polyflow-api-cache-')), 'pglite') });
});
afterAll(async () => store.close());

describe('GET /analytics cache', () => {
  it('serves the cached value within the TTL, fresh data after it and after a settings change', async () => {
    let now = 1_000;
    let loads = 0;
    const analytics: AnalyticsSource = { kind: 'live', figures: async () => ({ pnl: ++loads }) };
    const load = configLoader({ api: { token: TOKEN, cacheTtlMs: 30_000 } });
    const live = new LiveSettings(load({}));
    const app = await buildApi({ config: live.config, settings: new SettingsService(store, live, load), model: new RunReadModel(10), analytics, registries: [], clock: () => now });
    const pnl = async (): Promise<[number, string]> => {
      const res = await app.inject({ method: 'GET', url: '/analytics' });
      return [res.json<{ figures: { pnl: number } }>().figures.pnl, String(res.headers['x-cache'])];
    };
    expect(await pnl()).toEqual([1, 'miss']);
    now += 29_999;
    expect(await pnl()).toEqual([1, 'hit']); // the source changed (loads would give 2), the cache still holds 1
    now += 1;
    expect(await pnl()).toEqual([2, 'miss']); // TTL passed
    expect(await pnl()).toEqual([2, 'hit']);
    const res = await app.inject({ method: 'PUT', url: '/settings/signal.minEdge', headers: { authorization: `Bearer ${TOKEN}` }, payload: { value: 0.06 } });
    expect(res.statusCode, res.body).toBe(200);
    expect(await pnl()).toEqual([3, 'miss']); // same clock, new settings version
    // Different bins are a different key.
    const bins = await app.inject({ method: 'GET', url: '/analytics?bins=5' });
    expect(bins.json<{ figures: { pnl: number } }>().figures.pnl).toBe(4);
    await app.close();
  });
});
