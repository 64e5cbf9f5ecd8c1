import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RequestQueueLike } from './kafkajs-request-queue.js';

// kafkajs's own scheduling, taken before the fix replaces it on the prototype.
const require = createRequire(import.meta.url);
interface RequestQueue extends RequestQueueLike {
  inflight: Map<number, unknown>;
  push(request: { entry: Entry; expectResponse: boolean; sendRequest: () => void }): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
}
type RequestQueueClass = { prototype: RequestQueueLike } & (new (options: Record<string, unknown>) => RequestQueue);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as RequestQueueClass;
const stockSchedule = RequestQueue.prototype.scheduleCheckPendingRequests;
await import('./kafkajs.js');

interface Entry {
  correlationId: number;
  apiKey: number;
  apiName: string;
  apiVersion: number;
  resolve: (response: unknown) => void;
  reject: (error: unknown) => void;
}

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const queue = (maxInFlightRequests: number | null): RequestQueue =>
  new RequestQueue({ maxInFlightRequests, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'test', broker: 'b:1', logger: quiet });

/** Pushes a request that expects a response; `sent` counts its sends. */
function request(into: RequestQueue, correlationId: number): { sent: () => number; resolved: () => boolean } {
  let sent = 0;
  let resolved = false;
  const entry: Entry = { correlationId, apiKey: 1, apiName: 'Fetch', apiVersion: 11, resolve: () => (resolved = true), reject: () => undefined };
  into.push({ entry, expectResponse: true, sendRequest: () => sent++ });
  return { sent: () => sent, resolved: () => resolved };
}
const respond = (to: RequestQueue, correlationId: number): void => to.fulfillRequest({ correlationId, payload: Buffer.alloc(0), size: 0 });

beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: 1_796_600_000_000 }));
afterEach(() => vi.useRealTimers());

describe("kafkajs's request queue check", () => {
  it('is installed on kafkajs 2.2.4 by importing the client', () => {
    expect(RequestQueue.prototype.scheduleCheckPendingRequests).not.toBe(stockSchedule);
  });

  it('arms no timer after a response when nothing waits (kafkajs arms one at 1 ms, over and over)', () => {
    const q = queue(null);
    const first = request(q, 1);
    expect(first.sent()).toBe(1);
    respond(q, 1);
    expect(first.resolved()).toBe(true);
    expect(q.throttleCheckTimeoutId).toBeNull();
    expect(vi.getTimerCount()).toBe(0);

    // The same response on kafkajs's own scheduling: a timer that re-arms itself every millisecond.
    const stock = queue(null);
    stock.scheduleCheckPendingRequests = stockSchedule;
    request(stock, 1);
    respond(stock, 1);
    let fired = 0;
    const check = stock.checkPendingRequests.bind(stock);
    stock.checkPendingRequests = () => (fired++, check());
    vi.advanceTimersByTime(50);
    expect(fired).toBeGreaterThanOrEqual(49);
    expect(vi.getTimerCount()).toBe(1);
    stock.destroy();
  });

  it('sends a request queued behind a throttle when the throttle ends, then goes idle', () => {
    const q = queue(null);
    q.maybeThrottle(40);
    const throttled = request(q, 1);
    expect(throttled.sent()).toBe(0);
    vi.advanceTimersByTime(39);
    expect(throttled.sent()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(throttled.sent()).toBe(1);
    respond(q, 1);
    expect(throttled.resolved()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends a request held by the in-flight limit when a response frees a slot, then goes idle', () => {
    const q = queue(1);
    const a = request(q, 1);
    const b = request(q, 2);
    expect([a.sent(), b.sent()]).toEqual([1, 0]);
    respond(q, 1);
    expect(b.sent()).toBe(1);
    vi.advanceTimersByTime(10); // the check armed when b was queued finds nothing and arms no other
    expect(vi.getTimerCount()).toBe(0);
    respond(q, 2);
    expect([a.resolved(), b.resolved()]).toEqual([true, true]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('checks again after 10 ms when requests wait and the throttle is already over', () => {
    const q = queue(1);
    request(q, 1);
    const held = request(q, 2);
    q.inflight.clear(); // a slot freed without a response (kafkajs's request timeout path checks itself)
    vi.advanceTimersByTime(9);
    expect(held.sent()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(held.sent()).toBe(1);
  });
});
