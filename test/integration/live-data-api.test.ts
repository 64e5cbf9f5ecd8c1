/**
 * Data API wallet trades against a local fake (127.0.0.1): the large-trade stream and a tracked
 * wallet, paging, dedupe across polls, refused rows to the DLQ, 429 with Retry-After.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { liveHarness, T0, testMarket, type LiveHarness } from '../helpers/live-harness.js';
import { advanceUntil } from '../helpers/virtual-drive.js';

let h: LiveHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const WALLET = '0x56687bf447db6ffa42ffe2204a05edaa20f55839';

function row(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { conditionId, tokens } = testMarket(1);
  return {
    proxyWallet: WALLET,
    side: i % 2 === 0 ? 'BUY' : 'sell',
    asset: tokens[0],
    conditionId,
    size: 25_000 + i,
    price: 0.44,
    timestamp: T0 / 1000 - i,
    title: 'Will test market 1 resolve Yes?',
    outcome: 'Yes',
    outcomeIndex: 0,
    transactionHash: `0x${i.toString(16).padStart(64, '0')}`,
    ...extra,
  };
}

describe('live Data API wallet trades', () => {
  it('polls large trades and tracked wallets, dedupes across polls, pages bursts, dead-letters bad rows', async () => {
    h = await liveHarness({ markets: 1, live: { whaleMinUsd: 10_000, wallets: [WALLET.toUpperCase().replace('0X', '0x')] } });
    h.fake.trades = [row(0), row(1), { ...row(2), price: 'abc' }];
    await h.live.wallets.poll();
    const trades = h.fake.requests.filter((r) => r.path.startsWith('/trades'));
    expect(trades.map((r) => r.path)).toEqual([
      '/trades?filterType=CASH&filterAmount=10000&takerOnly=false&limit=500',
      `/trades?user=${WALLET}&takerOnly=false&limit=500`,
    ]);
    // Both streams see the same two rows; the wallet stream's copies are the same trades.
    expect(h.got.wallet.map((t) => [t.side, t.size, t.ts])).toEqual([
      ['SELL', 25_001_000_000, T0 - 1000],
      ['BUY', 25_000_000_000, T0],
    ]);
    expect(h.got.wallet[0]).toMatchObject({ wallet: WALLET, price: 440_000, market: testMarket(1).conditionId, assetId: testMarket(1).tokens[0] });
    expect(h.got.dead.map((d) => [d.source, d.reason])).toEqual([['ingest.data-api', 'price: not a price in (0,1): "abc"']]);

    // A burst: a full new page, then the page with the known rows.
    h.fake.trades = [...Array.from({ length: 500 }, (_, i) => row(1_000 + i, { timestamp: T0 / 1000 + 1_000 - i })), row(0), row(1)];
    await h.live.wallets.poll();
    expect(h.got.wallet).toHaveLength(502);
    // The large-trade stream reads on to the known rows; the wallet stream's first page is all known already.
    expect(h.fake.requests.filter((r) => r.path.includes('offset=500'))).toHaveLength(1);
    // Emitted oldest first within a poll.
    const burst = h.got.wallet.slice(2).map((t) => t.ts);
    expect(burst).toEqual([...burst].sort((x, y) => x - y));
  });

  it('waits out a 429 Retry-After on the virtual clock', async () => {
    h = await liveHarness({ markets: 1, live: { whaleMinUsd: 10_000 } });
    h.fake.trades = [row(0)];
    h.fake.failNext('/trades', [{ status: 429, headers: { 'retry-after': '3' } }]);
    let done = false;
    const poll = h.live.wallets.poll().then(() => (done = true));
    await advanceUntil(h.scheduler, () => done, 'the poll', 10_000, 250);
    await poll;
    const at = h.fake.requests.filter((r) => r.path.startsWith('/trades')).map((r) => r.at);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(3_000);
    expect(h.got.wallet).toHaveLength(1);
  });
});
