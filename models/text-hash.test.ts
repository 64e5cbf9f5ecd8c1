import { describe, expect, it } from 'vitest';
import { fnv1a32, questionWords, textHashBuckets, textHashMatrix } from './text-hash.js';

describe('text hashing', () => {
  it('FNV-1a 32 matches the published test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });
  it('lower-cased words, unigrams and bigrams, distinct sorted buckets', () => {
    expect(questionWords('Will BTC be > $102,000?')).toEqual(['will', 'btc', 'be', '102', '000']);
    const b = textHashBuckets('Will it rain', 1 << 30);
    const expected = ['will', 'it', 'rain', 'will it', 'it rain'].map((w) => fnv1a32(w) % (1 << 30)).sort((x, y) => x - y);
    expect(b).toEqual(expected);
    const m = textHashMatrix(['a a', ''], 8);
    expect(Array.from(m.slice(0, 8)).filter((v) => v === 1)).toHaveLength(textHashBuckets('a a', 8).length);
    expect(Array.from(m.slice(8)).every((v) => v === 0)).toBe(true);
  });
});
