import { PolyflowError } from '../runtime/errors.js';

/** The artifact was trained on another feature spec (hash or feature count differ): never scored. */
export class ModelSpecMismatchError extends PolyflowError {
  constructor(message: string) {
    super('MODEL_SPEC_MISMATCH', message, { retriable: false });
  }
}

/** The artifact cannot be used: unreadable, missing metadata, or an input/output it does not have. */
export class ModelLoadError extends PolyflowError {
  constructor(message: string, cause?: unknown) {
    super('MODEL_LOAD_FAILED', message, { retriable: false, cause });
  }
}
