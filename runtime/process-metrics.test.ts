import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { collectProcessMetrics } from './process-metrics.js';

/** The value of an unlabelled sample in Prometheus text. */
const sample = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

describe('collectProcessMetrics', () => {
  it('reports a stall of the event loop since the last scrape, and the process CPU it took', async () => {
    const registry = new Registry();
    collectProcessMetrics(registry);
    // A first scrape resets the delay histogram: what follows is measured from here.
    await registry.metrics();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const blockedUntil = Date.now() + 120;
    while (Date.now() < blockedUntil);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const text = await registry.metrics();
    expect(sample(text, 'nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0.1);
    expect(sample(text, 'nodejs_eventloop_lag_p50_seconds')).toBeLessThan(0.1);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0.1);
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
    // Quiet since that scrape: the stall is no longer in the window.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sample(await registry.metrics(), 'nodejs_eventloop_lag_max_seconds')).toBeLessThan(0.1);
  });
});
