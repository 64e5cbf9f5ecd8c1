import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateStore } from '../../runtime/state-store.js';
import { NO_ROWS } from '../../runtime/state-store.js';
import type { AssetId, EventId, MarketId } from '../../schemas/ids.js';
import type { Fill } from '../../schemas/fill.js';
import type { Order } from '../../schemas/order.js';
import type { PortfolioSnapshot } from '../../schemas/portfolio-snapshot.js';
import type { RiskEvent } from '../../schemas/risk-event.js';
import type { PriceMicros, SizeMicros, UsdMicros } from '../../schemas/units.js';
import { migrate, readMigrations } from '../../sinks/postgres/migrate.js';
import { openStateStore } from '../../sinks/postgres/open-state-store.js';
import { PgClient } from '../../sinks/postgres/pg-client.js';
import { createTestDatabase, TEST_POSTGRES_URL } from '../helpers/postgres-test-db.js';

/*
 * The StateStore against a real Postgres (POLYFLOW_TEST_POSTGRES_URL, a fresh database per run) and
 * against PGlite in memory: the same migrations, the same statements, the same answers.
 */
const market = `0x${'ab'.repeat(32)}` as MarketId;
const yes = '1'.repeat(77) as AssetId;
const no = '2'.repeat(77) as AssetId;

const order = (i: number): Order => ({
  id: `ord:${i}`, signalId: `sig:${i}`, assetId: yes, market, ts: 1_000 + i, direction: 'YES',
  limitPrice: 400_000 as PriceMicros, size: 10_000_000 as SizeMicros, stake: 4_000_000 as UsdMicros, kellyFraction: 0.25,
});
// 10 shares at 0.40 + fee 0.12: cost 4.12 USD each.
const fill = (i: number, direction: 'YES' | 'NO' = 'YES', asset: AssetId = yes): Fill => ({
  id: `fill:ord:${i}`, orderId: `ord:${i}`, assetId: asset, market, ts: 1_000 + i, direction,
  price: 400_000 as PriceMicros, size: 10_000_000 as SizeMicros, fee: 120_000 as UsdMicros, unfilled: 0 as SizeMicros,
});
const snapshot = (i: number): PortfolioSnapshot => ({
  id: `pf:fill:${1_000 + i}:${i}`, ts: 1_000 + i, reason: 'fill', cash: (10_000_000_000 - 4_120_000 * (i + 1)) as UsdMicros,
  equity: 9_999_000_000 as UsdMicros, realizedPnl: 0 as UsdMicros, unrealizedPnl: -1_000_000 as UsdMicros, exposure: 4_120_000 as UsdMicros,
  peakEquity: 10_000_000_000 as UsdMicros, drawdown: 0.0001, openPositions: 1,
});
const trip: RiskEvent = { id: 'risk:dl:trip', ts: 2_000, rule: 'daily_loss', action: 'trip', reason: 'loss 6% >= 5%', signalId: '', assetId: '', market: '', eventId: '' as EventId };
const reset: RiskEvent = { ...trip, id: 'risk:dl:reset', ts: 3_000, action: 'reset', reason: 'new day' };

