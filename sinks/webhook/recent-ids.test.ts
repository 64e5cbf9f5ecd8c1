import { describe, expect, it } from 'vitest';
import { RecentIds } from './recent-ids.js';

describe('RecentIds', () => {
  it('forgets the least recently used id past its capacity', () => {
    const ids = new RecentIds(2);
    ids.add('a');
    ids.add('b');
    expect(ids.has('a')).toBe(true); // a is now more recent than b
    ids.add('c');
    expect(ids.has('b')).toBe(false);
    expect(ids.has('a')).toBe(true);
    expect(ids.has('c')).toBe(true);
    expect(ids.size).toBe(2);
    ids.delete('a');
    expect(ids.has('a')).toBe(false);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new RecentIds(0)).toThrow(RangeError);
  });
});
