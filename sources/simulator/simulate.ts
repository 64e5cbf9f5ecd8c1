/**
 * Entry points of the simulator: `generateMarkets` and `generateFrames` in memory (the benchmark),
 * `simulate` writing a replay directory (`markets.jsonl`, `market-ws-0000.log[.gz]`, ...) that
 * `polyflow replay <dir>` reads. Deterministic given the seed.
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { buildCatalog, gammaMarket, type SimEvent } from './market-catalog.js';
import { frameStream, type Frame } from './frame-stream.js';
import { Prng } from './prng.js';

export type { Frame } from './frame-stream.js';

export interface GenerateOptions {
  /** Number of binary markets (two tokens each). Default 40. */
  readonly markets?: number;
  /** Lines in the frame log, PONGs and malformed lines included. Default 100,000. */
  readonly events?: number;
  /** PRNG seed; the same seed and options give identical bytes. Default 1. */
  readonly seed?: number;
  /** First exchange timestamp, ms. Default 2026-01-05T00:00:00Z. */
  readonly startTs?: number;
  /** Span the frames cover, ms. Default 24 h. */
  readonly durationMs?: number;
  /** Share of malformed lines among data lines. Default 0.002. */
  readonly malformedRate?: number;
  /** Share of events resolving inside the horizon. Default 0.35. */
  readonly resolvingFraction?: number;
  /** Share of trades sent as a JSON array frame. Default 0.03. */
  readonly arrayRate?: number;
}

export interface SimulateOptions extends GenerateOptions {
  readonly outDir: string;
  /** Gzip the frame logs. Default false. */
  readonly gzip?: boolean;
  /** Lines per `market-ws-NNNN.log` file before rotating. Default 2,000,000. */
  readonly linesPerFile?: number;
}

export interface SimulateSummary {
  readonly outDir: string;
  readonly files: readonly string[];
  readonly markets: number;
  readonly events: number;
  readonly resolvedMarkets: number;
  readonly firstRecvTs: number;
  readonly lastRecvTs: number;
  /** Lines by kind: event_type of a data frame, `array`, `PONG`, `malformed`. */
  readonly lines: Readonly<Record<string, number>>;
}

export interface MarketRecord {
  readonly recvTs: number;
  readonly market: Record<string, unknown>;
}

interface Resolved {
  readonly markets: number;
  readonly events: number;
  readonly seed: number;
  readonly startTs: number;
  readonly durationMs: number;
  readonly malformedRate: number;
  readonly resolvingFraction: number;
  readonly arrayRate: number;
}

export const SIMULATE_DEFAULTS: Resolved = {
  markets: 40,
  events: 100_000,
  seed: 1,
  startTs: Date.UTC(2026, 0, 5),
  durationMs: 24 * 3_600_000,
  malformedRate: 0.002,
  resolvingFraction: 0.35,
  arrayRate: 0.03,
};

function resolve(opts: GenerateOptions): Resolved {
  const r: { -readonly [K in keyof Resolved]: Resolved[K] } = { ...SIMULATE_DEFAULTS };
  for (const key of Object.keys(SIMULATE_DEFAULTS) as (keyof Resolved)[]) {
    const v = opts[key];
    if (v !== undefined) r[key] = v;
  }
  if (!(r.markets >= 1) || !(r.events >= 1) || !(r.durationMs > 0)) throw new RangeError('simulate: markets, events and durationMs must be positive');
  if (!(r.malformedRate >= 0 && r.malformedRate < 1)) throw new RangeError('simulate: malformedRate must be in [0, 1)');
  return r;
}

function catalog(r: Resolved): SimEvent[] {
  return buildCatalog({ markets: r.markets, startTs: r.startTs, durationMs: r.durationMs, resolvingFraction: r.resolvingFraction }, new Prng(r.seed));
}

