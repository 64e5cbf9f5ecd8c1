import { describe, expect, it } from 'vitest';
import { marketId } from '../../schemas/ids.js';
import { MarketLinker, questionKeys } from './market-linker.js';

const FED = marketId('0xfed');
const BTC = marketId('0xbtc');
const LAL = marketId('0xlal');

describe('MarketLinker', () => {
  it('takes keywords and capitalised names from a question', () => {
    const k = questionKeys('Will Bitcoin reach $150,000 by December 31?');
    expect([...k.keywords]).toEqual(['bitcoin', '150', '000', '31'].filter((w) => w.length >= 3));
    expect([...k.entities]).toContain('bitcoin');
  });

  it('links an article naming a market entity and sharing enough keywords', () => {
    const linker = new MarketLinker();
    linker.add(FED, 'Will the Fed cut interest rates in June?');
    linker.add(BTC, 'Will Bitcoin hit a new all-time high in 2026?');
    linker.add(LAL, 'Will the Lakers win the NBA Finals?');
    expect(linker.link('Fed signals it may cut rates as inflation cools')).toEqual([FED]);
    expect(linker.link('Lakers clinch NBA Finals berth')).toEqual([LAL]);
    expect(linker.link('Interest in the rates debate grows')).toEqual([]); // keywords but no entity
    expect(linker.link('The Fed chair spoke on Tuesday')).toEqual([]); // entity, one keyword
    linker.remove(FED);
    expect(linker.link('Fed signals it may cut rates')).toEqual([]);
  });
});
