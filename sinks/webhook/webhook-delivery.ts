/**
 * Delivers alerts to webhook targets through the shared HttpClient: one sequential queue per target
 * (its rate limit and any Retry-After hold back the alerts behind), retries with backoff, a per-target
 * token bucket, dedupe by alert id (bounded LRU; with a `log`, also across restarts),
 * `Idempotency-Key: <alert id>` for generic targets, and a dead letter with the reason for an alert
 * that cannot be delivered. `deliver` never rejects.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import { ALERT_SEVERITY_RANK, type Alert } from '../../schemas/alert.js';
import type { DeadLetter } from '../../schemas/dead-letter.js';
import { systemClock, type Clock } from '../../runtime/http/clock.js';
import { HostRateLimiter } from '../../runtime/http/host-rate-limiter.js';
import { HttpClient, type RetryPolicy } from '../../runtime/http/http-client.js';
import type { TokenBucketLimit } from '../../runtime/http/token-bucket.js';
import { deliveryFailure } from './delivery-failure.js';
import { RecentIds } from './recent-ids.js';
import { webhookPayload } from './webhook-payload.js';
import type { WebhookTarget } from './webhook-target.js';

/** Where deliveries are recorded, so that a restarted process does not send them again (the state store). */
export interface AlertDeliveryLog {
  /** The latest `limit` alert ids delivered to `target`, oldest first. */
  deliveredAlerts(target: string, limit: number): Promise<string[]>;
  recordAlertDelivery(target: string, alertId: string): Promise<void>;
}

export interface WebhookDeliveryOptions {
  readonly targets: readonly WebhookTarget[];
  readonly retry: RetryPolicy;
  /** Per attempt. */
  readonly timeoutMs: number;
  /** Per target. */
  readonly rateLimit: TokenBucketLimit;
  readonly dedupeCapacity: number;
  /** Alerts queued per target before new ones are dead-lettered. */
  readonly maxQueue: number;
  /** After this many alerts in a row could not be delivered, a target is skipped (alerts dead-lettered at once)... */
  readonly breakerFailures: number;
  /** ...for this long; then the next alert is tried again. Keeps a dead target from holding up every alert for its whole retry budget. */
  readonly breakerCooldownMs: number;
  readonly onDeadLetter: (dead: DeadLetter) => void;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly fetch?: typeof fetch;
  readonly logger?: Logger;
  /** Counters `polyflow_alerts_*_total` are registered here when given. */
  readonly registry?: Registry;
  /**
   * Each delivery is recorded here before it counts as done, and the latest `dedupeCapacity` per
   * target are read back first: an alert delivered before a crash, whose input offset was not yet
   * committed, is not sent again when the input is (Slack and Discord have no idempotency key).
   */
  readonly log?: AlertDeliveryLog;
}

interface TargetState {
  readonly target: WebhookTarget;
  readonly client: HttpClient;
  readonly sent: RecentIds;
  /** Delivered before this process started (from the log). */
  readonly recorded: Set<string>;
  /** Deliveries recorded since the log last kept only the latest `dedupeCapacity` of this target. */
  unpruned: number;
  tail: Promise<void>;
  queued: number;
  /** Alerts dead-lettered in a row (reset by a delivery). */
  failures: number;
  /** While the clock is before this, the target is skipped. */
  openUntil: number;
}

export class WebhookDelivery {
  private readonly targets: TargetState[];
  private readonly abort = new AbortController();
  private readonly clock: Clock;
  private readonly pending = new Set<Promise<void>>();
  private readonly delivered: Counter<'target'> | undefined;
  private readonly failed: Counter<'target'> | undefined;
  private readonly skipped: Counter<'target'> | undefined;
  /** The log's deliveries read back; every send waits for it. */
  private readonly loaded: Promise<void>;

  constructor(private readonly options: WebhookDeliveryOptions) {
    const clock = options.clock ?? systemClock;
    this.clock = clock;
    const rateLimiter = new HostRateLimiter({ defaultLimit: options.rateLimit, clock });
    this.targets = options.targets.map((target) => ({
      target,
      client: new HttpClient({
        // The full webhook URL is passed per request: a base URL would gain a trailing slash.
        baseUrl: new URL(target.webhookUrl).origin,
        timeoutMs: options.timeoutMs,
        retry: options.retry,
        rateLimiter,
        clock,
        ...(options.random === undefined ? {} : { random: options.random }),
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
        onRetry: (n) => options.logger?.warn({ target: target.name, attempt: n.attempt, delayMs: n.delayMs, code: n.error.code }, 'alert delivery retry'),
      }),
      sent: new RecentIds(options.dedupeCapacity),
      recorded: new Set<string>(),
      unpruned: 0,
      tail: Promise.resolve(),
      queued: 0,
      failures: 0,
      openUntil: 0,
    }));
    const counter = (name: string, help: string): Counter<'target'> | undefined =>
      options.registry === undefined ? undefined : new Counter({ name, help, labelNames: ['target'] as const, registers: [options.registry] });
    this.delivered = counter('polyflow_alerts_delivered_total', 'Alerts delivered per webhook target');
    this.failed = counter('polyflow_alerts_dead_letters_total', 'Alerts that could not be delivered (dlq.alerts) per webhook target');
    this.skipped = counter('polyflow_alerts_duplicates_total', 'Alerts not sent again because their id was already delivered or queued');
    this.loaded = this.readLog();
  }

