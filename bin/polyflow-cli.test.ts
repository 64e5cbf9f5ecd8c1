// The built CLI (npm test builds it first) answers `--help` and a mistyped option with the command's usage, not a stack trace.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const CLI = 'dist/bin/polyflow.js';
const polyflow = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

describe('polyflow <command> --help and bad options', () => {
  it('prints the usage of the command asked about, and exits 0', () => {
    expect(existsSync(CLI), `${CLI} is missing: build first (npm test builds it)`).toBe(true);
    for (const command of ['replay', 'simulate', 'topics', 'schemas']) {
      const r = polyflow(command, '--help');
      expect(r.status, command).toBe(0);
      expect(r.stdout, command).toMatch(new RegExp(`^polyflow ${command} `));
      // Its entry only: not the whole list.
      expect(r.stdout, command).not.toMatch(/Commands:|\n(live|config) \[/);
    }
    // Both entries of `run` (live pipelines and consumer groups).
    const run = polyflow('run', '-h');
    expect(run.stdout).toMatch(/^polyflow run ingest\|watch\|alerts/);
    expect(run.stdout).toMatch(/\npolyflow run features\|predict\|trade\|drift\|persist/);
  });

  it('names an unknown option with the usage, exits 2, and runs nothing', () => {
    const r = polyflow('replay', 'data/sample', '--outdir', 'x');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^polyflow replay: Unknown option '--outdir'.*\n\npolyflow replay <path>/);
    expect(r.stderr).not.toMatch(/unexpected error|at parseArgs/);
    expect(existsSync('x')).toBe(false);
  });

  it('refuses durable state on `replay --bus kafka` before it connects or writes anything', () => {
    for (const flags of [['--state', 'pglite'], ['--state-url', 'postgres://127.0.0.1:1/none'], ['--checkpoint-every', '10']]) {
      const out = `out/cli-test-kafka-state-${flags[0]?.slice(2) ?? ''}`;
      const r = polyflow('replay', 'data/sample', '--bus', 'kafka', '--out', out, ...flags);
      expect(r.status, flags.join(' ')).toBe(1);
      expect(r.stderr, flags.join(' ')).toMatch(/replay --bus kafka: durable state .* is not supported on the Kafka bus yet/);
      expect(existsSync(out), flags.join(' ')).toBe(false);
    }
    // Three CLI starts (about 2 s each on a 2-vCPU machine: the command loads its modules first).
  }, 30_000);

  it('reads --help after `--` as a positional, not as a request for help', () => {
    const r = polyflow('schemas', 'check', '--', '--help');
    expect(r.stdout).not.toMatch(/^polyflow schemas check \[/);
  });
});
