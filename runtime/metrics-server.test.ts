import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { serveMetrics, type MetricsServer } from './metrics-server.js';

let server: MetricsServer | undefined;
afterEach(async () => server?.close());

describe('serveMetrics', () => {
  it('serves the registry at GET /metrics in Prometheus text, and 404 elsewhere', async () => {
    const registry = new Registry();
    new Counter({ name: 'polyflow_test_things_total', help: 'things', registers: [registry] }).inc(3);
    server = await serveMetrics(registry, 0, '127.0.0.1');
    const ok = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain');
    expect(await ok.text()).toMatch(/^polyflow_test_things_total 3$/m);
    expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
  });
});
