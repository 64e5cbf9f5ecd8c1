// `polyflow schemas check` without a registry: each schema against its committed version (git), by
// avsc's schema resolution. Runs the built CLI on a throw-away git repository of schemas.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { avroSchemaDir } from '../../schemas/avro-types.js';

const CLI = 'dist/bin/polyflow.js';
const env = { ...process.env, SCHEMA_REGISTRY_URL: '', POLYFLOW_LOG_LEVEL: 'warn' };
const check = (args: string[]) => spawnSync(process.execPath, [CLI, 'schemas', 'check', ...args], { env, encoding: 'utf8' });

describe('polyflow schemas check (against git)', () => {
  let dir: string;
  const v1 = JSON.parse(readFileSync(join(avroSchemaDir(), 'fill.v1.avsc'), 'utf8')) as { fields: object[] };

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test builds it)`);
    dir = mkdtempSync(join(tmpdir(), 'polyflow-schemas-'));
    writeFileSync(join(dir, 'fill.v1.avsc'), JSON.stringify(v1, null, 2));
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, stdio: 'pipe' });
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'v1');
  });

  it('passes the repository as committed', () => {
    const r = check([]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/fill\.v1: ok/);
  });

  it('accepts an added optional field and refuses an added required one', () => {
    writeFileSync(join(dir, 'fill.v1.avsc'), JSON.stringify({ ...v1, fields: [...v1.fields, { name: 'venue', type: ['null', 'string'], default: null, doc: 'd' }] }));
    const ok = check(['--dir', dir]);
    expect(ok.status, ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/fill\.v1: ok \(backward \+ forward\)/);

    writeFileSync(join(dir, 'fill.v1.avsc'), JSON.stringify({ ...v1, fields: [...v1.fields, { name: 'venue', type: 'string', doc: 'd' }] }));
    const bad = check(['--dir', dir]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/fill\.v1: NOT backward compatible/);
  });

  it('calls a schema with no committed version new', () => {
    writeFileSync(join(dir, 'extra.v1.avsc'), JSON.stringify({ ...v1, name: 'Extra' }));
    writeFileSync(join(dir, 'fill.v1.avsc'), JSON.stringify(v1));
    const r = check(['--dir', dir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/extra\.v1: new/);
  });
});
