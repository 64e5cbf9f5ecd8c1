import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';

interface OpenFile {
  fd: number;
  chunks: string[];
  /** UTF-16 length of the chunks: when to write them out. */
  pending: number;
  /** Bytes in the file. */
  size: number;
}

/**
 * Writes records as JSON lines, one file per topic (`<dir>/<topic>.jsonl`). Buffers per file and
 * writes in 1 MiB pieces, so memory stays bounded however long the run. Writes are synchronous:
 * the order of lines is the order of records, and a replay's files are byte-identical run to run.
 * NaN and infinities become null (JSON has no such numbers).
 *
 * Crash safety: `checkpoint()` writes everything out, syncs it and returns each file's length;
 * a run resumed from that checkpoint opens with `resumeAt` = those lengths, so whatever was
 * written after the checkpoint is cut off and produced again.
 */
export class JsonlFiles {
  private readonly files = new Map<string, OpenFile>();
  private static readonly FLUSH_BYTES = 1 << 20;
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
    file.chunks.push(line);
    file.pending += line.length;
    if (file.pending >= JsonlFiles.FLUSH_BYTES) this.writeOut(file);
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
    if (this.resumeAt === undefined) file = { fd: openSync(path, 'w'), chunks: [], pending: 0, size: 0 };
    else {
      const size = this.resumeAt[name] ?? 0;
      if (existsSync(path)) truncateSync(path, size);
      else if (size > 0) throw new Error(`${path}: missing, but the checkpoint resumed from had ${size} bytes in it`);
      file = { fd: openSync(path, 'a'), chunks: [], pending: 0, size };
    }
    this.files.set(name, file);
    return file;
  }

  private writeOut(file: OpenFile): void {
    if (file.chunks.length === 0) return;
    const text = file.chunks.join('');
    file.chunks = [];
    file.pending = 0;
    const bytes = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < bytes.length) off += writeSync(file.fd, bytes, off);
    file.size += bytes.length;
  }
}
