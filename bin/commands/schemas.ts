import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../runtime/config.js';
import { InputError } from '../../runtime/errors.js';
import { compatibility, type Compatibility } from '../../runtime/kafka/schema-compatibility.js';
import { avroSchemaDir, type AvroSchema } from '../../schemas/avro-types.js';
import { TOPICS, TOPIC_NAMES } from '../../schemas/topics.js';

/** Where the previous version of a schema comes from; undefined: there is none (a new schema). */
type PreviousOf = (schemaName: string) => Promise<AvroSchema | undefined>;

/** What a check fails on: BACKWARD (the default, see schemas/avro-types.ts), FORWARD, or both (FULL). */
const LEVELS = ['backward', 'forward', 'full'] as const;
type Level = (typeof LEVELS)[number];

/**
 * `polyflow schemas check [--against <git ref>] [--dir <dir>] [--level backward|forward|full]`:
 * every `schemas/*.avsc` (or `<dir>/*.avsc`) against its previous version: the latest one
 * registered under `<topic>-value` when SCHEMA_REGISTRY_URL (kafka.schemaRegistryUrl) is set,
 * otherwise the committed file at the git ref (default HEAD; before a deploy, the ref deployed).
 * BACKWARD (the new schema reads data written with the previous one) fails by default and FORWARD
 * breaks (old consumers cannot read the new data) are reported; `--level forward` or `full` fails on
 * those too (a deployment that upgrades producers before consumers). Exit 0: compatible; 1: not.
 */
export async function schemasCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { against: { type: 'string' }, config: { type: 'string' }, dir: { type: 'string' }, level: { type: 'string' } } });
  if (positionals[0] !== 'check') throw new InputError('schemas: the sub-command is `check` (`polyflow schemas check [--against <git ref>]`)');
  const level = (values.level ?? 'backward') as Level;
  if (!LEVELS.includes(level)) throw new InputError(`schemas check: --level is one of ${LEVELS.join(', ')}, not ${JSON.stringify(values.level)}`);
  const config = loadConfig({ file: values.config });
  const registryUrl = config.kafka.schemaRegistryUrl;
  const useRegistry = registryUrl !== '' && values.against === undefined;
  const dir = values.dir ?? avroSchemaDir();
  const previousOf = useRegistry ? await registryPrevious(registryUrl, config.kafka.topicPrefix) : gitPrevious(dir, values.against ?? 'HEAD');
  process.stdout.write(`schemas: checking ${level.toUpperCase()} compatibility against ${useRegistry ? `the registry at ${registryUrl}` : `git ${values.against ?? 'HEAD'}`}\n`);
  let failed = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.avsc')).sort()) {
    const name = file.replace(/\.avsc$/, '');
    const next = JSON.parse(readFileSync(join(dir, file), 'utf8')) as AvroSchema;
    const previous = await previousOf(name);
    if (previous === undefined) {
      process.stdout.write(`  ${name}: new (no previous version)\n`);
      continue;
    }
    const verdict = verdictOf(compatibility(previous, next), level);
    if (verdict.failed) failed++;
    process.stdout.write(`  ${name}: ${verdict.text}\n`);
  }
  return failed === 0 ? 0 : 1;
}

/** A schema's line in the report, and whether it fails the check at `level`. */
function verdictOf(c: Compatibility, level: Level): { failed: boolean; text: string } {
  if (c.backward !== true && level !== 'forward') return { failed: true, text: `NOT backward compatible: ${c.backward}` };
  if (c.forward !== true && level !== 'backward') return { failed: true, text: `NOT forward compatible (old consumers cannot read it): ${c.forward}` };
  if (c.backward === true && c.forward === true) return { failed: false, text: 'ok (backward + forward)' };
  return c.backward === true ? { failed: false, text: `ok (backward); forward broken: ${c.forward}` } : { failed: false, text: `ok (forward); backward broken: ${c.backward}` };
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