function marketRecords(events: readonly SimEvent[], startTs: number): MarketRecord[] {
  // Fetched from Gamma just before the socket opens.
  return events.flatMap((e) => e.markets.map((m) => ({ recvTs: startTs - 2_000 + m.index, market: gammaMarket(m, e) })));
}

/** The Gamma market records of markets.jsonl, in memory. */
export function generateMarkets(opts: GenerateOptions = {}): MarketRecord[] {
  const r = resolve(opts);
  return marketRecords(catalog(r), r.startTs);
}

/** The frame lines of market-ws-*.log, in memory, in receive order. */
export function generateFrames(opts: GenerateOptions = {}): Iterable<Frame> {
  const r = resolve(opts);
  return {
    [Symbol.iterator]: () =>
      frameStream(
        catalog(r),
        { events: r.events, startTs: r.startTs, durationMs: r.durationMs, malformedRate: r.malformedRate, arrayRate: r.arrayRate },
        new Prng((r.seed ^ 0x5bd1e995) >>> 0),
      ),
  };
}

/** Kind of a generated line, for the summary: what the generator made, not a guess from the text. */
function lineKind(f: Frame): string {
  if (f.malformed === true) return 'malformed';
  if (f.frame === 'PONG') return 'PONG';
  if (f.frame.startsWith('[')) return 'array';
  return /"event_type":"([a-z_]+)"/.exec(f.frame)?.[1] ?? 'unknown';
}

async function writeChunk(stream: Writable, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

function closeStream(stream: Writable): Promise<void> {
  return new Promise((resolveClose, reject) => {
    stream.once('error', reject);
    stream.end(() => resolveClose());
  });
}

/** Writes a replay directory and returns what it wrote. */
export async function simulate(opts: SimulateOptions): Promise<SimulateSummary> {
  const r = resolve(opts);
  const gzip = opts.gzip ?? false;
  const linesPerFile = opts.linesPerFile ?? 2_000_000;
  mkdirSync(opts.outDir, { recursive: true });
  const events = catalog(r);
  const records = marketRecords(events, r.startTs);
  await writeFile(join(opts.outDir, 'markets.jsonl'), records.map((rec) => JSON.stringify(rec)).join('\n') + '\n');

  const files: string[] = [];
  const lines: Record<string, number> = {};
  let count = 0;
  let first = NaN;
  let last = NaN;
  let sink: Writable | undefined;
  let fileDone: Promise<void> | undefined;
  let buffer = '';
  const open = (): void => {
    const name = `market-ws-${String(files.length).padStart(4, '0')}.log${gzip ? '.gz' : ''}`;
    files.push(name);
    const file = createWriteStream(join(opts.outDir, name));
    if (gzip) {
      const z = createGzip();
      z.pipe(file);
      sink = z;
      fileDone = once(file, 'close').then(() => undefined);
    } else {
      sink = file;
      fileDone = undefined;
    }
  };
  const close = async (): Promise<void> => {
    if (sink === undefined) return;
    if (buffer !== '') await writeChunk(sink, buffer);
    buffer = '';
    await closeStream(sink);
    if (fileDone !== undefined) await fileDone;
    sink = undefined;
  };
  for (const f of generateFrames(r)) {
    const { recvTs, frame } = f;
    if (count % linesPerFile === 0) {
      await close();
      open();
    }
    if (count === 0) first = recvTs;
    last = recvTs;
    count++;
    const kind = lineKind(f);
    lines[kind] = (lines[kind] ?? 0) + 1;
    buffer += `${recvTs}\t${frame}\n`;
    if (buffer.length > 1 << 16) {
      await writeChunk(sink as Writable, buffer);
      buffer = '';
    }
  }
  await close();
  return {
    outDir: opts.outDir,
    files: ['markets.jsonl', ...files],
    markets: records.length,
    events: count,
    resolvedMarkets: lines['market_resolved'] ?? 0,
    firstRecvTs: first,
    lastRecvTs: last,
    lines,
  };
}
