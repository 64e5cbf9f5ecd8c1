import { closeSync, existsSync, openSync, readSync } from 'node:fs';

export interface JsonlLine {
  /** Byte offset of the line's first byte. */
  offset: number;
  /** The line without its newline. */
  text: string;
  /** False for a last line with no newline (a write cut short). */
  complete: boolean;
}

/**
 * The lines of a file with their byte offsets, read in 1 MiB blocks (files may be GBs), so a
 * caller can cut the file back to a known-good offset. Nothing when the file does not exist.
 */
export function* jsonlLines(path: string): Generator<JsonlLine> {
  if (!existsSync(path)) return;
  const fd = openSync(path, 'r');
  try {
    const block = Buffer.alloc(1 << 20);
    let pending: Buffer[] = [];
    let pendingStart = 0;
    let position = 0;
    for (;;) {
      const n = readSync(fd, block, 0, block.length, position);
      if (n === 0) break;
      let start = 0;
      for (let i = 0; i < n; i++) {
        if (block[i] !== 0x0a) continue;
        pending.push(Buffer.from(block.subarray(start, i)));
        const bytes = Buffer.concat(pending);
        yield { offset: pendingStart, text: bytes.toString('utf8'), complete: true };
        pendingStart += bytes.length + 1;
        pending = [];
        start = i + 1;
      }
      if (start < n) pending.push(Buffer.from(block.subarray(start, n)));
      position += n;
    }
    if (pending.length > 0) yield { offset: pendingStart, text: Buffer.concat(pending).toString('utf8'), complete: false };
  } finally {
    closeSync(fd);
  }
}
