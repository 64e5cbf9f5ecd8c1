/**
 * kafkajs 2.2.4's request queue arms a timer after every response, whether a request waits or not:
 * with no client-side throttle its delay is `throttledUntil - Date.now()` = `-1 - Date.now()`, which
 * node turns into 1 ms, and the timer arms the next one. So each broker connection wakes its process
 * about 1,000 times a second for as long as it is open (kafkajs issues #1556, #1704; node 24 warns
 * `TimeoutNegativeWarning` for it). Measured here (Node 20, one idle producer connection to the mock
 * cluster): 1,794 timers in 2 s and 5% of a core; a pipeline process holds several connections.
 *
 * The replacement arms the check only when it can have work: requests wait (at the throttle's end,
 * or after kafkajs's own 10 ms when the throttle is over or marginal), or a throttle is in effect.
 * Nothing else changes: a request pushed onto an idle queue is sent at once or queued with a check
 * armed, and a response checks the queue before it completes, as before. With any other kafkajs
 * version nothing is touched.
 */
import { isPatchedKafkajs, requireKafkajs } from './kafkajs-internals.js';

const REQUEST_QUEUE_MODULE = 'kafkajs/src/network/requestQueue/index.js';
/** kafkajs's CHECK_PENDING_REQUESTS_INTERVAL. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** The part of kafkajs's RequestQueue that the check uses. */
export interface RequestQueueLike {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

function scheduleCheckPendingRequests(this: RequestQueueLike): void {
  if (this.throttleCheckTimeoutId) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  if (this.pending.length === 0 && untilUnthrottled <= 0) return;
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
  );
}

/** Whether the check's scheduling is kafkajs 2.2.4's replaced one ('unsupported': another release, its own). */
export type RequestQueueCheckState = 'installed' | 'unsupported';

/** Replaces the check's scheduling on kafkajs 2.2.4's RequestQueue; on another version nothing changes. */
function installRequestQueueCheck(): RequestQueueCheckState {
  if (!isPatchedKafkajs()) return 'unsupported';
  const RequestQueue = requireKafkajs(REQUEST_QUEUE_MODULE) as { prototype: RequestQueueLike };
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  return 'installed';
}

/** Installed at load (a prototype method, so connections made before or after see it); createKafka warns when it is not. */
export const requestQueueCheck = installRequestQueueCheck();
