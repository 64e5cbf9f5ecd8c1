// `replay --bus kafka` whose bus's consumer stops for good (kafkajs gave up restarting it): the
// replay fails with that error and closes the bus, instead of waiting for ever for records that
// no consumer will bring back. A bus that cannot start is closed too.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayRecordsOverKafka } from '../../pipelines/replay-kafka.js';
import { loadConfig } from '../../runtime/config.js';
import type { KafkaBus } from '../../runtime/kafka/kafka-bus.js';
import { createLogger } from '../../runtime/logger.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { readReplay } from '../../sources/replay/replay-directory.js';
import { tradingScorer } from '../helpers/trading-model.js';

/** A bus whose records never come back (quiet never), and whose `start` does what `onStart` says. */
function stalledBus(onStart: () => Promise<void>): { bus: KafkaBus; closed: () => boolean } {
  const memory = new MemoryBus();
  let closed = false;
  const bus = {
    topic: memory.topic.bind(memory),
    publish: () => undefined,
    pressure: false,
    start: onStart,
    flush: async () => undefined,
    quiet: () => false,
    counts: () => ({ acked: new Map(), received: new Map() }),
    close: async () => void (closed = true),
  };
  return { bus: bus as unknown as KafkaBus, closed: () => closed };
}

async function replayOver(open: (onFatal: (err: unknown) => void) => KafkaBus): Promise<unknown> {
  return replayRecordsOverKafka(readReplay(fromPackageRoot('data/sample')), {
    config: loadConfig({ env: {} }),
    scorer: await tradingScorer(),
    files: new JsonlFiles(mkdtempSync(join(tmpdir(), 'polyflow-kafka-fatal-'))),
    logger: createLogger('silent'),
    openBus: (_metrics, _settle, onFatal) => open(onFatal),
  }).catch((err: unknown) => err);
}

describe('replay over Kafka when the consumer stops for good', () => {
  it('fails with the consumer error and closes the bus', async () => {
    let stalled: ReturnType<typeof stalledBus> | undefined;
    const failure = await replayOver((onFatal) => {
      stalled = stalledBus(async () => void setTimeout(() => onFatal(new Error('consumer crashed 6 times: giving up')), 50));
      return stalled.bus;
    });
    expect(String(failure)).toMatch(/consumer crashed 6 times: giving up/);
    expect(stalled?.closed()).toBe(true);
  }, 30_000);

  it('closes a bus that could not start', async () => {
    let stalled: ReturnType<typeof stalledBus> | undefined;
    const failure = await replayOver(() => {
      stalled = stalledBus(() => Promise.reject(new Error('group not joined')));
      return stalled.bus;
    });
    expect(String(failure)).toMatch(/group not joined/);
    expect(stalled?.closed()).toBe(true);
  }, 30_000);
});
