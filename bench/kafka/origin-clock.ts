import { performance } from 'node:perf_hooks';
import type { TopicTypes } from '../../schemas/topics.js';
import type { TappedRecord } from '../bus-tap.js';
import { LatencySamples, type LatencySummary } from '../latency-samples.js';

/** The outputs whose arrival a latency run measures, in path order. */
export const STAGES = ['features.v1', 'prediction.v1', 'fill.v1'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Wall time each input was published, by (asset, event ts): every derived record carries both
 * (a feature vector's ts is its asset's latest event time; predictions, signals, orders and fills
 * copy it), so an arrival maps back to the first input of that asset and time. Inputs published
 * during the warm-up are not measured.
 */
export class OriginClock {
  /** Per input: its publish time, monotonic (performance.now) and wall (Date.now, to compare with Kafka timestamps). */
  private readonly sent = new Map<string, { at: number; wall: number }>();
  private readonly seen = new Set<string>();
  private readonly samples = new Map<Stage, LatencySamples>(STAGES.map((s) => [s, new LatencySamples()]));
  /** Per stage: from the output record's produce time (its Kafka timestamp) to its arrival, the reader's own hop. */
  private readonly readerHops = new Map<Stage, LatencySamples>(STAGES.map((s) => [s, new LatencySamples()]));
  /** Per stage: from the input's publish to the output's produce time, when its pipeline wrote it (the reader's hop excluded). */
  private readonly produced = new Map<Stage, LatencySamples>(STAGES.map((s) => [s, new LatencySamples()]));
  private measureFrom = Infinity;
  private inputEnd = Infinity;
  /** The measured window in wall time (Date.now), to compare with Kafka timestamps. */
  private readonly wall = { from: Infinity, to: Infinity };
  unmatched = 0;
  /** Records that arrived again (a redelivery): not measured twice. */
  duplicates = 0;
  lastArrival = 0;

  startMeasuring(at: number): void {
    this.measureFrom = at;
    this.wall.from = Date.now();
  }

  inputEnded(at: number): void {
    this.inputEnd = at;
    this.wall.to = Date.now();
  }

  /** The measured input's window in wall time: from the first measured publish to the input's end. */
  wallWindow(): { readonly from: number; readonly to: number } {
    return { ...this.wall };
  }

  published(r: TappedRecord): void {
    if (r.topic !== 'pm.book' && r.topic !== 'pm.trade') return;
    const v = r.value as TopicTypes['pm.book' | 'pm.trade'];
    const key = `${v.assetId}|${v.ts}`;
    if (!this.sent.has(key)) this.sent.set(key, { at: performance.now(), wall: Date.now() });
  }

  /** `producedAt`: the record's Kafka timestamp (ms since the epoch), set by the pipeline that published it. */
  arrived(stage: Stage, v: { id: string; assetId: string; ts: number }, producedAt?: number): void {
    const now = performance.now();
    this.lastArrival = now;
    if (this.seen.has(v.id)) {
      this.duplicates++;
      return;
    }
    this.seen.add(v.id);
    const input = this.sent.get(`${v.assetId}|${v.ts}`);
    if (input === undefined) this.unmatched++;
    else if (input.at >= this.measureFrom) {
      const late = now > this.inputEnd;
      this.samples.get(stage)?.add(now - input.at, late);
      if (producedAt === undefined) return;
      this.readerHops.get(stage)?.add(Date.now() - producedAt, late);
      this.produced.get(stage)?.add(producedAt - input.wall, late);
    }
  }

  summary(): Record<Stage, LatencySummary> {
    return summaries(this.samples);
  }

  /** From each measured output's input to the output's produce time (none on the memory bus, where arrival is that time). */
  producedSummary(): Record<Stage, LatencySummary> {
    return summaries(this.produced);
  }

  /** The reader's hop of each measured arrival (none on the memory bus). */
  readerHopSummary(): Record<Stage, LatencySummary> {
    return summaries(this.readerHops);
  }
}

const summaries = (samples: ReadonlyMap<Stage, LatencySamples>): Record<Stage, LatencySummary> =>
  Object.fromEntries(STAGES.map((s) => [s, samples.get(s)?.summary()])) as Record<Stage, LatencySummary>;
