import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../runtime/config.js';
import { fromPackageRoot } from '../../runtime/package-root.js';

// docker-compose.yml's Kafka and Schema Registry, parsed and checked against the code (no Docker engine here).
interface Service {
  image?: string;
  environment?: Record<string, string | number>;
  ports?: string[];
}
const compose = parse(readFileSync(fromPackageRoot('docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
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
});
