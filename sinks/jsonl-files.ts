import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes records as JSON lines, one file per topic (`<dir>/<topic>.jsonl`). Buffers per file and
 * writes in 1 MiB pieces, so memory stays bounded however long the run. Writes are synchronous:
 * the order of lines is the order of records, and a replay's files are byte-identical run to run.
 * NaN and infinities become null (JSON has no such numbers).
 */
export class JsonlFiles {
  private readonly files = new Map<string, { fd: number; chunks: string[]; bytes: number }>();
  private static readonly FLUSH_BYTES = 1 << 20;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  write(name: string, record: unknown): void {
    let file = this.files.get(name);
    if (file === undefined) {
      file = { fd: openSync(join(this.dir, `${name}.jsonl`), 'w'), chunks: [], bytes: 0 };
      this.files.set(name, file);
    }
    const line = `${JSON.stringify(record)}\n`;
    file.chunks.push(line);
    file.bytes += line.length;
    if (file.bytes >= JsonlFiles.FLUSH_BYTES) this.writeOut(file);
  }

  /** Creates the file of a topic that may stay empty, so readers find every configured topic. */
  touch(name: string): void {
    if (!this.files.has(name)) this.files.set(name, { fd: openSync(join(this.dir, `${name}.jsonl`), 'w'), chunks: [], bytes: 0 });
  }

  close(): void {
    for (const file of this.files.values()) {
      this.writeOut(file);
      closeSync(file.fd);
    }
    this.files.clear();
  }

  private writeOut(file: { fd: number; chunks: string[]; bytes: number }): void {
    if (file.chunks.length === 0) return;
    writeSync(file.fd, file.chunks.join(''));
    file.chunks = [];
    file.bytes = 0;
  }
}
