import { LatencySamples, type LatencySummary } from '../latency-samples.js';
import type { Stage } from './origin-clock.js';

/** A stage's markers of the rounds measured: from the round to its first and to its last partition's marker written (ms). */
export interface MarkerRoundsSummary {
  readonly first: LatencySummary;
  readonly last: LatencySummary;
}

/** One stage topic's markers so far. */
interface StageMarkers {
  /** Each partition's latest marker time, and when that marker was written. */
  readonly latest: Map<number, { time: number; at: number }>;
  /** Per marker time not reached by every partition yet: when each partition reached it (a marker at or past it written). */
  readonly open: Map<number, Map<number, number>>;
  /** The rounds every partition reached: their round time (T + 1) and first and last produce times. */
  readonly complete: { round: number; first: number; last: number }[];
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
  private readonly stages = new Map<Stage, StageMarkers>();

  /** `partitions`: each stage topic's partition count. */
  constructor(private readonly partitions: number) {}

  /**
   * A marker of `time` read on a stage topic's partition, written at `producedAt` (its Kafka
   * timestamp). It also covers the earlier rounds on that partition: a stage that read two rounds
   * at once forwards only the later one.
   */
  marked(stage: Stage, partition: number, time: number, producedAt: number): void {
    let markers = this.stages.get(stage);
    if (markers === undefined) this.stages.set(stage, (markers = { latest: new Map(), open: new Map(), complete: [] }));
    const { latest, open, complete } = markers;
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
      const at = [...reached.values()];
      complete.push({ round: t + 1, first: Math.min(...at), last: Math.max(...at) });
    }
  }

  /** Per stage with markers, over the rounds made in [from, to) (wall ms). */
  summary(from: number, to: number): Partial<Record<Stage, MarkerRoundsSummary>> {
    const out: Partial<Record<Stage, MarkerRoundsSummary>> = {};
    for (const [stage, { complete: rounds }] of this.stages) {
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
