import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readReplay } from '../replay/replay-directory.js';
import type { ReplayRecord } from '../replay/replay-record.js';
import { RecordingWriter } from './recording-writer.js';

async function readAll(dir: string): Promise<ReplayRecord[]> {
  const out: ReplayRecord[] = [];
  for await (const chunk of readReplay(dir)) out.push(...chunk);
  return out;
}

describe('RecordingWriter', () => {
  it('rotates gzip files by size and by receive time, and readReplay reads them back unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'polyflow-rec-'));
    const w = new RecordingWriter(dir, { maxFileBytes: 30, maxFileMs: 1_000 });
    w.write({ kind: 'market', recvTs: 5, market: { id: '1' } });
    w.write({ kind: 'frame', recvTs: 10, frame: '{"event_type":"x","n":1}' }); // a 28-byte line: file 0
    w.write({ kind: 'frame', recvTs: 11, frame: 'PONG' }); // 28 < 30 bytes so far: still file 0 (now 36)
    w.write({ kind: 'frame', recvTs: 12, frame: '{"n":2}' }); // file 0 is past 30 bytes: file 1
    w.write({ kind: 'frame', recvTs: 2_000, frame: 'a\nb' }); // 1 s later: file 2; the line break becomes a space
    w.write({ kind: 'invalid', recvTs: 2_001, raw: 'x', reason: 'y' }); // not part of a recording
    await w.close();
    expect(readdirSync(dir).sort()).toEqual(['market-ws-0000.log.gz', 'market-ws-0001.log.gz', 'market-ws-0002.log.gz', 'markets.jsonl']);
    expect(w.counts).toEqual({ frames: 4, markets: 1, files: 3 });
    expect(await readAll(dir)).toEqual([
      { kind: 'market', recvTs: 5, market: { id: '1' } },
      { kind: 'frame', recvTs: 10, frame: '{"event_type":"x","n":1}' },
      { kind: 'frame', recvTs: 11, frame: 'PONG' },
      { kind: 'frame', recvTs: 12, frame: '{"n":2}' },
      { kind: 'frame', recvTs: 2_000, frame: 'a b' },
    ]);
  });
});
