import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { commandUsage, isArgumentError } from './command-usage.js';

const USAGE = `polyflow <command> [options]

Commands:
  replay <path> [--out <dir>]
         [--fresh]
        Run the whole pipeline.
  run ingest|watch [--out <dir>]
        Live ingest alone.
  run features|predict [--from-beginning]
        One pipeline as a consumer group.
  fit-baseline [--data <dir>]
        Refit the baseline.

Environment: POLYFLOW_CONFIG=<file>`;

describe('commandUsage', () => {
  it("gives a command's entry, wrapped lines included, up to the next command", () => {
    expect(commandUsage(USAGE, 'replay')).toBe('polyflow replay <path> [--out <dir>]\n       [--fresh]\n      Run the whole pipeline.');
    expect(commandUsage(USAGE, 'fit-baseline')).toBe('polyflow fit-baseline [--data <dir>]\n      Refit the baseline.');
  });

  it('gives every entry of a command that has several', () => {
    expect(commandUsage(USAGE, 'run')?.split('\n')).toEqual([
      'polyflow run ingest|watch [--out <dir>]',
      '      Live ingest alone.',
      'polyflow run features|predict [--from-beginning]',
      '      One pipeline as a consumer group.',
    ]);
  });

  it('has nothing for a name that is no command (nor for text outside the command list)', () => {
    expect(commandUsage(USAGE, 'nope')).toBeUndefined();
    expect(commandUsage(USAGE, 'Environment')).toBeUndefined();
  });
});

describe('isArgumentError', () => {
  it("tells parseArgs's errors from others", () => {
    let thrown: unknown;
    try {
      parseArgs({ args: ['--outdir', 'x'], options: { out: { type: 'string' } } });
    } catch (err) {
      thrown = err;
    }
    expect(isArgumentError(thrown)).toBe(true);
    expect(isArgumentError(new Error('boom'))).toBe(false);
    expect(isArgumentError('ERR_PARSE_ARGS_UNKNOWN_OPTION')).toBe(false);
  });
});
