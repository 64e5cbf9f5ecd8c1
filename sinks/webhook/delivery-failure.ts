import { HttpError, HttpNetworkError, HttpStatusError, HttpTimeoutError } from '../../runtime/http/http-errors.js';

/**
 * Why a delivery failed, for `dlq.alerts` and logs. HttpError messages carry the request URL, and
 * a webhook URL is a secret, so the reason is rebuilt from the error's fields; any text taken from
 * the error has the URL (and its origin) scrubbed.
 */
export function deliveryFailure(err: unknown, webhookUrl: string, maxRetryAfterMs: number): string {
  const scrub = (text: string): string => text.split(webhookUrl).join('<webhook>').split(originOf(webhookUrl)).join('<webhook>');
  const tries = (e: HttpError): string => `after ${e.attempts} attempt(s)`;
  if (err instanceof HttpStatusError) {
    if (err.retryAfterMs !== undefined && err.retryAfterMs > maxRetryAfterMs) {
      return `HTTP ${err.status}: Retry-After ${err.retryAfterMs} ms exceeds alerts.maxRetryAfterMs ${maxRetryAfterMs} ${tries(err)}`;
    }
    const body = scrub(err.body.slice(0, 120)).trim();
    return `HTTP ${err.status}${err.retriable ? '' : ' (not retriable)'} ${tries(err)}${body === '' ? '' : `: ${body}`}`;
  }
  if (err instanceof HttpTimeoutError) return `timeout: no response within ${err.timeoutMs} ms ${tries(err)}`;
  if (err instanceof HttpNetworkError) {
    const cause = err.cause instanceof Error ? ((err.cause.cause instanceof Error ? err.cause.cause.message : undefined) ?? err.cause.message) : '';
    return `network error ${tries(err)}${cause === '' ? '' : `: ${scrub(cause)}`}`;
  }
  if (err instanceof HttpError) return `${err.code} ${tries(err)}`;
  return `delivery error: ${scrub(err instanceof Error ? err.message : String(err))}`;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
