import { map, merge, Subscription } from 'rxjs';
import type { Logger } from 'pino';
import type { AlertInput } from '../operators/alert-of.js';
import { alertRules } from '../operators/alert-rules.js';
import type { Bus } from '../runtime/bus.js';
import type { Config } from '../runtime/config.js';
import { countEvents } from '../runtime/count-events.js';
import type { InFlight } from '../runtime/in-flight.js';
import type { PipelineMetrics } from '../runtime/metrics.js';
import type { Clock } from '../runtime/http/clock.js';
import { WebhookDelivery, type AlertDeliveryLog } from '../sinks/webhook/webhook-delivery.js';

export interface AlertsDeps {
  readonly metrics: PipelineMetrics;
  /** Deliveries count as in-flight work: a replay waits for them before its next record (a slow target slows the run, memory stays bounded). */
  readonly inFlight?: InFlight | undefined;
  /** Backoff, Retry-After and rate-limit waits; default the system clock. */
  readonly clock?: Clock | undefined;
  readonly fetch?: typeof fetch | undefined;
  readonly logger?: Logger | undefined;
  /** Deliveries recorded and read back across restarts (the state store, with `state.kind` on). */
  readonly log?: AlertDeliveryLog | undefined;
  /** Told the delivery once it exists (tests await `whenIdle()`). */
  readonly onDelivery?: ((delivery: WebhookDelivery) => void) | undefined;
}

/**
 * alerts: `signal.v1` + `fill.v1` + `risk.event` + `arbitrage.v1` + `whale.v1` -> alert rules ->
 * `alert.v1` and the webhook targets; alerts that cannot be delivered -> `dlq.alerts`.
 */
export function alertsPipeline(bus: Bus, config: Config, deps: AlertsDeps): Subscription {
  const a = config.alerts;
  const delivery = new WebhookDelivery({
    targets: a.targets,
    retry: { maxAttempts: a.maxAttempts, baseDelayMs: a.retryBaseMs, maxDelayMs: a.retryMaxMs, maxRetryAfterMs: a.maxRetryAfterMs },
    timeoutMs: a.timeoutMs,
    rateLimit: { capacity: a.rateBurst, refillPerSecond: a.ratePerSecond },
    dedupeCapacity: a.dedupeCapacity,
    maxQueue: a.maxQueue,
    breakerFailures: a.breakerFailures,
    breakerCooldownMs: a.breakerCooldownMs,
    onDeadLetter: (dead) => bus.publish('dlq.alerts', dead.source, dead),
    registry: deps.metrics.registry,
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
    ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
    ...(deps.logger === undefined ? {} : { logger: deps.logger.child({ component: 'alerts' }) }),
    ...(deps.log === undefined ? {} : { log: deps.log }),
  });
  deps.onDelivery?.(delivery);

  const running = merge(
    bus.topic('signal.v1').pipe(map((signal): AlertInput => ({ kind: 'signal', signal }))),
    bus.topic('fill.v1').pipe(map((fill): AlertInput => ({ kind: 'fill', fill }))),
    bus.topic('risk.event').pipe(map((risk): AlertInput => ({ kind: 'risk', risk }))),
    bus.topic('arbitrage.v1').pipe(map((arbitrage): AlertInput => ({ kind: 'arbitrage', arbitrage }))),
    bus.topic('whale.v1').pipe(map((whale): AlertInput => ({ kind: 'whale', whale }))),
  )
    .pipe(countEvents(deps.metrics, 'alerts', alertRules(a)))
    .subscribe((alert) => {
      bus.publish('alert.v1', alert.sourceEventId, alert);
      deps.inFlight?.begin();
      void delivery.deliver(alert).finally(() => deps.inFlight?.end());
    });
  running.add(() => delivery.close());
  return running;
}
