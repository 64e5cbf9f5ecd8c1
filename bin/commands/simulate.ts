import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '../../runtime/errors.js';
import { simulate, SIMULATE_DEFAULTS } from '../../sources/simulator/simulate.js';

const integer = (name: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new InputError(`simulate: --${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return n;
};

/**
 * `polyflow simulate --out <dir>`: writes a recording in Polymarket's wire format and a
 * MANIFEST.json saying how it was made and what it holds (tests read the injected counts from it).
 */
export async function simulateCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      markets: { type: 'string' },
      events: { type: 'string' },
      seed: { type: 'string' },
      hours: { type: 'string' },
      'malformed-rate': { type: 'string' },
      gzip: { type: 'boolean' },
    },
  });
  if (values.out === undefined) throw new InputError('simulate: --out <dir> is required');
  const malformedRate = values['malformed-rate'] === undefined ? SIMULATE_DEFAULTS.malformedRate : Number(values['malformed-rate']);
  if (!(malformedRate >= 0 && malformedRate < 1)) throw new InputError('simulate: --malformed-rate must be in [0, 1)');
  const options = {
    markets: integer('markets', values.markets, SIMULATE_DEFAULTS.markets),
    events: integer('events', values.events, SIMULATE_DEFAULTS.events),
    seed: integer('seed', values.seed, SIMULATE_DEFAULTS.seed),
    durationMs: integer('hours', values.hours, SIMULATE_DEFAULTS.durationMs / 3_600_000) * 3_600_000,
    malformedRate,
    gzip: values.gzip === true,
  };
  const outDir = resolve(values.out);
  const summary = await simulate({ outDir, ...options });
  const manifest = {
    generator: 'polyflow simulate',
    options,
    markets: summary.markets,
    resolved_markets: summary.resolvedMarkets,
    lines: summary.lines,
    first_recv_ts: summary.firstRecvTs,
    last_recv_ts: summary.lastRecvTs,
    files: summary.files,
    calibration: 'sources/simulator/calibration.ts (each constant cites the real data it was measured on)',
  };
  writeFileSync(join(outDir, 'MANIFEST.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`${summary.events.toLocaleString('en-US')} lines, ${summary.markets} markets -> ${outDir}\n`);
  return 0;
}
