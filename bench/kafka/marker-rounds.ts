import { LatencySamples, type LatencySummary } from '../latency-samples.js';
import type { Stage } from './origin-clock.js';

/** A stage's markers of the rounds measured: from the round to its first and to its last partition's marker written (ms). */
export interface MarkerRoundsSummary {
  readonly first: LatencySummary;
  readonly last: LatencySummary;
}

/**
 * When the progress markers of each of ingest's rounds were written by the stages that forward
 * them (features.v1, prediction.v1). The bench's publisher marks at its wall time − 1 (live ingest's
 * markers), so a marker of time T forwards the round made at T + 1; each forwarded marker's Kafka
 * timestamp is when the process that forwarded it wrote it. Trade holds a book until the last
 * `prediction.v1` partition's marker of the round after it is in: that is the markers' part of a
 * fill's latency. A round counts once every partition of the stage has a marker at or past it.
 */
export class MarkerRounds {
  /** Per stage: each partition's latest marker time and when that marker was written. */
  private readonly latest = new Map<Stage, Map<number, { time: number; at: number }>>();
  /** Per stage, per marker time: when each partition had reached it (a marker at or past it written). */
  private readonly open = new Map<Stage, Map<number, Map<number, number>>>();
  /** Per stage, the complete rounds: their round time (T + 1) and first and last produce times. */
  private readonly complete = new Map<Stage, { round: number; first: number; last: number }[]>();

  /** `partitions`: each stage topic's partition count. */
  constructor(private readonly partitions: number) {}

  /**
   * A marker of `time` read on a stage topic's partition, written at `producedAt` (its Kafka
   * timestamp). It also covers the earlier rounds on that partition: a stage that read two rounds
   * at once forwards only the later one.
   */
  marked(stage: Stage, partition: number, time: number, producedAt: number): void {
    let latest = this.latest.get(stage);
    if (latest === undefined) this.latest.set(stage, (latest = new Map()));
    let open = this.open.get(stage);
    if (open === undefined) this.open.set(stage, (open = new Map()));
    if (!open.has(time) && time > (latest.get(partition)?.time ?? Number.NEGATIVE_INFINITY)) {
      // A partition already past it reached it no later than its latest marker.
      const reached = new Map<number, number>();
      for (const [p, l] of latest) if (l.time >= time) reached.set(p, l.at);
      open.set(time, reached);
    }
    latest.set(partition, { time, at: producedAt });
    for (const [t, reached] of open) {
      if (t > time) continue;
      if (!reached.has(partition)) reached.set(partition, producedAt);
      if (reached.size < this.partitions) continue;
      open.delete(t);
      let done = this.complete.get(stage);
      if (done === undefined) this.complete.set(stage, (done = []));
      const at = [...reached.values()];
      done.push({ round: t + 1, first: Math.min(...at), last: Math.max(...at) });
    }
  }

  /** Per stage with markers, over the rounds made in [from, to) (wall ms). */
  summary(from: number, to: number): Partial<Record<Stage, MarkerRoundsSummary>> {
    const out: Partial<Record<Stage, MarkerRoundsSummary>> = {};
    for (const [stage, rounds] of this.complete) {
      const first = new LatencySamples();
      const last = new LatencySamples();
      for (const r of rounds) {
        if (r.round < from || r.round >= to) continue;
        first.add(r.first - r.round, false);
        last.add(r.last - r.round, false);
      }
      out[stage] = { first: first.summary(), last: last.summary() };
    }
    return out;
  }
}
