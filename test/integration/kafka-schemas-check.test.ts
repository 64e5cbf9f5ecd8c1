// `polyflow schemas check`: each schema against its committed version (git) or the latest version a
// Schema Registry holds (a local server speaking the registry's REST API), by avsc's schema
// resolution. Runs the built CLI on a throw-away git repository of schemas.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('polyflow schemas check --level', () => {
  const v1 = JSON.parse(readFileSync(join(avroSchemaDir(), 'fill.v1.avsc'), 'utf8')) as { fields: { name: string }[] };
  // Backward compatible (a v2 reader ignores the field in old records) but not forward: a v1 reader needs `unfilled`.
  const dropped = { ...v1, fields: v1.fields.filter((f) => f.name !== 'unfilled') };

  it('fails a forward break only at forward or full, and a backward break only at backward or full', () => {
    const dir = mkdtempSync(join(tmpdir(), 'polyflow-schemas-level-'));
    writeFileSync(join(dir, 'fill.v1.avsc'), JSON.stringify(v1));
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, stdio: 'pipe' });
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'v1');
    writeFileSync(join(dir, 'fill.v1.avsc'), JSON.stringify(dropped));
    const status = (level: string) => check(['--dir', dir, '--level', level]);
    const backward = status('backward');
    expect(backward.status, backward.stdout).toBe(0);
    expect(backward.stdout).toMatch(/BACKWARD compatibility/);
    expect(backward.stdout).toMatch(/fill\.v1: ok \(backward\); forward broken/);
    for (const level of ['forward', 'full']) {
      const r = status(level);
      expect(r.status, `${level}: ${r.stdout}`).toBe(1);
      expect(r.stdout).toMatch(/fill\.v1: NOT forward compatible \(old consumers cannot read it\)/);
    }
    // A required field added: forward compatible (a v1 reader ignores it), not backward.
    writeFileSync(join(dir, 'fill.v1.avsc'), JSON.stringify({ ...v1, fields: [...v1.fields, { name: 'venue', type: 'string', doc: 'd' }] }));
    expect(status('forward').status).toBe(0);
    expect(status('forward').stdout).toMatch(/fill\.v1: ok \(forward\); backward broken/);
    expect(status('full').status).toBe(1);

    const wrong = check(['--dir', dir, '--level', 'none']);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/--level is one of backward, forward, full/);
  });
});

describe('polyflow schemas check (against a Schema Registry)', () => {
  const v1 = JSON.parse(readFileSync(join(avroSchemaDir(), 'fill.v1.avsc'), 'utf8')) as { fields: object[] };
  const asked: string[] = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    // Only `t1.fill.v1-value` is registered (v1); any other subject is unknown (error 40401).
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://registry').pathname;
      asked.push(`${req.method} ${decodeURIComponent(path)}`);
      res.setHeader('content-type', 'application/vnd.schemaregistry.v1+json');
      if (req.method === 'GET' && decodeURIComponent(path) === '/subjects/t1.fill.v1-value/versions/latest') {
        res.end(JSON.stringify({ subject: 't1.fill.v1-value', id: 7, version: 1, schema: JSON.stringify(v1) }));
        return;
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ error_code: 40401, message: 'Subject not found.' }));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  const checkRegistry = async (dir: string): Promise<{ code: number; out: string }> => {
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'schemas', 'check', '--dir', dir], {
        env: { ...env, SCHEMA_REGISTRY_URL: url, POLYFLOW_KAFKA_TOPIC_PREFIX: 't1.' },
      });
      return { code: 0, out: stdout };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, out: e.stdout + e.stderr };
    }
  };

  it("checks each schema against the latest version of its prefixed topic's subject", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'polyflow-schemas-registry-'));
    writeFileSync(join(dir, 'fill.v1.avsc'), JSON.stringify({ ...v1, fields: [...v1.fields, { name: 'venue', type: ['null', 'string'], default: null, doc: 'd' }] }));
    writeFileSync(join(dir, 'order.v1.avsc'), readFileSync(join(avroSchemaDir(), 'order.v1.avsc'), 'utf8'));
    const ok = await checkRegistry(dir);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toMatch(new RegExp(`against the registry at ${url.replace(/\./g, '\\.')}`));
    expect(ok.out).toMatch(/fill\.v1: ok \(backward \+ forward\)/);
    expect(ok.out).toMatch(/order\.v1: new \(no previous version\)/);
    expect(asked).toContain('GET /subjects/t1.fill.v1-value/versions/latest');
    expect(asked).toContain('GET /subjects/t1.order.v1-value/versions/latest');

    writeFileSync(join(dir, 'fill.v1.avsc'), JSON.stringify({ ...v1, fields: [...v1.fields, { name: 'venue', type: 'string', doc: 'd' }] }));
    const bad = await checkRegistry(dir);
    expect(bad.code, bad.out).toBe(1);
    expect(bad.out).toMatch(/fill\.v1: NOT backward compatible/);
  }, 30_000);
});
