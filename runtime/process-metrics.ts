import { collectDefaultMetrics, type Registry } from 'prom-client';

/** GC pause buckets (s): a young-generation scavenge takes milliseconds, a full collection more. */
const GC_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1];

/**
 * Node's own metrics of a long-running process on its registry (prom-client's defaults, under their
 * usual names): CPU, memory and heap, `nodejs_eventloop_lag_{min,max,mean,p50,p90,p99}_seconds`
 * (the delay the event loop had since the previous scrape) and `nodejs_gc_duration_seconds{kind}`.
 * A pipeline's latency tail is mostly there: every record waits out a GC pause or a stall of its
 * process's event loop. Once per process (each call adds a GC observer and a delay monitor).
 */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10, gcDurationBuckets: GC_BUCKETS });
}
