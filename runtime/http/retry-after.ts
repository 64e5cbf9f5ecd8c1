/**
 * A Retry-After header value -> milliseconds to wait (RFC 9110 §10.2.3): either delay-seconds
 * ("120"; a fraction is tolerated) or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"), relative to
 * `nowMs`. A date in the past means 0. Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // Only accept something that looks like a date: Date.parse is lenient with bare numbers.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
