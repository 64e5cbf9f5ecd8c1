import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { seriesValue } from '../test/helpers/prometheus-text.js';
import { collectProcessMetrics } from './process-metrics.js';

const sample = (text: string, name: string): number => seriesValue(text, name) ?? Number.NaN;

describe('collectProcessMetrics', () => {
  it('reports a stall of the event loop since the last scrape, and the process CPU it took', async () => {
    const registry = new Registry();
    collectProcessMetrics(registry);
    // A first scrape resets the delay histogram: what follows is measured from here.
    const before = await registry.metrics();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Busy until 120 ms of CPU are spent (at least as long in wall time, however loaded the machine).
    const cpuAtStart = process.cpuUsage();
    while ((({ user, system }) => user + system)(process.cpuUsage(cpuAtStart)) < 120_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const text = await registry.metrics();
    expect(sample(text, 'nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0.1);
    expect(sample(text, 'nodejs_eventloop_lag_p50_seconds')).toBeLessThan(0.1);
    // Those 120 ms are in the process's CPU counter.
    expect(sample(text, 'process_cpu_seconds_total') - sample(before, 'process_cpu_seconds_total')).toBeGreaterThanOrEqual(0.1);
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
    // Quiet since that scrape: the stall is no longer in the window.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sample(await registry.metrics(), 'nodejs_eventloop_lag_max_seconds')).toBeLessThan(0.1);
  });
});
