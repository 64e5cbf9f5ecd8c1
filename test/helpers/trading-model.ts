import { loadOnnxScorer, type OnnxScorer } from '../../models/onnx-scorer.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';

/**
 * The model the end-to-end tests trade with: the baseline logistic, which produces edges. The
 * shipped ensemble defers to the market price where evaluation showed no edge (everywhere, today)
 * and never trades, so tests of sizing, risk, fills and settlement pin this one. It is a test of
 * the mechanics, not a claim that the baseline has an edge (it has none).
 */
export const TRADING_MODEL_PATH = 'models/artifacts/baseline-logistic.onnx';

export const tradingScorer = (): Promise<OnnxScorer> => loadOnnxScorer(fromPackageRoot(TRADING_MODEL_PATH), FEATURE_SPEC);

/**
 * Trading settings under which the baseline trades often (every 2-cent edge, $100 stakes, 5 s
 * cooldowns): orders fill and the exposure caps bind, so where each prediction acts among the books
 * shows in the fills and the portfolio.
 */
export const LOOSE_TRADING_ENV: Readonly<Record<string, string>> = {
  POLYFLOW_SIGNAL_COOLDOWN_MS: '5000',
  POLYFLOW_SIGNAL_MIN_EDGE: '0.02',
  POLYFLOW_SIGNAL_MEDIUM_EDGE: '0.02',
  POLYFLOW_SIGNAL_STRONG_EDGE: '0.02',
  POLYFLOW_RISK_MAX_STAKE_USD: '100',
  POLYFLOW_RISK_MIN_ORDER_SHARES: '0',
};

/** Environment for a spawned CLI that should trade with the baseline. */
export const tradingEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  POLYFLOW_SCORING_MODEL_PATH: TRADING_MODEL_PATH,
  ...extra,
});
