import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KAFKA_PIPELINES } from '../../pipelines/consumer-groups.js';
import { envOverrides, loadConfig } from '../../runtime/config.js';
import { fromPackageRoot } from '../../runtime/package-root.js';

// docker-compose.yml's Kafka and Schema Registry, parsed and checked against the code (no Docker engine here).
interface Service {
  image?: string;
  environment?: Record<string, string | number>;
  ports?: string[];
  command?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}
interface ScrapeConfig {
  job_name: string;
  static_configs?: { targets: string[] }[];
  dns_sd_configs?: { names: string[]; type: string; port: number }[];
  relabel_configs?: Record<string, unknown>[];
}
const text = readFileSync(fromPackageRoot('docker-compose.yml'), 'utf8');
const compose = parse(text) as { services: Record<string, Service> };
// As compose reads it: YAML merge keys (`<<: *pipeline`) applied.
const merged = parse(text, { merge: true }) as { services: Record<string, Service> };
/** `${NAME:-default}` as compose interpolates it with NAME unset. */
const interpolated = (value: string): string => value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
const env = (name: string): Record<string, string> => Object.fromEntries(Object.entries(compose.services[name]?.environment ?? {}).map(([k, v]) => [k, String(v)]));

describe('docker-compose.yml: Kafka (KRaft) and Schema Registry', () => {
  it('runs one KRaft node that is broker and controller, with an internal listener for the other services', () => {
    const kafka = env('kafka');
    expect(kafka['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    expect(kafka['KAFKA_CONTROLLER_QUORUM_VOTERS']).toBe(`${kafka['KAFKA_NODE_ID']}@kafka:9093`);
    expect(kafka['KAFKA_ADVERTISED_LISTENERS']).toContain('INTERNAL://kafka:19092');
    expect(kafka['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR']).toBe('1');
    expect(compose.services['kafka']?.ports).toContain('9092:9092');
  });

  it('points the registry and polyflow at that listener, and the config reads them', () => {
    const registry = env('schema-registry');
    expect(registry['SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS']).toBe('PLAINTEXT://kafka:19092');
    const port = compose.services['schema-registry']?.ports?.[0]?.split(':')[1];
    const polyflow = env('polyflow');
    expect(polyflow['SCHEMA_REGISTRY_URL']).toBe(`http://schema-registry:${port}`);
    const config = loadConfig({ env: polyflow as NodeJS.ProcessEnv });
    expect(config.kafka.brokers).toEqual(['kafka:19092']);
    expect(config.kafka.schemaRegistryUrl).toBe(`http://schema-registry:${port}`);
    expect(registry['SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL']).toBe('backward');
  });

  it('runs every pipeline of DESIGN §1, and the drift monitor, as its own process on the broker (profile kafka), with env the config reads', () => {
    const pipelines = ['ingest', ...KAFKA_PIPELINES];
    const prometheus = parse(readFileSync(fromPackageRoot('infra/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: ScrapeConfig[] };
    // Every replica of a scaled pipeline (`--scale`) is a target of its own: DNS A records of the service, not one static name.
    const pipelineScrape = prometheus.scrape_configs.find((c) => c.job_name === 'polyflow-pipelines');
    expect(pipelineScrape?.static_configs).toBeUndefined();
    const discovered = (pipelineScrape?.dns_sd_configs ?? []).flatMap((d) => (d.type === 'A' ? d.names.map((name) => `${name}:${d.port}`) : []));
    expect(pipelineScrape?.relabel_configs).toContainEqual({ source_labels: ['__meta_dns_name'], regex: 'polyflow-(.+)', target_label: 'pipeline' });
    expect(new Set(pipelines)).toEqual(new Set(['ingest', 'features', 'predict', 'trade', 'drift', 'watch', 'persist', 'alerts']));
    const registry = env('schema-registry');
    const port = compose.services['schema-registry']?.ports?.[0]?.split(':')[1];
    expect(registry['SCHEMA_REGISTRY_LISTENERS']).toContain(`:${port}`);
    for (const pipeline of pipelines) {
      const service = merged.services[`polyflow-${pipeline}`];
      expect(service, pipeline).toBeDefined();
      expect(service?.command?.slice(0, 2), pipeline).toEqual(['run', pipeline]);
      // Consumer groups start a new group at the earliest retained offset; ingest consumes nothing.
      expect(service?.command?.includes('--from-beginning'), pipeline).toBe(pipeline !== 'ingest');
      expect(service?.profiles?.length, pipeline).toBeGreaterThan(0);
      expect(service?.depends_on?.['kafka']?.condition, pipeline).toBe('service_healthy');
      expect(service?.depends_on?.['schema-registry'], pipeline).toBeDefined();
      // After the topics exist as planned (a process refuses topics of different partition counts).
      expect(service?.depends_on?.['polyflow-topics']?.condition, pipeline).toBe('service_completed_successfully');
      for (const profile of service?.profiles ?? []) expect(merged.services['polyflow-topics']?.profiles, pipeline).toContain(profile);
      const vars = Object.fromEntries(Object.entries(service?.environment ?? {}).map(([k, v]) => [k, interpolated(String(v))]));
      for (const name of Object.keys(vars).filter((n) => n.startsWith('POLYFLOW_'))) expect(Object.keys(envOverrides({ [name]: vars[name] })), `${pipeline}: ${name}`).toHaveLength(1);
      const config = loadConfig({ env: vars as NodeJS.ProcessEnv });
      expect(config.bus.kind, pipeline).toBe('kafka');
      expect(config.kafka.brokers, pipeline).toEqual(['kafka:19092']);
      expect(config.kafka.schemaRegistryUrl, pipeline).toBe(`http://schema-registry:${port}`);
      // Checkpoints and persisted rows go to the compose Postgres, whose credentials the URL carries.
      expect(config.state.kind, pipeline).toBe('postgres');
      const pgEnv = env('postgres');
      expect(config.state.url, pipeline).toBe(`postgres://${pgEnv['POSTGRES_USER']}:${pgEnv['POSTGRES_PASSWORD']}@postgres:5432/${pgEnv['POSTGRES_DB']}`);
      expect(service?.depends_on?.['postgres']?.condition, pipeline).toBe('service_healthy');
      // Prometheus scrapes each pipeline's /metrics on the port its env opens.
      expect(config.metrics.port, pipeline).toBeGreaterThan(0);
      expect(discovered, pipeline).toContain(`polyflow-${pipeline}:${config.metrics.port}`);
    }
    // persist writes the analytics to the compose ClickHouse, with its credentials.
    const persist = loadConfig({ env: merged.services['polyflow-persist']?.environment as NodeJS.ProcessEnv });
    expect(persist.analytics.mode).toBe('clickhouse');
    expect(persist.analytics.url).toBe('http://clickhouse:8123');
    expect(persist.analytics.password).toBe(env('clickhouse')['CLICKHOUSE_PASSWORD']);
    expect(merged.services['polyflow-persist']?.depends_on?.['clickhouse']?.condition).toBe('service_healthy');
    // The default `docker compose up` stays the embedded run: its service has no bus kind, so memory.
    expect(loadConfig({ env: env('polyflow') as NodeJS.ProcessEnv }).bus.kind).toBe('memory');
    expect(merged.services['polyflow']?.profiles).toBeUndefined();
    // The topics first: `polyflow topics` once, on the same broker, not restarted.
    const topics = merged.services['polyflow-topics'];
    expect(topics?.command).toEqual(['topics']);
    expect(topics?.restart).toBe('no');
    expect(Object.keys(topics?.depends_on ?? {})).toEqual(['kafka']);
    const topicsEnv = Object.fromEntries(Object.entries(topics?.environment ?? {}).map(([k, v]) => [k, String(v)]));
    expect(loadConfig({ env: topicsEnv as NodeJS.ProcessEnv }).kafka.brokers).toEqual(['kafka:19092']);
    // Alerts start only with targets, which the environment provides.
    expect(merged.services['polyflow-alerts']?.environment?.['POLYFLOW_ALERTS_TARGETS']).toBe('${POLYFLOW_ALERTS_TARGETS:-[]}');
  });

  it('gives every pipeline process NODE_OPTIONS that node accepts there and applies (a 32 MB semi-space on Node 20 and 24 alike)', () => {
    const heapLimit = (nodeOptions: string): number =>
      Number(execFileSync(process.execPath, ['-e', "process.stdout.write(String(require('v8').getHeapStatistics().heap_size_limit))"], { env: { ...process.env, NODE_OPTIONS: nodeOptions } }).toString());
    // The young generation's maximum counts in the heap limit. Node's own default differs by
    // release (a 16 MB semi-space on Node 20, 64 MB on Node 24), so the flag is compared with
    // itself and with another size, not with the default.
    const semiSpace32 = heapLimit('--max-semi-space-size=32');
    expect(heapLimit('--max-semi-space-size=16')).toBeLessThan(semiSpace32);
    for (const pipeline of KAFKA_PIPELINES) {
      const options = String(merged.services[`polyflow-${pipeline}`]?.environment?.['NODE_OPTIONS']);
      expect(options, pipeline).toBe('--max-semi-space-size=32 --v8-pool-size=1');
      // Node exits 9 on a flag NODE_OPTIONS does not allow.
      expect(heapLimit(options), pipeline).toBe(semiSpace32);
    }
  });
});
