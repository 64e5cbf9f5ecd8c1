import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { analyticsEnvOverrides, ConfigSchema, envOverrides, liveEnvOverrides, loadConfig } from '../../runtime/config.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { collectProcessMetrics } from '../../runtime/process-metrics.js';

/*
 * docker-compose.yml cannot be started here (no Docker engine): it is parsed and checked against
 * the code instead: every env var is one the config reads, mounted files exist, ports line up with
 * the Grafana data sources and Prometheus targets, and dashboards use metric names the code registers.
 */
const root = fromPackageRoot('.');
const yamlFile = <T>(path: string): T => parse(readFileSync(join(root, path), 'utf8')) as T;

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  command?: string[];
  depends_on?: unknown;
}
const compose = yamlFile<{ services: Record<string, Service>; volumes: Record<string, unknown> }>('docker-compose.yml');
const services = compose.services;

describe('docker-compose.yml (parsed, not started: no Docker engine here)', () => {
  it('has the services of DESIGN §5 (Kafka, Schema Registry and the pipeline processes: see kafka-compose.test.ts)', () => {
    expect(Object.keys(services).filter((name) => !name.startsWith('polyflow-')).sort()).toEqual(['clickhouse', 'grafana', 'kafka', 'polyflow', 'postgres', 'prometheus', 'schema-registry']);
    expect(readFileSync(join(root, 'docker-compose.yml'), 'utf8')).toMatch(/Kafka.*Schema Registry/);
  });

  it('runs polyflow from the Dockerfile with env vars the config understands', () => {
    const p = services['polyflow'];
    expect(p?.build?.dockerfile).toBe('Dockerfile');
    expect(existsSync(join(root, 'Dockerfile'))).toBe(true);
    const env = p?.environment ?? {};
    expect(env['CLICKHOUSE_URL']).toBe('http://clickhouse:8123');
    const known = new Set(['CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL']);
    for (const name of Object.keys(env)) {
      if (known.has(name)) continue;
      expect(name, `${name}: POLYFLOW_<SECTION>_<FIELD>`).toMatch(/^POLYFLOW_/);
      expect(Object.keys(envOverrides({ [name]: env[name] })), `${name} maps to a config field`).toHaveLength(1);
    }
    const config = loadConfig({ env: env as NodeJS.ProcessEnv });
    expect(config.analytics).toMatchObject({ mode: 'clickhouse', url: 'http://clickhouse:8123', username: env['CLICKHOUSE_USER'], password: env['CLICKHOUSE_PASSWORD'] });
    expect(analyticsEnvOverrides({})).toEqual({});
    expect(liveEnvOverrides({})).toEqual({});
    expect(ConfigSchema.parse({}).analytics.mode).toBe('files');
    expect(p?.command?.[0]).toBe('replay');
    expect(existsSync(join(root, p?.command?.[1] ?? 'missing'))).toBe(true);
  });

  it('ClickHouse credentials and ports agree between the server, polyflow and the Grafana data source', () => {
    const ch = services['clickhouse'];
    expect(ch?.ports).toEqual(expect.arrayContaining(['8123:8123', '9000:9000']));
    const ds = yamlFile<{ datasources: { uid: string; type: string; url?: string; jsonData?: Record<string, unknown>; secureJsonData?: Record<string, string> }[] }>(
      'infra/grafana/provisioning/datasources/datasources.yml',
    ).datasources;
    const chds = ds.find((d) => d.type === 'grafana-clickhouse-datasource');
    expect(chds?.jsonData).toMatchObject({ host: 'clickhouse', port: 9000, protocol: 'native', username: ch?.environment?.['CLICKHOUSE_USER'] });
    expect(chds?.secureJsonData?.['password']).toBe(ch?.environment?.['CLICKHOUSE_PASSWORD']);
    expect(services['polyflow']?.environment?.['CLICKHOUSE_PASSWORD']).toBe(ch?.environment?.['CLICKHOUSE_PASSWORD']);
    const prom = ds.find((d) => d.type === 'prometheus');
    expect(prom?.url).toBe(`http://prometheus:${services['prometheus']?.ports?.[0]?.split(':')[1]}`);
    expect(services['grafana']?.environment?.['GF_INSTALL_PLUGINS']).toContain('grafana-clickhouse-datasource');
    // every dashboard panel points at a provisioned data source uid
    const uids = new Set(ds.map((d) => d.uid));
    for (const file of readdirSync(join(root, 'infra/grafana/dashboards'))) {
      const text = readFileSync(join(root, 'infra/grafana/dashboards', file), 'utf8');
      for (const m of text.matchAll(/"uid": "([^"]+)"/g)) if (m[1] !== JSON.parse(text).uid) expect(uids.has(m[1] ?? ''), `${file}: uid ${m[1]}`).toBe(true);
    }
  });

  it('every bind-mounted file or folder exists and named volumes are declared', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const v of svc.volumes ?? []) {
        const [src] = v.split(':');
        if (src === undefined) continue;
        if (src.startsWith('./')) expect(existsSync(join(root, src)), `${name}: ${src}`).toBe(true);
        else expect(compose.volumes, `${name}: volume ${src}`).toHaveProperty(src);
      }
    }
    expect(readdirSync(join(root, 'infra/grafana/dashboards')).filter((f) => f.endsWith('.json')).length).toBeGreaterThanOrEqual(2);
    const providers = yamlFile<{ providers: { options: { path: string } }[] }>('infra/grafana/provisioning/dashboards/dashboards.yml').providers;
    const grafanaMounts = (services['grafana']?.volumes ?? []).map((v) => v.split(':')[1]);
    for (const p of providers) expect(grafanaMounts).toContain(p.options.path);
  });

  it('Prometheus scrapes polyflow on the port the service exposes, and dashboards use metric names the code registers', () => {
    const prom = yamlFile<{ scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] }>('infra/prometheus/prometheus.yml');
    const target = prom.scrape_configs.find((s) => s.job_name === 'polyflow')?.static_configs[0]?.targets[0];
    expect(target).toBe(`polyflow:${services['polyflow']?.ports?.[0]?.split(':')[1]}`);
    expect(services['prometheus']?.volumes).toContain('./infra/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');

    const registered = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
          for (const m of readFileSync(join(root, path), 'utf8').matchAll(/name: '(polyflow_[a-z0-9_]+)'/g)) registered.add(m[1] ?? '');
        }
      }
    };
    for (const dir of ['runtime', 'sinks', 'sources', 'operators', 'pipelines', 'models', 'bin']) if (existsSync(join(root, dir))) walk(dir);
    const dash = JSON.parse(readFileSync(join(root, 'infra/grafana/dashboards/polyflow-pipeline.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const used = dash.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/polyflow_[a-z0-9_]+/g)].map((m) => m[0])));
    expect(used.length).toBeGreaterThan(10);
    for (const name of used) expect(registered.has(name.replace(/_(bucket|sum|count)$/, '')), name).toBe(true);
    for (const name of ['polyflow_clickhouse_buffer_rows', 'polyflow_clickhouse_rows_written_total', 'polyflow_kafka_consumer_lag_records', 'polyflow_kafka_order_waits_total']) expect(used).toContain(name);
    // The processes' own metrics (Node's, as every `polyflow run` and `live` process registers them).
    const processRegistry = new Registry();
    collectProcessMetrics(processRegistry);
    const processUsed = dash.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b(?:nodejs|process)_[a-z0-9_]+/g)].map((m) => m[0])));
    expect(processUsed).toEqual(expect.arrayContaining(['nodejs_eventloop_lag_p99_seconds', 'nodejs_gc_duration_seconds_sum', 'process_cpu_seconds_total']));
    for (const name of processUsed) expect(processRegistry.getSingleMetric(name.replace(/_(bucket|sum|count)$/, '')), name).toBeDefined();
  });
});
