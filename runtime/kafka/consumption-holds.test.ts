import type { Consumer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ConsumptionHolds } from './consumption-holds.js';

/** A consumer that records its pause and resume calls. */
function recordingConsumer(): { consumer: Consumer; calls: string[] } {
  const calls: string[] = [];
  const note = (what: string, topics: { topic: string; partitions?: number[] }[]): void =>
    void calls.push(`${what} ${topics.map((t) => (t.partitions === undefined ? t.topic : `${t.topic}:${t.partitions.join(',')}`)).join(' ')}`);
  const consumer = { pause: (t: { topic: string; partitions?: number[] }[]) => note('pause', t), resume: (t: { topic: string; partitions?: number[] }[]) => note('resume', t) } as unknown as Consumer;
  return { consumer, calls };
}

describe('ConsumptionHolds', () => {
  it('pauses every topic on the first reason and resumes only when the last is released, keeping the partitions ahead paused', () => {
    const { consumer, calls } = recordingConsumer();
    const holds = new ConsumptionHolds({ consumer: () => consumer, topics: () => ['a', 'b'], pausedPartitions: () => [{ topic: 'b', partition: 3 }], isFailed: () => false, heartbeatMs: 100 });
    holds.hold('assignment');
    holds.backlogged();
    expect(holds.holding).toBe(true);
    holds.release('assignment');
    expect(holds.any).toBe(true);
    expect(holds.holding).toBe(false);
    // Held: a single partition's pause or resume is left alone (it would resume the rest of its topic).
    holds.pausePartition('a', 0, false);
    holds.relieved();
    expect(holds.any).toBe(false);
    holds.pausePartition('a', 0, true);
    expect(calls).toEqual(['pause a b', 'resume a b', 'pause b:3', 'pause a:0']);
  });

  it('lets a batch waiting out backpressure return once relieved (heartbeating meanwhile)', async () => {
    const { consumer } = recordingConsumer();
    const holds = new ConsumptionHolds({ consumer: () => consumer, topics: () => ['a'], pausedPartitions: () => [], isFailed: () => false, heartbeatMs: 5 });
    let beats = 0;
    const heartbeat = async (): Promise<void> => void beats++;
    holds.backlogged();
    const waiting = holds.awaitRelief(heartbeat, () => true);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(beats).toBeGreaterThan(1);
    holds.relieved();
    await waiting;
    expect(holds.any).toBe(false);
  });

  it('lets it return at once, not at its next heartbeat, when the bus stops or fails', async () => {
    const heartbeat = async (): Promise<void> => undefined;
    const returned = (waiting: Promise<void>): Promise<boolean> => Promise.race([waiting.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 100))]);
    const { consumer } = recordingConsumer();
    const stopping = new ConsumptionHolds({ consumer: () => consumer, topics: () => ['a'], pausedPartitions: () => [], isFailed: () => false, heartbeatMs: 60_000 });
    stopping.backlogged();
    const waiting = stopping.awaitRelief(heartbeat, () => true);
    stopping.hold('stopping');
    expect(await returned(waiting)).toBe(true);

    let failed = false;
    const failing = new ConsumptionHolds({ consumer: () => consumer, topics: () => ['a'], pausedPartitions: () => [], isFailed: () => failed, heartbeatMs: 60_000 });
    failing.backlogged();
    const waitingToo = failing.awaitRelief(heartbeat, () => true);
    failed = true;
    failing.busFailed();
    expect(await returned(waitingToo)).toBe(true);
  });

  it('does not pause for backpressure before the consumer exists', () => {
    const holds = new ConsumptionHolds({ consumer: () => undefined, topics: () => ['a'], pausedPartitions: () => [], isFailed: () => false, heartbeatMs: 100 });
    holds.backlogged();
    expect(holds.any).toBe(false);
  });
});
