import { describe, expect, it } from 'vitest';
import { RecentIds, recordId } from './recent-ids.js';

describe('RecentIds', () => {
  it('reports an id seen before as a repeat, and a new one as new', () => {
    const ids = new RecentIds(3);
    expect(ids.seen('a')).toBe(false);
    expect(ids.seen('b')).toBe(false);
    expect(ids.seen('a')).toBe(true);
    expect(ids.size).toBe(2);
  });

  it('forgets the oldest id past its capacity, and only that one', () => {
    const ids = new RecentIds(2);
    ids.seen('a');
    ids.seen('b');
    ids.seen('c');
    expect(ids.size).toBe(2);
    expect(ids.seen('b')).toBe(true);
    expect(ids.seen('c')).toBe(true);
    expect(ids.seen('a')).toBe(false);
  });

  it('starts over when cleared', () => {
    const ids = new RecentIds(2);
    ids.seen('a');
    ids.clear();
    expect(ids.seen('a')).toBe(false);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RecentIds(0)).toThrow(/positive integer/);
  });
});

describe('recordId', () => {
  it('is the string id of a record, undefined for records without one', () => {
    expect(recordId({ id: 'f-1', x: 1 })).toBe('f-1');
    expect(recordId({ assetId: 'a', ts: 1 })).toBeUndefined();
    expect(recordId({ id: '' })).toBeUndefined();
    expect(recordId(null)).toBeUndefined();
  });
});
