import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { measureStalls, parseProcessScrape, stallsBetween } from '../../bench/kafka/process-stalls.js';
import { serveMetrics } from '../../runtime/metrics-server.js';
import { collectProcessMetrics } from '../../runtime/process-metrics.js';
import { freePort } from '../helpers/free-port.js';

const scrapeText = (p99: number, max: number, minorGc: number, majorGc: number): string =>
  [
    '# TYPE nodejs_eventloop_lag_p99_seconds gauge',
    `nodejs_eventloop_lag_p99_seconds ${p99}`,
    `nodejs_eventloop_lag_max_seconds ${max}`,
    `nodejs_gc_duration_seconds_sum{kind="minor"} ${minorGc}`,
    `nodejs_gc_duration_seconds_count{kind="minor"} 40`,
    `nodejs_gc_duration_seconds_sum{kind="major"} ${majorGc}`,
    'polyflow_kafka_rebalances_total 1',
  ].join('\n');

describe('bench:kafka process stalls', () => {
  it("reads a scrape's event-loop delay and GC total, and tells a window's lateness past the sampling interval and GC share", () => {
    const first = parseProcessScrape(scrapeText(0.011, 0.02, 0.1, 0));
    const last = parseProcessScrape(scrapeText(0.034, 0.052, 0.2, 0.05));
    expect(last).toEqual({ loopP99: 0.034, loopMax: 0.052, gcSeconds: 0.25 });
    const stalls = stallsBetween('trade', first!, last!, 10);
    expect(stalls.pipeline).toBe('trade');
    expect(stalls.loopP99Ms).toBeCloseTo(24, 6);
    expect(stalls.loopMaxMs).toBeCloseTo(42, 6);
    expect(stalls.gcShare).toBeCloseTo(0.015, 9);
    // An idle loop samples at about its interval: no lateness, never below zero.
    expect(stallsBetween('x', first!, parseProcessScrape(scrapeText(0.0098, 0.0101, 0.1, 0))!, 1)).toMatchObject({ loopP99Ms: 0, loopMaxMs: expect.closeTo(0.1, 6), gcShare: 0 });
    expect(parseProcessScrape('polyflow_kafka_rebalances_total 1\n')).toBeUndefined();
  });

  it("measures a process's event-loop stall over the window through its /metrics, and leaves out one it cannot scrape", async () => {
    const registry = new Registry();
    collectProcessMetrics(registry);
    const server = await serveMetrics(registry, 0, '127.0.0.1');
    try {
      const end = await measureStalls(new Map([['features', server.port], ['gone', await freePort()]]));
      await new Promise((resolve) => setTimeout(resolve, 30));
      const blockedUntil = Date.now() + 100;
      while (Date.now() < blockedUntil);
      await new Promise((resolve) => setTimeout(resolve, 30));
      const stalls = await end();
      expect(stalls.map((s) => s.pipeline)).toEqual(['features']);
      expect(stalls[0]!.loopMaxMs).toBeGreaterThanOrEqual(80);
      expect(stalls[0]!.loopMaxMs).toBeLessThan(1_000);
      // A share of the window, from the GC total's difference between the two scrapes.
      expect(stalls[0]!.gcShare).toBeGreaterThanOrEqual(0);
      expect(stalls[0]!.gcShare).toBeLessThan(0.5);
    } finally {
      await server.close();
    }
  });
});
