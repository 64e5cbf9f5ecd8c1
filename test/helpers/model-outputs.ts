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

/** Within a ten-thousandth of `scale` (default `expected` itself; at least 1e-4 absolute) of `expected`. */
const withinATenThousandth = (expected: number, scale = expected) =>
  expect.toSatisfy(
    (v: unknown) => typeof v === 'number' && Math.abs(v - expected) <= 1e-4 * Math.max(1, Math.abs(scale), Math.abs(expected)),
    `within a ten-thousandth of ${scale === expected ? expected : `${scale} of ${expected}`}`,
  );

/** A portfolio snapshot's P&L: a difference of amounts, so its rounding is that of the exposure it is taken on, not of itself. */
const PNL_FIELD = /^(realized|unrealized)Pnl$/;

/** Times (`ts`, `recvTs`, ...): matched exactly. */
const TIME_FIELD = /^ts$|Ts$/;

/**
 * `record` (an order, fill or portfolio snapshot) with every amount matched to a ten-thousandth of
 * its value and every other field (times included) exactly: a stake is sized from the edge of a
 * score, which float32 kernels round in the last bits differently with the batch size (see
 * scoresApprox): one such bit on a 2-cent edge moved a stake by 5e-6 of itself. A snapshot's P&L is
 * matched to a ten-thousandth of its exposure: on the sample, fills 5e-5 apart left an unrealized
 * P&L of -1,109,908 at -1,109,606 (micro-USD) on an exposure of 4,987,970,535.
 */
export const sizedApprox = <T extends object>(record: T): T => {
  const { exposure } = record as { exposure?: unknown };
  const pnlScale = typeof exposure === 'number' ? exposure : undefined;
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => {
      if (typeof v !== 'number' || TIME_FIELD.test(k)) return [k, v];
      return [k, pnlScale !== undefined && PNL_FIELD.test(k) ? withinATenThousandth(v, pnlScale) : withinATenThousandth(v)];
    }),
  ) as T;
};
