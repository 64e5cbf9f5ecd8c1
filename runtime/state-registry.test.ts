import { deserialize, serialize } from 'node:v8';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { orderBook } from '../operators/order-book.js';
import { stepOperator } from '../operators/step-operator.js';
import type { BookUpdate } from '../schemas/book-update.js';
import type { AssetId, MarketId } from '../schemas/ids.js';
import type { PriceMicros, SizeMicros } from '../schemas/units.js';
import { StateRegistry, stateSlot } from './state-registry.js';

const counter = (registry: StateRegistry) =>
  stepOperator(
    () => ({ n: 0, seen: new Map<string, number>() }),
    (s, x: string) => {
      s.n++;
      s.seen.set(x, (s.seen.get(x) ?? 0) + 1);
      return `${x}:${s.n}:${s.seen.get(x)}`;
    },
    { slot: stateSlot(registry, 'counter') },
  );

describe('StateRegistry', () => {
  it('a step operator restored from a structured clone of its snapshot goes on as if never stopped', () => {
    const first = new StateRegistry();
    const input = new Subject<string>();
    const out: string[] = [];
    const sub = input.pipe(counter(first)).subscribe((v) => out.push(v));
    input.next('a');
    input.next('b');
    input.next('a');
    const saved = serialize(first.snapshot());
    input.next('b');
    sub.unsubscribe();
    expect(first.snapshot().size).toBe(0); // detached on unsubscribe

    const second = new StateRegistry(deserialize(saved) as Map<string, unknown>);
    const resumed: string[] = [];
    const input2 = new Subject<string>();
    input2.pipe(counter(second)).subscribe((v) => resumed.push(v));
    expect(second.unclaimed()).toEqual([]);
    input2.next('b');
    expect(resumed).toEqual([out[3]]);
    expect(resumed).toEqual(['b:4:2']);
  });

  it('refuses one id attached twice, and reports restored ids nobody claimed', () => {
    const r = new StateRegistry(new Map([['gone', 1]]));
    const a = new Subject<string>();
    a.pipe(counter(r)).subscribe();
    let error: unknown;
    a.pipe(counter(r)).subscribe({ error: (e: unknown) => (error = e) });
    expect(String(error)).toMatch(/attached twice/);
    expect(r.unclaimed()).toEqual(['gone']);
  });

  it('restored order books get their class back, and views shared with another state stay the same object', () => {
    const asset = '7'.repeat(77) as AssetId;
    const market = `0x${'01'.repeat(32)}` as MarketId;
    const snap: BookUpdate = {
      kind: 'snapshot', assetId: asset, market, ts: 1, recvTs: 1, hash: 'h',
      bids: [{ price: 400_000 as PriceMicros, size: 5_000_000 as SizeMicros }],
      asks: [{ price: 420_000 as PriceMicros, size: 7_000_000 as SizeMicros }],
      tickSize: 10_000 as PriceMicros,
    } as unknown as BookUpdate;
    const reg = new StateRegistry();
    const input = new Subject<BookUpdate>();
    input.pipe(orderBook({}, stateSlot(reg, 'book'))).subscribe();
    input.next(snap);
    const books = reg.snapshot().get('book') as Map<AssetId, unknown>;
    // A second holder of the same book object, as the paper broker keeps views.
    const bytes = serialize(new Map<string, unknown>([['book', books], ['holder', { view: books.get(asset) }]]));
    const restored = deserialize(bytes) as Map<string, unknown>;
    const reg2 = new StateRegistry(restored);
    const changes: number[] = [];
    const input2 = new Subject<BookUpdate>();
    input2.pipe(orderBook({}, stateSlot(reg2, 'book'))).subscribe((c) => changes.push(c.book.bestAsk()));
    expect(reg2.unclaimed()).toEqual(['holder']);
    input2.next({ kind: 'delta', assetId: asset, market, ts: 2, recvTs: 2, hash: 'h2', changes: [{ side: 'ask', price: 410_000, size: 1_000_000 }] } as unknown as BookUpdate);
    expect(changes).toEqual([410_000]);
    const holder = restored.get('holder') as { view: { bestBid(): number } };
    expect(holder.view.bestBid()).toBe(400_000);
  });
});
