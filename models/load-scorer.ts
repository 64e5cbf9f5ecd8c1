import type { FeatureSpec } from '../schemas/feature-spec.js';
import { loadEnsembleScorer, type EnsembleScorer } from './ensemble-scorer.js';
import { loadOnnxScorer, type OnnxScorer } from './onnx-scorer.js';

/** `scoring.modelPath`: an ensemble manifest (`.json`) or a single ONNX model (`.onnx`). */
export function loadScorer(path: string, spec: FeatureSpec): Promise<OnnxScorer | EnsembleScorer> {
  return path.endsWith('.json') ? loadEnsembleScorer(path, spec) : loadOnnxScorer(path, spec);
}
