import { expect } from 'vitest';

/** The fields of predictions and signals that carry a model score, or are computed from one. */
const SCORE_FIELDS: ReadonlySet<string> = new Set(['pModel', 'confidence', 'probability', 'edge']);

/**
 * `record` with its score fields matched to 6 decimals and every other field exactly: onnxruntime's
 * float32 kernels round a row's score in the last bits differently with the batch size (seen:
 * 0.8468102 against 0.8468103).
 */
export const scoresApprox = <T extends object>(record: T): T =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, SCORE_FIELDS.has(k) && typeof v === 'number' ? expect.closeTo(v, 6) : v])) as T;
