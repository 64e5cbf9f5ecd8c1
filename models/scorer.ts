import type { FeatureSpec } from '../schemas/feature-spec.js';

/**
 * A loaded model: scores feature vectors laid out in the order of `spec.names`. Every model the
 * pipeline runs (baseline, trees, MLP, ensemble) is used through this one interface.
 */
export interface Scorer {
  /** Version recorded in the artifact (registry key; goes into `Prediction.modelVersion`). */
  readonly modelVersion: string;
  /** The feature spec the model was trained on; equal to the live spec (checked at load). */
  readonly spec: FeatureSpec;
  /**
   * Row-major `nRows × spec.names.length` features (NaN where undefined) -> P(token pays 1) per
   * row, length `nRows`.
   */
  score(rows: Float32Array, nRows: number): Promise<Float32Array>;
}
