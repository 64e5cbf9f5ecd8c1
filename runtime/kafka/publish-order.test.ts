import { describe, expect, it } from 'vitest';
import type { TopicName } from '../../schemas/topics.js';
import { PublishOrder } from './publish-order.js';

describe('PublishOrder', () => {
  const read = new Set<TopicName>(['pm.book', 'pm.trade']);
  const order = () => new PublishOrder<string>((t) => read.has(t));

  it('releases records in publish order whatever order they come back in', () => {
    const o = order();
    const [a, b, c] = [o.assign('pm.book'), o.assign('pm.trade'), o.assign('pm.book')];
    expect(o.receive(c, 'c')).toEqual([]);
    expect(o.receive(b, 'b')).toEqual([]);
    expect(o.waiting).toBe(2);
    expect(o.receive(a, 'a')).toEqual(['a', 'b', 'c']);
    expect(o.waiting).toBe(0);
  });

  it('skips records of topics nobody here reads, and undecodable ones', () => {
    const o = order();
    const a = o.assign('pm.book');
    o.assign('features.v1'); // never comes back: not subscribed
    const c = o.assign('pm.trade');
    const d = o.assign('pm.book');
    expect(o.receive(c, null)).toEqual([]);
    expect(o.receive(d, 'd')).toEqual([]);
    expect(o.receive(a, 'a')).toEqual(['a', 'd']);
  });
});
