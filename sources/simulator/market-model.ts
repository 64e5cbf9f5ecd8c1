/**
 * Latent probability paths. Each event carries one latent state X; its markets are thresholds on it
 * (a single market has threshold 0, a ladder several), so sibling prices stay ordered and their
 * resolutions consistent. The true probability of market k is P(X_T > theta_k | now) =
 * Phi((X - theta_k) / sqrt(R)), R the variance still to arrive before resolution T, approximated as
 * sigmoid(1.702 z), so the market's logit moves as a random walk with per-market vol
 * and is pushed toward its outcome as R collapses near T. The remaining variance schedule is
 * ln R(tau) = h^2 tau + b ln tau + min(0, ln(tau / reveal)) (tau hours to resolution), whose
 * instantaneous variance rate h^2 + b / tau (+ 1 / tau in the reveal window) is the calibrated
 * vol^2(tau) = base^2 + C / tau of calibration.ts, in z units. Jumps (news) are added on top.
 */
import {
  CONVERGENCE_LOGIT_VAR_HOURS,
  JUMP_FRACTION_HOURLY,
  JUMP_LOGIT_HOURLY,
  JUMP_MEDIAN_ABS_LOGIT,
  MISPRICING_HALF_LIFE_MS,
  MISPRICING_LOGIT_SD,
  REVEAL_WINDOW_MS,
} from './calibration.js';
import type { Prng } from './prng.js';

/** logistic(1.702 z) is within 0.01 of the normal CDF Phi(z). */
export const PROBIT_TO_LOGIT = 1.702;
const HOUR = 3_600_000;
const B = CONVERGENCE_LOGIT_VAR_HOURS / (PROBIT_TO_LOGIT * PROBIT_TO_LOGIT);
const REVEAL_H = REVEAL_WINDOW_MS / HOUR;
const JUMP_RATE_PER_HOUR = -Math.log(1 - JUMP_FRACTION_HOURLY);
const JUMP_EXCESS_MEAN = (JUMP_MEDIAN_ABS_LOGIT - JUMP_LOGIT_HOURLY) / Math.LN2;

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** The latent state of one event, normalised by the current remaining variance (numbers stay small). */
export class LatentEvent {
  /** X / sqrt(R(now)). */
  private xn: number;
  /** Thresholds theta_k / sqrt(R(now)), one per market. */
  private readonly thetas: number[];
  private lnR: number;
  private t: number;
  private outcome: boolean[] | undefined;

  /**
   * @param hz quiet-phase vol of z per sqrt(hour) (the market's hourly logit vol / 1.702)
   * @param resolveTs when the event resolves (may be past the simulated horizon)
   * @param zs initial z of each market (logit(p0) / 1.702), in threshold order
   */
  constructor(
    private readonly hz: number,
    readonly resolveTs: number,
    startTs: number,
    zs: readonly number[],
  ) {
    this.t = startTs;
    this.lnR = this.lnRemaining(startTs);
    const top = zs[0] ?? 0;
    this.xn = top;
    this.thetas = zs.map((z) => top - z);
  }

  private lnRemaining(ts: number): number {
    const tau = Math.max(1e-9, (this.resolveTs - ts) / HOUR);
    return this.hz * this.hz * tau + B * Math.log(tau) + Math.min(0, Math.log(tau / REVEAL_H));
  }

  /** Moves the latent state to `ts` (ms, not before the last call, before resolution). */
  advance(ts: number, rng: Prng): void {
    if (ts <= this.t) return;
    const lnR1 = this.lnRemaining(ts);
    const rho = Math.exp(Math.min(700, this.lnR - lnR1));
    const s = Math.sqrt(rho);
    this.xn = this.xn * s + Math.sqrt(Math.max(0, rho - 1)) * rng.normal();
    for (let k = 0; k < this.thetas.length; k++) this.thetas[k] = (this.thetas[k] as number) * s;
    const hours = (ts - this.t) / HOUR;
    if (rng.chance(JUMP_RATE_PER_HOUR * hours)) {
      const size = (JUMP_LOGIT_HOURLY + rng.exp(JUMP_EXCESS_MEAN)) / PROBIT_TO_LOGIT;
      this.xn += rng.chance(0.5) ? size : -size;
    }
    this.lnR = lnR1;
    this.t = ts;
  }

  /** Logit of the true probability that market k resolves YES. */
  trueLogit(k: number): number {
    return PROBIT_TO_LOGIT * (this.xn - (this.thetas[k] as number));
  }

  /** Draws the remaining variance and fixes every market's outcome (call once, at resolution). */
  resolve(rng: Prng): readonly boolean[] {
    if (this.outcome === undefined) {
      const x = this.xn + rng.normal();
      this.outcome = this.thetas.map((th) => x > th);
    }
    return this.outcome;
  }
}

/** Short-lived mispricing of one market against its latent probability (OU in logit). */
export class Mispricing {
  private u = 0;
  private t: number;
  constructor(startTs: number, rng: Prng) {
    this.t = startTs;
    this.u = MISPRICING_LOGIT_SD * rng.normal();
  }
  advance(ts: number, rng: Prng): number {
    if (ts > this.t) {
      const decay = Math.pow(0.5, (ts - this.t) / MISPRICING_HALF_LIFE_MS);
      this.u = this.u * decay + MISPRICING_LOGIT_SD * Math.sqrt(1 - decay * decay) * rng.normal();
      this.t = ts;
    }
    return this.u;
  }
}
