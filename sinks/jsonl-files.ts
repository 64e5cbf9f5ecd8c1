import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';

interface OpenFile {
  fd: number;
  /** Lines not written out yet, UTF-8 encoded (allocated at the first line). */
  buffer: Buffer | undefined;
  /** Bytes of `buffer` in use. */
  pending: number;
  /** Bytes in the file. */
  size: number;
}

/** A file's first buffer; one that fills is doubled, up to 1 MiB (a quiet topic keeps the small one). */
export const JSONL_FIRST_BUFFER_BYTES = 64 * 1024;
const MAX_BUFFER_BYTES = 1 << 20;

/**
 * Writes records as JSON lines, one file per topic (`<dir>/<topic>.jsonl`). Each line is encoded
 * straight into its file's buffer, written out when full, so memory stays bounded however long the
 * run (joining the lines into one string to encode it cost twice the time, 4.5 against 2 µs a
 * record). Writes are synchronous:
 * the order of lines is the order of records, and a replay's files are byte-identical run to run.
 * NaN and infinities become null (JSON has no such numbers).
 *
 * Crash safety: `checkpoint()` writes everything out, syncs it and returns each file's length;
 * a run resumed from that checkpoint opens with `resumeAt` = those lengths, so whatever was
 * written after the checkpoint is cut off and produced again.
 */
export class JsonlFiles {
  private readonly files = new Map<string, OpenFile>();
  private readonly resumeAt: Readonly<Record<string, number>> | undefined;

  /** `resumeAt`: byte length of each file at the checkpoint resumed from (a file not named starts empty). */
  constructor(
    private readonly dir: string,
    opts: { resumeAt?: Readonly<Record<string, number>> } = {},
  ) {
    mkdirSync(dir, { recursive: true });
    this.resumeAt = opts.resumeAt;
  }

  write(name: string, record: unknown): void {
    const file = this.files.get(name) ?? this.open(name);
    const line = `${JSON.stringify(record)}\n`;
    // A UTF-16 code unit takes at most 3 bytes in UTF-8 (a surrogate pair, 2 units, takes 4).
    const most = line.length * 3;
    if (most > MAX_BUFFER_BYTES) {
      this.writeOut(file);
      this.writeAll(file, Buffer.from(line, 'utf8'));
      return;
    }
    file.buffer ??= Buffer.allocUnsafe(JSONL_FIRST_BUFFER_BYTES);
    if (file.buffer.length - file.pending < most) {
      this.writeOut(file);
      const size = Math.min(MAX_BUFFER_BYTES, Math.max(2 * file.buffer.length, most));
      if (size > file.buffer.length) file.buffer = Buffer.allocUnsafe(size);
    }
    file.pending += file.buffer.write(line, file.pending, 'utf8');
  }

  /** Creates the file of a topic that may stay empty, so readers find every configured topic. */
  touch(name: string): void {
    if (!this.files.has(name)) this.open(name);
  }

  /** Writes out and syncs every file; returns their byte lengths, by name. */
  checkpoint(): Record<string, number> {
    const positions: Record<string, number> = {};
    for (const [name, file] of this.files) {
      this.writeOut(file);
      fdatasyncSync(file.fd);
      positions[name] = file.size;
    }
    return positions;
  }

  close(): void {
    for (const file of this.files.values()) {
      this.writeOut(file);
      closeSync(file.fd);
    }
    this.files.clear();
  }

  private open(name: string): OpenFile {
    const path = join(this.dir, `${name}.jsonl`);
    let file: OpenFile;
    if (this.resumeAt === undefined) file = { fd: openSync(path, 'w'), buffer: undefined, pending: 0, size: 0 };
    else {
      const size = this.resumeAt[name] ?? 0;
      if (existsSync(path)) truncateSync(path, size);
      else if (size > 0) throw new Error(`${path}: missing, but the checkpoint resumed from had ${size} bytes in it`);
      file = { fd: openSync(path, 'a'), buffer: undefined, pending: 0, size };
    }
    this.files.set(name, file);
    return file;
  }

  /** Writes the buffered lines; what a failed write left unwritten stays buffered, `size` counts what was written. */
  private writeOut(file: OpenFile): void {
    const { buffer, pending } = file;
    if (buffer === undefined || pending === 0) return;
    const before = file.size;
    try {
      this.writeAll(file, buffer, pending);
    } finally {
      const written = file.size - before;
      if (written < pending) buffer.copyWithin(0, written, pending);
      file.pending = pending - written;
    }
  }

  /** Writes `bytes[0, length)` to the end of the file, counting each piece in `size` as it goes (so a failed write leaves `size` at what was written). */
  private writeAll(file: OpenFile, bytes: Buffer, length = bytes.length): void {
    let off = 0;
    while (off < length) {
      const n = writeSync(file.fd, bytes, off, length - off);
      off += n;
      file.size += n;
    }
  }
}
