import { AwaitedProgress } from './awaited-progress.js';

/** The id of InputProgress's state among a checkpoint's operator states. */
export const INPUT_PROGRESS_STATE = 'kafka.inputProgress';

/** What a checkpoint keeps of InputProgress: each partition's latest marker time, of both topics. */
export interface InputProgressState {
  readonly ordered: readonly (readonly [number, number])[];
  readonly awaited: readonly (readonly [number, number])[];
}

/**
 * How far a consumer in ingest's order (KafkaBusOptions.eventOrder: trade) has read its input in
 * event time: every record of the ordered topic (the books) up to the least progress marker that
 * went to the operators from each of its partitions, and every record of the awaited topic (the
 * predictions) due by that topic's least progress. A marker goes to the operators only once the
 * records before it in its partition did, so at time t every book received by t has reached them,
 * and every prediction due by t: the trade clock may pass t, acting on those predictions before any
 * later book, where the embedded run acts on them, though no later book has come (a quiet market).
 */
export class InputProgress {
  private readonly ordered: AwaitedProgress;
  /** The last time given out. */
  private given = Number.NEGATIVE_INFINITY;

  /** `partitions`: the ordered topic's partition count (that of the awaited topic: they are co-partitioned). */
  constructor(
    partitions: number,
    private readonly awaited: AwaitedProgress,
  ) {
    this.ordered = new AwaitedProgress(partitions);
  }

  /** A marker of the ordered topic went to the operators: the new input time, when it moved. */
  orderedMarker(partition: number, time: number): number | undefined {
    return this.ordered.saw(partition, time) ? this.moved() : undefined;
  }

  /** The awaited topic's least progress moved: the new input time, when it moved. */
  awaitedMoved(): number | undefined {
    return this.moved();
  }

  /** Forgets the ordered topic's markers (they are read again from where the operators are). */
  clear(): void {
    this.ordered.clear();
    this.given = Number.NEGATIVE_INFINITY;
  }

  /** The markers seen of both topics, for a checkpoint (its records' offsets are past them). */
  snapshot(): InputProgressState {
    return { ordered: this.ordered.snapshot(), awaited: this.awaited.snapshot() };
  }

  /**
   * After clear(), the markers a checkpoint had seen (its offsets are past them: they are not read
   * again). The time they give is not given again: the predictions due by it had acted when the
   * checkpoint was taken (the restored states hold none of them).
   */
  restore(state: InputProgressState): void {
    this.ordered.restore(state.ordered);
    this.awaited.restore(state.awaited);
    this.given = Math.min(this.ordered.progress, this.awaited.progress);
  }

  private moved(): number | undefined {
    const time = Math.min(this.ordered.progress, this.awaited.progress);
    if (!(time > this.given)) return undefined;
    this.given = time;
    return time;
  }
}
