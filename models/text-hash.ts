/**
 * Hashed word n-grams of a market's question: the text model's input, computed here (dataset and
 * serving alike) so Python never re-implements the hashing. Lower-cased words of letters and
 * digits, unigrams and bigrams, FNV-1a 32-bit over the UTF-8 bytes, bucket = hash mod dims;
 * a bucket is 1 when any n-gram falls in it (binary bag of words).
 */
export const TEXT_HASH_DIMS = 2048;
export const TEXT_HASH_VERSION = 'fnv1a32-words-1-2-binary';

const encoder = new TextEncoder();

export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function questionWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Sorted distinct buckets that are set for `text`. */
export function textHashBuckets(text: string, dims: number = TEXT_HASH_DIMS): number[] {
  const words = questionWords(text);
  const set = new Set<number>();
  for (let i = 0; i < words.length; i++) {
    set.add(fnv1a32(words[i]!) % dims);
    if (i + 1 < words.length) set.add(fnv1a32(`${words[i]!} ${words[i + 1]!}`) % dims);
  }
  return [...set].sort((a, b) => a - b);
}

/** Dense row-major `texts.length × dims` float32 input of the text model. */
export function textHashMatrix(texts: readonly string[], dims: number = TEXT_HASH_DIMS): Float32Array {
  const out = new Float32Array(texts.length * dims);
  texts.forEach((t, r) => {
    for (const b of textHashBuckets(t, dims)) out[r * dims + b] = 1;
  });
  return out;
}
