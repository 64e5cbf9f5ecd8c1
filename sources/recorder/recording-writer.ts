/**
 * Writes a live session in the recording layout `readReplay` reads (sources/replay):
 * - `markets.jsonl`: `{"recvTs": <ms>, "market": <Gamma market object as fetched>}` per line;
 * - `market-ws-NNNN.log.gz`: `<recvTs ms>\t<frame as received>` per line, gzip, NNNN counting up
 *   from 0000 so name order is time order; a file is rotated when it holds `maxFileBytes`
 *   (uncompressed) or spans `maxFileMs` of receive time.
 * Every frame the live source emits is written: websocket frames (PONG included), REST `/book`
 * resyncs and Gamma resolutions (both written as market-channel frames by their sources), so a
 * replay of the directory gives ingest the records the live run had.
 * A file being written is named `.log.gz.part` and renamed when complete, so a recording cut
 * short by a crash still replays (without its last, unfinished file).
 */
import { createWriteStream, mkdirSync, renameSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import type { ReplayRecord } from '../replay/replay-record.js';

export interface RecordingWriterOptions {
  /** Rotate after this many uncompressed bytes. Default 256 MiB. */
  readonly maxFileBytes?: number;
  /** Rotate when a file spans this much receive time. Default 1 h. */
  readonly maxFileMs?: number;
}

interface OpenFrameFile {
  readonly gzip: Gzip;
  readonly done: Promise<void>;
  readonly part: string;
  readonly final: string;
  readonly firstTs: number;
  bytes: number;
}

export class RecordingWriter {
  private readonly markets: WriteStream;
  private current: OpenFrameFile | undefined;
  private fileIndex = 0;
  private readonly closing: Promise<void>[] = [];
  private closed = false;
  private framesWritten = 0;
  private marketsWritten = 0;
  private errors: unknown[] = [];
  private readonly maxFileBytes: number;
  private readonly maxFileMs: number;

  constructor(
    readonly dir: string,
    options: RecordingWriterOptions = {},
  ) {
    mkdirSync(dir, { recursive: true });
    this.maxFileBytes = options.maxFileBytes ?? 256 * 1024 * 1024;
    this.maxFileMs = options.maxFileMs ?? 3_600_000;
    this.markets = createWriteStream(join(dir, 'markets.jsonl'), { flags: 'a' });
    this.markets.on('error', (err) => this.errors.push(err));
  }

  get counts(): { frames: number; markets: number; files: number } {
    return { frames: this.framesWritten, markets: this.marketsWritten, files: this.fileIndex };
  }

  /** Write errors so far (disk full...); the writer goes on. */
  get writeErrors(): readonly unknown[] {
    return this.errors;
  }

  write(record: ReplayRecord): void {
    if (this.closed) return;
    if (record.kind === 'market') this.writeMarket(record.recvTs, record.market);
    else if (record.kind === 'frame') this.writeFrame(record.recvTs, record.frame);
  }

  writeMarket(recvTs: number, market: unknown): void {
    if (this.closed) return;
    this.markets.write(`${JSON.stringify({ recvTs, market })}\n`);
    this.marketsWritten++;
  }

  writeFrame(recvTs: number, frame: string): void {
    if (this.closed) return;
    let file = this.current;
    if (file !== undefined && (file.bytes >= this.maxFileBytes || recvTs - file.firstTs >= this.maxFileMs)) {
      this.finish(file);
      file = undefined;
    }
    file ??= this.open(recvTs);
    // One frame per line: a line break inside a frame would split it (Polymarket's JSON has none).
    const line = `${recvTs}\t${/[\r\n]/.test(frame) ? frame.replace(/[\r\n]/g, ' ') : frame}\n`;
    file.gzip.write(line);
    file.bytes += Buffer.byteLength(line);
    this.framesWritten++;
  }

  /** Finishes every file; resolves when all are on disk under their final names. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.current !== undefined) this.finish(this.current);
    await new Promise<void>((resolve) => this.markets.end(resolve));
    await Promise.all(this.closing);
  }

  private open(recvTs: number): OpenFrameFile {
    const name = `market-ws-${String(this.fileIndex++).padStart(4, '0')}.log.gz`;
    const final = join(this.dir, name);
    const part = `${final}.part`;
    const gzip = createGzip();
    const out = createWriteStream(part);
    const done = new Promise<void>((resolve) => {
      out.on('close', resolve);
      out.on('error', (err) => {
        this.errors.push(err);
        resolve();
      });
    });
    gzip.on('error', (err) => this.errors.push(err));
    gzip.pipe(out);
    const file: OpenFrameFile = { gzip, done, part, final, firstTs: recvTs, bytes: 0 };
    this.current = file;
    return file;
  }

  private finish(file: OpenFrameFile): void {
    if (this.current === file) this.current = undefined;
    file.gzip.end();
    this.closing.push(
      file.done.then(() => {
        try {
          renameSync(file.part, file.final);
        } catch (err) {
          this.errors.push(err);
        }
      }),
    );
  }
}
