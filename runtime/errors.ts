/**
 * One error hierarchy (kafkajs style): a stable `code` for logs and tests and a `retriable` flag
 * that retry logic reads. Bad data is not an exception: it becomes a dead letter.
 */
export class PolyflowError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, opts: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = opts.retriable ?? false;
  }
}

/** Configuration that cannot be used; the process stops before anything connects. */
export class ConfigError extends PolyflowError {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
  }
}

/** A file or directory the run was pointed at is missing or unreadable in a way retrying won't fix. */
export class InputError extends PolyflowError {
  constructor(message: string, cause?: unknown) {
    super('INPUT_INVALID', message, { cause });
  }
}
