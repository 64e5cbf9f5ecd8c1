import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { InputError } from '../../runtime/errors.js';
import type { ReplayRecord } from './replay-record.js';

/**
 * Reads a recording directory (the layout `polyflow simulate` and the recorder write):
 * - `markets.jsonl`: `{"recvTs": ms, "market": <Gamma market object>}` per line;
 * - `market-ws-*.log[.gz]`: `<recvTs ms>\t<frame as received>` per line, files in name order.
 * A single `.log`/`.log.gz` file is accepted as well. Market records are merged into the frame
 * stream by receive time (a market record goes before frames received at the same ms).
 * Lines that cannot be split into a time and a frame are yielded as frames with the whole line,
 * so validation downstream dead-letters them with the reason instead of this reader throwing.
 */
export interface ReplayFiles {
  readonly markets: string | undefined;
  readonly frames: readonly string[];
  /** Size on disk of the frame files, for progress. */
  readonly frameBytes: number;
}

/** Bytes of frame files read so far (compressed bytes for .gz), for a progress bar. */
export interface ReadProgress {
  bytesRead: number;
}

const FRAME_FILE = /^market-ws-.*\.log(\.gz)?$/;

export function replayFiles(path: string): ReplayFiles {
  if (!existsSync(path)) throw new InputError(`replay input not found: ${path}`);
  if (statSync(path).isFile()) return { markets: undefined, frames: [path], frameBytes: statSync(path).size };
  const names = readdirSync(path).sort();
  const frames = names.filter((n) => FRAME_FILE.test(n)).map((n) => join(path, n));
  const markets = names.includes('markets.jsonl') ? join(path, 'markets.jsonl') : undefined;
  if (frames.length === 0) {
    throw new InputError(`no market-ws-*.log[.gz] files in ${path} (expected a recording or \`polyflow simulate\` output)`);
  }
  return { markets, frames, frameBytes: frames.reduce((sum, f) => sum + statSync(f).size, 0) };
}

/**
 * Market records of a recording, sorted by receive time (stable). A line that is not a record
 * becomes an `invalid` record at the time of the record before it.
 */
export function readMarketRecords(file: string): ReplayRecord[] {
  const records: ReplayRecord[] = [];
  let lastTs = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let parsed: { recvTs?: unknown; market?: unknown } | undefined;
    try {
      parsed = JSON.parse(line) as { recvTs?: unknown; market?: unknown };
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || typeof parsed.recvTs !== 'number' || parsed.market === undefined || parsed.market === null) {
      const reason = parsed === undefined ? 'markets.jsonl: not JSON' : 'markets.jsonl: expected {"recvTs": <ms>, "market": {...}}';
      records.push({ kind: 'invalid', recvTs: lastTs, raw: line, reason });
      continue;
    }
    lastTs = parsed.recvTs;
    records.push({ kind: 'market', recvTs: parsed.recvTs, market: parsed.market });
  }
  return records.sort((a, b) => a.recvTs - b.recvTs);
}

/** Splits `<recvTs>\t<frame>`; a line without a valid time keeps `fallbackTs`. */
export function splitFrameLine(line: string, fallbackTs: number): { recvTs: number; frame: string } {
  const tab = line.indexOf('\t');
  if (tab > 0) {
    const recvTs = Number(line.slice(0, tab));
    if (Number.isSafeInteger(recvTs)) return { recvTs, frame: line.slice(tab + 1) };
  }
  return { recvTs: fallbackTs, frame: line };
}

/**
 * Lines of the frame files, in file order, a chunk (up to ~1 MiB of text) at a time: one await
 * per chunk instead of one per line keeps the reader off the replay's hot path.
 */
export async function* readFrameLines(files: readonly string[], progress?: ReadProgress): AsyncGenerator<string[]> {
  for (const file of files) {
    const raw = createReadStream(file, { highWaterMark: 1 << 20 });
    if (progress !== undefined) raw.on('data', (chunk) => (progress.bytesRead += chunk.length));
    const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const text = rest + decoder.write(chunk);
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      yield lines.filter((l) => l !== '');
    }
    const last = (rest + decoder.end()).trim();
    if (last !== '') yield [last];
  }
}

/** All records of a recording in receive-time order, in batches (one per chunk read). */
export async function* readReplay(path: string, progress?: ReadProgress): AsyncGenerator<ReplayRecord[]> {
  const files = replayFiles(path);
  const markets = files.markets === undefined ? [] : readMarketRecords(files.markets);
  let m = 0;
  let lastTs = markets[0]?.recvTs ?? 0;
  for await (const lines of readFrameLines(files.frames, progress)) {
    const batch: ReplayRecord[] = [];
    for (const line of lines) {
      const { recvTs, frame } = splitFrameLine(line, lastTs);
      while (m < markets.length && (markets[m] as ReplayRecord).recvTs <= recvTs) batch.push(markets[m++] as ReplayRecord);
      lastTs = Math.max(lastTs, recvTs);
      batch.push({ kind: 'frame', recvTs, frame });
    }
    yield batch;
  }
  if (m < markets.length) yield markets.slice(m);
}
