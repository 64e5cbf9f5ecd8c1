import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JSONL_FIRST_BUFFER_BYTES, JsonlFiles } from './jsonl-files.js';

describe('JsonlFiles', () => {
  it('writes one line per record in order, NaN as null, and creates touched files empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'polyflow-jsonl-'));
    const files = new JsonlFiles(dir);
    files.touch('empty.topic');
    for (let i = 0; i < 3; i++) files.write('a.topic', { i, x: i === 1 ? Number.NaN : i / 2 });
    files.close();
    expect(readFileSync(join(dir, 'a.topic.jsonl'), 'utf8')).toBe('{"i":0,"x":0}\n{"i":1,"x":null}\n{"i":2,"x":1}\n');
    expect(readFileSync(join(dir, 'empty.topic.jsonl'), 'utf8')).toBe('');
  });

  it('keeps every line when the buffer is flushed mid-run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'polyflow-jsonl-'));
    const files = new JsonlFiles(dir);
    const pad = 'x'.repeat(1000);
    for (let i = 0; i < 3000; i++) files.write('big', { i, pad }); // ~3 MB: several flushes
    files.close();
    const lines = readFileSync(join(dir, 'big.jsonl'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3000);
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });

  it('writes multi-byte text across buffer boundaries, and lines longer than the buffer, byte for byte in order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'polyflow-jsonl-'));
    const files = new JsonlFiles(dir);
    const records: unknown[] = [];
    for (let i = 0; i < 6000; i++) records.push({ i, s: '✓é'.repeat(1 + (i % 97)) });
    // Longer than the 1 MiB buffer once encoded (3 bytes a character), between short lines.
    records.splice(2500, 0, { huge: '✓'.repeat(400_000) }, { after: 'huge' });
    for (const record of records) files.write('mixed', record);
    const at = files.checkpoint();
    files.close();
    const expected = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    const written = readFileSync(join(dir, 'mixed.jsonl'));
    expect(written.equals(Buffer.from(expected, 'utf8'))).toBe(true);
    expect(at['mixed']).toBe(written.length);
  });

  it('writes a line out of its buffer first when its UTF-8 bytes (up to 3 a character) might not fit in what is left', () => {
    const dir = mkdtempSync(join(tmpdir(), 'polyflow-jsonl-'));
    const files = new JsonlFiles(dir);
    // ASCII lines of 100 and 36 bytes leave exactly 3,000 bytes of the first buffer free...
    const ascii = (bytes: number): { p: string } => ({ p: 'x'.repeat(bytes - '{"p":""}\n'.length) });
    const records: unknown[] = [...Array.from({ length: 625 }, () => ascii(100)), ascii(36)];
    expect(625 * 100 + 36).toBe(JSONL_FIRST_BUFFER_BYTES - 3_000);
    // ...then a line of 1,209 characters and 3,609 bytes: more than twice its length, less than three times.
    records.push({ s: '✓'.repeat(1_200) }, { after: 1 });
    for (const record of records) files.write('edge', record);
    files.close();
    const expected = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    expect(readFileSync(join(dir, 'edge.jsonl')).equals(Buffer.from(expected, 'utf8'))).toBe(true);
  });
});

describe('JsonlFiles checkpoints', () => {
  it('reports byte lengths (UTF-8) at a checkpoint and, resumed there, cuts what came after', () => {
    const dir = mkdtempSync(join(tmpdir(), 'polyflow-jsonl-'));
    const a = new JsonlFiles(dir);
    a.touch('never');
    a.write('t', { s: 'é' });
    const at = a.checkpoint();
    expect(at).toEqual({ never: 0, t: Buffer.byteLength('{"s":"é"}\n') });
    a.write('t', { s: 'lost' });
    a.write('late', { s: 'lost' });
    a.close();
    const b = new JsonlFiles(dir, { resumeAt: at });
    b.touch('never');
    b.write('t', { s: 'again' });
    b.write('late', { s: 'again' });
    b.close();
    expect(readFileSync(join(dir, 't.jsonl'), 'utf8')).toBe('{"s":"é"}\n{"s":"again"}\n');
    expect(readFileSync(join(dir, 'late.jsonl'), 'utf8')).toBe('{"s":"again"}\n');
    expect(readFileSync(join(dir, 'never.jsonl'), 'utf8')).toBe('');
  });
});