  /** The deliveries the log holds, per target; a log that cannot be read is logged, and alerts go on. */
  private async readLog(): Promise<void> {
    const { log } = this.options;
    if (log === undefined) return;
    for (const state of this.targets) {
      try {
        for (const id of await log.deliveredAlerts(state.target.name, this.options.dedupeCapacity)) state.recorded.add(id);
      } catch (err) {
        this.options.logger?.error({ target: state.target.name, err: err instanceof Error ? err.message : String(err) }, 'delivered alerts not read back: alerts delivered before a restart may be sent again');
      }
    }
  }

  /** Queues `alert` for every target whose minimum severity it reaches; resolves when each is delivered or dead-lettered. */
  deliver(alert: Alert): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (const state of this.targets) {
      if (ALERT_SEVERITY_RANK[alert.severity] < ALERT_SEVERITY_RANK[state.target.minSeverity]) continue;
      if (state.sent.has(alert.id)) {
        this.skipped?.inc({ target: state.target.name });
        continue;
      }
      if (this.abort.signal.aborted) continue;
      if (state.queued >= this.options.maxQueue) {
        this.deadLetter(state, alert, `queue full: ${this.options.maxQueue} alerts already waiting for this target`);
        continue;
      }
      state.sent.add(alert.id);
      state.queued++;
      const job = state.tail.then(() => this.sendOnce(state, alert)).finally(() => state.queued--);
      state.tail = job;
      jobs.push(job);
    }
    const all = Promise.all(jobs).then(() => undefined);
    this.pending.add(all);
    void all.finally(() => this.pending.delete(all));
    return all;
  }

  /** Resolves once every alert handed over so far is delivered or dead-lettered. */
  async whenIdle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Stops: queued and in-flight alerts are abandoned (not dead-lettered: the bus may be closing). */
  close(): void {
    this.abort.abort(new Error('alert delivery closed'));
  }

  /** Sends `alert` unless the log says an earlier process delivered it. */
  private async sendOnce(state: TargetState, alert: Alert): Promise<void> {
    await this.loaded;
    if (state.recorded.has(alert.id)) {
      this.skipped?.inc({ target: state.target.name });
      return;
    }
    await this.send(state, alert);
  }

  private async send(state: TargetState, alert: Alert): Promise<void> {
    const { target, client } = state;
    if (this.abort.signal.aborted) return;
    if (this.clock.now() < state.openUntil) {
      state.sent.delete(alert.id);
      this.deadLetter(state, alert, `target skipped: ${state.failures} alerts in a row undelivered; trying again after ${new Date(state.openUntil).toISOString()}`, 'debug');
      return;
    }
    try {
      await client.request(target.webhookUrl, {
        method: 'POST',
        body: webhookPayload(target.kind, alert),
        headers: target.kind === 'generic' ? { 'idempotency-key': alert.id } : {},
        rateLimitKey: target.name,
        // Generic receivers dedupe on Idempotency-Key; Slack/Discord may show a retried message twice after a lost response.
        retryNonIdempotent: true,
        signal: this.abort.signal,
      });
      this.delivered?.inc({ target: target.name });
      state.failures = 0;
    } catch (err) {
      if (this.abort.signal.aborted) return;
      state.sent.delete(alert.id);
      if (++state.failures >= this.options.breakerFailures) state.openUntil = this.clock.now() + this.options.breakerCooldownMs;
      this.deadLetter(state, alert, deliveryFailure(err, target.webhookUrl, this.options.retry.maxRetryAfterMs));
      return;
    }
    await this.record(state, alert);
  }

  /**
   * Writes a delivery to the log (before the alert's input can be committed); a failure to write is
   * logged. Every `dedupeCapacity` deliveries the log keeps only the target's latest that many (its
   * read prunes), so a process that runs for months does not grow it without bound.
   */
  private async record(state: TargetState, alert: Alert): Promise<void> {
    const { log, logger } = this.options;
    if (log === undefined) return;
    const target = state.target.name;
    const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));
    try {
      await log.recordAlertDelivery(target, alert.id);
    } catch (err) {
      logger?.error({ target, alertId: alert.id, err: reason(err) }, 'delivered alert not recorded: a restart may send it again');
      return;
    }
    if (++state.unpruned < this.options.dedupeCapacity) return;
    state.unpruned = 0;
    await log.deliveredAlerts(target, this.options.dedupeCapacity).catch((err: unknown) => logger?.warn({ target, err: reason(err) }, 'older alert deliveries not pruned (tried again later)'));
  }

  private deadLetter(state: TargetState, alert: Alert, reason: string, level: 'warn' | 'debug' = 'warn'): void {
    this.failed?.inc({ target: state.target.name });
    this.options.logger?.[level]({ target: state.target.name, alertId: alert.id, reason }, 'alert not delivered');
    try {
      this.options.onDeadLetter({ source: `alerts.webhook.${state.target.name}`, reason, raw: JSON.stringify(alert), ts: alert.ts });
    } catch (err) {
      this.options.logger?.error({ target: state.target.name, alertId: alert.id, err: err instanceof Error ? err.message : String(err) }, 'dead letter not recorded');
    }
  }
}
