import { describe, expect, it } from 'vitest';
import { parseWalletTradeRow } from './wallet-trade-row.js';

const ROW = {
  proxyWallet: '0x56687BF447DB6FFA42FFE2204A05EDAA20F55839',
  side: 'buy',
  asset: '48331043336612883890938759509493159234755048973500640148014422747788308965732',
  conditionId: `0x${'5a'.repeat(32)}`,
  size: 25000.5,
  price: 0.44,
  timestamp: 1767225602,
  transactionHash: '0x9c0e',
};

describe('parseWalletTradeRow', () => {
  it('reads a /trades row into micro-units, ms and an upper-case side', () => {
    const r = parseWalletTradeRow(ROW);
    expect(r).toMatchObject({
      ok: true,
      trade: { wallet: ROW.proxyWallet.toLowerCase(), side: 'BUY', price: 440_000, size: 25_000_500_000, ts: 1_767_225_602_000, transactionHash: '0x9c0e' },
    });
    expect(parseWalletTradeRow({ ...ROW, price: '0.44', size: '25000.5' })).toEqual(r);
  });

  it('refuses what it cannot trust, saying why', () => {
    expect(parseWalletTradeRow({ ...ROW, price: 1.2 })).toEqual({ ok: false, reason: 'price: not a price in (0,1): 1.2' });
    expect(parseWalletTradeRow({ ...ROW, side: 'HOLD' })).toMatchObject({ ok: false, reason: 'side: expected BUY or SELL: "HOLD"' });
    expect(parseWalletTradeRow({ ...ROW, timestamp: 1.5 })).toMatchObject({ ok: false });
    expect(parseWalletTradeRow({ ...ROW, conditionId: '0x12' })).toMatchObject({ ok: false });
    expect(parseWalletTradeRow(null)).toEqual({ ok: false, reason: 'row: expected object' });
  });
});
