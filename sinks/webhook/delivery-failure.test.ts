import { describe, expect, it } from 'vitest';
import { HttpNetworkError, HttpStatusError, HttpTimeoutError } from '../../runtime/http/http-errors.js';
import { deliveryFailure } from './delivery-failure.js';

const URL_ = 'https://hooks.example.com/services/T000/B000/very-secret-token';
const info = { method: 'POST', url: URL_, attempts: 3 };

describe('deliveryFailure', () => {
  it('states the reason without the webhook URL', () => {
    const reasons = [
      deliveryFailure(new HttpStatusError(404, `no hook at ${URL_}`, { ...info, attempts: 1 }), URL_, 60_000),
      deliveryFailure(new HttpStatusError(429, '', info, 600_000), URL_, 60_000),
      deliveryFailure(new HttpTimeoutError(250, info), URL_, 60_000),
      deliveryFailure(new HttpNetworkError(info, new Error(`fetch failed ${URL_}`)), URL_, 60_000),
      deliveryFailure(new Error(`boom ${URL_}`), URL_, 60_000),
    ];
    expect(reasons[0]).toBe('HTTP 404 (not retriable) after 1 attempt(s): no hook at <webhook>');
    expect(reasons[1]).toBe('HTTP 429: Retry-After 600000 ms exceeds alerts.maxRetryAfterMs 60000 after 3 attempt(s)');
    expect(reasons[2]).toBe('timeout: no response within 250 ms after 3 attempt(s)');
    for (const r of reasons) expect(r).not.toContain('very-secret-token');
  });
});