function storeSuite(name: string, open: () => Promise<StateStore>, cleanup: () => Promise<void>): void {
  describe(`StateStore on ${name}`, () => {
    let store: StateStore;
    beforeAll(async () => {
      store = await open();
    }, 60_000);
    afterAll(async () => {
      await store?.close();
      await cleanup();
    });

    it('applies the migrations once: a second run applies nothing and the tables are there', async () => {
      expect(await store.migrate()).toEqual([]);
      const versions = await store.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(versions.map((v) => Number(v.version))).toEqual(readMigrations().map((m) => m.version));
      const tables = await store.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name COLLATE \"C\"",
      );
      expect(tables.map((t) => t.table_name)).toEqual([
        'alert_deliveries', 'fills', 'markets', 'models', 'orders', 'pipeline_checkpoints', 'portfolio_snapshots', 'positions', 'resolutions', 'risk_events', 'risk_state', 'schema_migrations', 'settings',
      ]);
    });

    it('upserts by event id: a batch written twice leaves one row per event, positions recomputed', async () => {
      const rows = { ...NO_ROWS, orders: [order(0), order(1)], fills: [fill(0), fill(1), fill(2, 'NO')], portfolio: [snapshot(0), snapshot(1)], riskEvents: [trip] };
      await store.commit(rows);
      await store.commit(rows);
      await store.commit({ ...NO_ROWS, fills: [fill(1)], riskEvents: [reset, trip] });
      const counts = await store.query<Record<string, string | number>>(
        'SELECT (SELECT count(*) FROM orders) o, (SELECT count(*) FROM fills) f, (SELECT count(*) FROM portfolio_snapshots) p, (SELECT count(*) FROM risk_events) r',
      );
      expect(Object.values(counts[0] ?? {}).map(Number)).toEqual([2, 3, 2, 2]);
      const positions = await store.query<{ direction: string; size: string; cost: string; fills: number; status: string }>(
        'SELECT direction, size::text, cost::text, fills, status FROM positions ORDER BY direction',
      );
      expect(positions).toEqual([
        { direction: 'NO', size: '10000000', cost: '4120000', fills: 1, status: 'open' },
        { direction: 'YES', size: '20000000', cost: '8240000', fills: 2, status: 'open' },
      ]);
      // The reset is newer than the trip: redelivering the trip does not trip the breaker again.
      const breaker = await store.query<{ tripped: boolean; event_id: string }>('SELECT tripped, event_id FROM risk_state');
      expect(breaker).toEqual([{ tripped: false, event_id: 'risk:dl:reset' }]);
    });

    it('settles positions at resolution: YES on the winner pays 1 per share, NO on it pays nothing', async () => {
      await store.commit({ ...NO_ROWS, resolutions: [{ market, ts: 5_000, winningAssetId: yes, winningOutcome: 'Yes' }] });
      await store.commit({ ...NO_ROWS, resolutions: [{ market, ts: 5_000, winningAssetId: yes, winningOutcome: 'Yes' }] });
      const positions = await store.query<{ direction: string; status: string; payout: string; realized_pnl: string; updated_ts: string }>(
        'SELECT direction, status, payout::text, realized_pnl::text, updated_ts::text FROM positions ORDER BY direction',
      );
      expect(positions).toEqual([
        { direction: 'NO', status: 'lost', payout: '0', realized_pnl: '-4120000', updated_ts: '5000' },
        { direction: 'YES', status: 'won', payout: '20000000', realized_pnl: String(20_000_000 - 8_240_000), updated_ts: '5000' },
      ]);
      void no;
    });

    it('stores a checkpoint with its rows in one transaction and reads it back byte for byte', async () => {
      const state = new Uint8Array(256 * 1024).map((_, i) => (i * 7) & 255);
      await store.commit({ ...NO_ROWS, orders: [order(9)] }, {
        pipeline: 'test', seq: 1, inputId: 'abc', inputOffset: 42, outputPositions: { 'fill.v1': 123 }, clockMs: 1_767_571_200_020, complete: false, state,
      });
      const cp = await store.loadCheckpoint('test');
      expect(cp).toMatchObject({ pipeline: 'test', seq: 1, inputId: 'abc', inputOffset: 42, outputPositions: { 'fill.v1': 123 }, clockMs: 1_767_571_200_020, complete: false });
      expect(Buffer.from(cp?.state ?? []).equals(Buffer.from(state))).toBe(true);
      // An older checkpoint arriving late (a retried commit) does not move the pipeline back.
      await store.commit(NO_ROWS, { pipeline: 'test', seq: 0, inputId: 'abc', inputOffset: 1, outputPositions: {}, clockMs: 0, complete: false, state });
      expect((await store.loadCheckpoint('test'))?.inputOffset).toBe(42);
      await store.deleteCheckpoint('test');
      expect(await store.loadCheckpoint('test')).toBeUndefined();
    });

    it('keeps settings as JSON by key', async () => {
      await store.setSetting('risk.kellyFraction', 0.1);
      await store.setSetting('risk.tradeStrengths', ['STRONG']);
      await store.setSetting('risk.kellyFraction', 0.2);
      expect(await store.getSetting('risk.kellyFraction')).toBe(0.2);
      expect(await store.getSetting('nope')).toBeUndefined();
      expect((await store.listSettings()).map((s) => [s.key, s.value])).toEqual([
        ['risk.kellyFraction', 0.2],
        ['risk.tradeStrengths', ['STRONG']],
      ]);
      expect(await store.deleteSetting('risk.kellyFraction')).toBe(true);
      expect(await store.deleteSetting('risk.kellyFraction')).toBe(false);
    });

    it('records alert deliveries per target once each, and keeps the latest `limit` of a target', async () => {
      for (const id of ['a1', 'a2', 'a3', 'a2']) await store.recordAlertDelivery('slack', id);
      await store.recordAlertDelivery('discord', 'a1');
      expect(await store.deliveredAlerts('slack', 10)).toEqual(['a1', 'a2', 'a3']);
      expect(await store.deliveredAlerts('discord', 10)).toEqual(['a1']);
      expect(await store.deliveredAlerts('nobody', 10)).toEqual([]);
      // Past the limit the oldest of the target go, the other target's stay.
      expect(await store.deliveredAlerts('slack', 2)).toEqual(['a2', 'a3']);
      expect(await store.deliveredAlerts('slack', 10)).toEqual(['a2', 'a3']);
      expect(await store.deliveredAlerts('discord', 10)).toEqual(['a1']);
    });
  });
}

let dropDb: () => Promise<void> = async () => undefined;
storeSuite(
  `Postgres (${TEST_POSTGRES_URL})`,
  async () => {
    const db = await createTestDatabase('polyflow_store');
    dropDb = db.drop;
    return openStateStore({ kind: 'postgres', url: db.url });
  },
  () => dropDb(),
);
storeSuite('PGlite (in memory)', () => openStateStore({ kind: 'pglite', dir: undefined }), async () => undefined);

describe('migrations on a server', () => {
  it('two processes migrating at once apply each migration once (advisory lock)', async () => {
    const db = await createTestDatabase('polyflow_migrate');
    const a = new PgClient({ url: db.url });
    const b = new PgClient({ url: db.url });
    try {
      const [x, y] = await Promise.all([migrate(a), migrate(b)]);
      expect([...x, ...y].sort()).toEqual(readMigrations().map((m) => m.version));
      expect(await migrate(a)).toEqual([]);
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });
});
