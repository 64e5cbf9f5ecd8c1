import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../runtime/config.js';
import { InputError } from '../../runtime/errors.js';
import { compatibility } from '../../runtime/kafka/schema-compatibility.js';
import { avroSchemaDir, type AvroSchema } from '../../schemas/avro-types.js';
import { TOPICS, TOPIC_NAMES } from '../../schemas/topics.js';

/** Where the previous version of a schema comes from; undefined: there is none (a new schema). */
type PreviousOf = (schemaName: string) => Promise<AvroSchema | undefined>;

/**
 * `polyflow schemas check [--against <git ref>] [--dir <dir>]`: every `schemas/*.avsc` (or `<dir>/*.avsc`) must read data written with
 * its previous version (BACKWARD, see schemas/avro-types.ts). The previous version is the latest
 * one registered under `<topic>-value` when SCHEMA_REGISTRY_URL (kafka.schemaRegistryUrl) is set,
 * otherwise the committed file at the git ref (default HEAD). FORWARD breaks are reported, not
 * failed. Exit 0: all backward compatible; 1: at least one is not.
 */
export async function schemasCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { against: { type: 'string' }, config: { type: 'string' }, dir: { type: 'string' } } });
  if (positionals[0] !== 'check') throw new InputError('schemas: the sub-command is `check` (`polyflow schemas check [--against <git ref>]`)');
  const config = loadConfig({ file: values.config });
  const registryUrl = config.kafka.schemaRegistryUrl;
  const useRegistry = registryUrl !== '' && values.against === undefined;
  const dir = values.dir ?? avroSchemaDir();
  const previousOf = useRegistry ? await registryPrevious(registryUrl, config.kafka.topicPrefix) : gitPrevious(dir, values.against ?? 'HEAD');
  process.stdout.write(`schemas: checking against ${useRegistry ? `the registry at ${registryUrl}` : `git ${values.against ?? 'HEAD'}`}\n`);
  let failed = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.avsc')).sort()) {
    const name = file.replace(/\.avsc$/, '');
    const next = JSON.parse(readFileSync(join(dir, file), 'utf8')) as AvroSchema;
    const previous = await previousOf(name);
    if (previous === undefined) {
      process.stdout.write(`  ${name}: new (no previous version)\n`);
      continue;
    }
    const c = compatibility(previous, next);
    if (c.backward !== true) failed++;
    const verdict = c.backward === true ? (c.forward === true ? 'ok (backward + forward)' : `ok (backward); forward broken: ${c.forward}`) : `NOT backward compatible: ${c.backward}`;
    process.stdout.write(`  ${name}: ${verdict}\n`);
  }
  return failed === 0 ? 0 : 1;
}

/** The file as committed at `ref` (`./` paths are relative to `dir` for git). */
function gitPrevious(dir: string, ref: string): PreviousOf {
  return (name) => {
    try {
      const text = execFileSync('git', ['show', `${ref}:./${name}.avsc`], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      return Promise.resolve(JSON.parse(text) as AvroSchema);
    } catch {
      return Promise.resolve(undefined);
    }
  };
}

async function registryPrevious(url: string, prefix: string): Promise<PreviousOf> {
  // Loaded only here: the registry client pulls large KMS SDKs and takes about a second to import.
  const { createSchemaRegistry, valueSubject } = await import('../../runtime/kafka/schema-registry.js');
  const client = createSchemaRegistry(url);
  return async (name) => {
    const topic = TOPIC_NAMES.find((t) => TOPICS[t].schema === name);
    if (topic === undefined) return undefined;
    try {
      const latest = await client.getLatestSchemaMetadata(valueSubject(`${prefix}${topic}`));
      return latest.schema === undefined ? undefined : (JSON.parse(latest.schema) as AvroSchema);
    } catch (err) {
      if (/40401|not found/i.test(err instanceof Error ? err.message : String(err))) return undefined;
      throw err;
    }
  };
}
