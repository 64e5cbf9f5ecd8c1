import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readReplay, replayFiles, splitFrameLine } from './replay-directory.js';
import type { ReplayRecord } from './replay-record.js';

async function collect(path: string): Promise<ReplayRecord[]> {
  const out: ReplayRecord[] = [];
  for await (const batch of readReplay(path)) out.push(...batch);
  return out;
}

describe('readReplay', () => {
  it('merges market records into the frame stream by receive time, across plain and gzipped files in name order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'polyflow-replay-'));
    writeFileSync(join(dir, 'markets.jsonl'), ['{"recvTs":150,"market":{"id":"2"}}', 'not json', '{"recvTs":100,"market":{"id":"1"}}', ''].join('\n'));
    writeFileSync(join(dir, 'market-ws-0000.log'), '100\t{"a":1}\n200\t{"a":2}\n');
    writeFileSync(join(dir, 'market-ws-0001.log.gz'), gzipSync('300\tPONG\nbroken line without a tab\n'));
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const records = await collect(dir);
    expect(records.map((r) => [r.kind, r.recvTs])).toEqual([
      ['market', 100],
      ['frame', 100],
      ['market', 150],
      ['invalid', 150], // the bad line takes the time of the record before it in the file, and stays after it
      ['frame', 200],
      ['frame', 300],
      ['frame', 300], // no time: keeps the last time seen, and goes on as a frame for ingest to dead-letter
    ]);
    expect(records[3]).toMatchObject({ kind: 'invalid', raw: 'not json', reason: 'markets.jsonl: not JSON' });
    expect(records.at(-1)).toMatchObject({ frame: 'broken line without a tab' });
  });

  it('accepts one log file, and says clearly what is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'polyflow-replay-'));
    writeFileSync(join(dir, 'one.log'), '1\tPONG\n');
    expect(replayFiles(join(dir, 'one.log')).frames).toEqual([join(dir, 'one.log')]);
    expect(() => replayFiles(join(dir, 'nope'))).toThrow(/replay input not found/);
    expect(() => replayFiles(dir)).toThrow(/no market-ws-\*\.log\[\.gz\] files/);
  });

  it('splits a frame line at the first tab only', () => {
    expect(splitFrameLine('17\t{"x":"a\\tb"}', 0)).toEqual({ recvTs: 17, frame: '{"x":"a\\tb"}' });
    expect(splitFrameLine('x\ty', 5)).toEqual({ recvTs: 5, frame: 'x\ty' });
  });
});
