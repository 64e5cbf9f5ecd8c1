import { PolyflowError } from '../../runtime/errors.js';
import { HttpNetworkError, HttpTimeoutError } from '../../runtime/http/http-errors.js';

/**
 * Turns a failed first request into the one line the CLI prints when a host cannot be reached,
 * e.g. `cannot reach https://gamma-api.polymarket.com (ENOTFOUND): check the network or
 * POLYMARKET_GAMMA_URL`. Other errors are returned unchanged.
 */
export function networkUnreachable(err: unknown, baseUrl: string, envName: string): unknown {
  if (!(err instanceof HttpNetworkError) && !(err instanceof HttpTimeoutError)) return err;
  const why = err instanceof HttpTimeoutError ? `no answer within ${err.timeoutMs} ms` : (errorCode(err) ?? rootMessage(err));
  let origin = baseUrl;
  try {
    origin = new URL(baseUrl).origin;
  } catch {
    // keep the configured text
  }
  return new PolyflowError('NETWORK_UNREACHABLE', `cannot reach ${origin} (${why}): check the network or ${envName}`, { retriable: true, cause: err });
}

/** The first system error code (ENOTFOUND, ECONNREFUSED...) along the cause chain. */
function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
  }
  return undefined;
}

/** The message of the deepest cause (e.g. undici's "bad port" under "fetch failed"). */
function rootMessage(err: unknown): string {
  let message = 'network error';
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) if (e !== err) message = e.message;
  return message;
}
