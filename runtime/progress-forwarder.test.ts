import { Subject, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { TopicName } from '../schemas/topics.js';
import type { Bus, Progress } from './bus.js';
import { MemoryBus } from './memory-bus.js';
import { forwardProgress, OutstandingTimes } from './progress-forwarder.js';

/** A bus whose progress markers the test gives, and whose written markers it records. */
function markerBus() {
  const inputs = new Map<TopicName, Subject<Progress>>();
  const written: string[] = [];
  const bus = new MemoryBus() as Bus;
  bus.progress = (topic: TopicName): Observable<Progress> => {
    if (!inputs.has(topic)) inputs.set(topic, new Subject<Progress>());
    return (inputs.get(topic) as Subject<Progress>).asObservable();
  };
  bus.publishProgress = (topic, partition, time) => void written.push(`${topic}/${partition}@${time}`);
  const mark = (topic: TopicName, partition: number, time: number) => inputs.get(topic)?.next({ partition, time });
  return { bus, written, mark };
}

describe('forwardProgress', () => {
  it("forwards a partition's least progress over its inputs, once it moves forward", () => {
    const { bus, written, mark } = markerBus();
    forwardProgress(bus, { from: ['pm.book', 'pm.trade'], to: 'features.v1' });
    mark('pm.book', 0, 100);
    // pm.trade's partition 0 has said nothing yet: nothing is known of it.
    expect(written).toEqual([]);
    mark('pm.trade', 0, 80);
    mark('pm.trade', 1, 500);
    mark('pm.book', 0, 120);
    mark('pm.trade', 0, 130);
    mark('pm.trade', 0, 90); // behind what it said: no step back
    expect(written).toEqual(['features.v1/0@80', 'features.v1/0@120']);
  });

  it('stays short of what the pipeline still holds, shifts into its outputs time, and looks again when outputs go out', () => {
    const { bus, written, mark } = markerBus();
    let holding = 50;
    const recheck = new Subject<void>();
    forwardProgress(bus, { from: ['features.v1'], to: 'prediction.v1', shift: 1_000, holding: () => holding, recheck });
    mark('features.v1', 2, 100);
    expect(written).toEqual(['prediction.v1/2@1049']);
    holding = Number.POSITIVE_INFINITY;
    recheck.next();
    expect(written).toEqual(['prediction.v1/2@1049', 'prediction.v1/2@1100']);
  });
});

describe('OutstandingTimes', () => {
  it('knows the earliest time of what is still out, as work leaves in the order it came', () => {
    const out = new OutstandingTimes();
    expect(out.earliest()).toBe(Number.POSITIVE_INFINITY);
    for (const t of [30, 10, 20, 10]) out.added(t);
    expect(out.earliest()).toBe(10);
    out.done(); // 30
    out.done(); // 10
    expect(out.earliest()).toBe(10);
    out.done(); // 20
    expect(out.earliest()).toBe(10);
    out.done(); // 10
    expect(out.earliest()).toBe(Number.POSITIVE_INFINITY);
    out.done(); // nothing out: nothing changes
    out.added(5);
    expect(out.earliest()).toBe(5);
  });

  it('agrees with a plain minimum over random work', () => {
    const out = new OutstandingTimes();
    const plain: number[] = [];
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 5_000; i++) {
      if (plain.length > 0 && rand() < 0.45) {
        plain.shift();
        out.done();
      } else {
        const t = Math.floor(rand() * 100);
        plain.push(t);
        out.added(t);
      }
      expect(out.earliest()).toBe(plain.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...plain));
    }
  });
});
