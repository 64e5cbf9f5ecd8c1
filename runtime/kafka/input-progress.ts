import type { TopicName } from '../../schemas/topics.js';
import { AwaitedProgress } from './awaited-progress.js';

/** The id of InputProgress's state among a checkpoint's operator states. */
export const INPUT_PROGRESS_STATE = 'kafka.inputProgress';

/** What a checkpoint keeps of InputProgress: each partition's latest marker time, of every topic. */
export interface InputProgressState {
  readonly ordered: readonly (readonly [number, number])[];
  readonly awaited: readonly (readonly [number, number])[];
  /** Those of the topics merged with the ordered one, per topic (absent from checkpoints taken before they counted). */
  readonly alongside?: readonly (readonly [TopicName, readonly (readonly [number, number])[]])[];
}

/**
 * How far a consumer in ingest's order (KafkaBusOptions.eventOrder: trade) has read its input in
 * event time: every record of the ordered topic (the books) and of the topics merged with it (the
 * resolutions) up to the least progress marker that went to the operators from each of their
 * partitions, and every record of the awaited topic (the predictions) due by that topic's least
 * progress. A marker goes to the operators once the records before it in its partition did (not
 * those of other partitions: the merge lets a marker go when it heads its lane), so only the least
 * over every partition of every merged topic says that every book and resolution received by t has
 * reached them, and every prediction due by t: the trade clock may pass t, acting on those
 * predictions before any later book, where the embedded run acts on them, though no later book has
 * come (a quiet market), and after any resolution before t, as the embedded run does.
 */
export class InputProgress {
  private readonly ordered: AwaitedProgress;
  private readonly alongside: ReadonlyMap<TopicName, AwaitedProgress>;
  /** The last time given out. */
  private given = Number.NEGATIVE_INFINITY;

  /**
   * `partitions`: the ordered topic's partition count (that of the awaited topic: they are
   * co-partitioned); `alongside`: the partition count of each topic merged with it.
   */
  constructor(
    partitions: number,
    private readonly awaited: AwaitedProgress,
    alongside: ReadonlyMap<TopicName, number> = new Map(),
  ) {
    this.ordered = new AwaitedProgress(partitions);
    this.alongside = new Map([...alongside].map(([topic, count]) => [topic, new AwaitedProgress(count)]));
  }

  /** A marker of the ordered topic went to the operators: the new input time, when it moved. */
  orderedMarker(partition: number, time: number): number | undefined {
    return this.ordered.saw(partition, time) ? this.moved() : undefined;
  }

  /** A marker of a topic merged with the ordered one went to the operators: the new input time, when it moved. */
  alongsideMarker(topic: TopicName, partition: number, time: number): number | undefined {
    return this.alongside.get(topic)?.saw(partition, time) === true ? this.moved() : undefined;
  }

  /** The awaited topic's least progress moved: the new input time, when it moved. */
  awaitedMoved(): number | undefined {
    return this.moved();
  }

  /** Forgets the markers of the ordered topic and of those merged with it (they are read again from where the operators are). */
  clear(): void {
    this.ordered.clear();
    for (const progress of this.alongside.values()) progress.clear();
    this.given = Number.NEGATIVE_INFINITY;
  }

  /** The markers seen of every topic, for a checkpoint (its records' offsets are past them). */
  snapshot(): InputProgressState {
    return { ordered: this.ordered.snapshot(), awaited: this.awaited.snapshot(), alongside: [...this.alongside].map(([topic, progress]) => [topic, progress.snapshot()]) };
  }

  /**
   * After clear(), the markers a checkpoint had seen (its offsets are past them: they are not read
   * again). The time they give is not given again: the predictions due by it had acted when the
   * checkpoint was taken (the restored states hold none of them).
   */
  restore(state: InputProgressState): void {
    this.ordered.restore(state.ordered);
    this.awaited.restore(state.awaited);
    if (state.alongside !== undefined) for (const [topic, times] of state.alongside) this.alongside.get(topic)?.restore(times);
    // A checkpoint from before the merged topics counted: they had progressed as far as the books
    // then (its run's clock was the books'), and no marker before its offsets is read again.
    else for (const progress of this.alongside.values()) progress.assume(this.ordered.progress);
    this.given = this.least();
  }

  /** The least progress over every topic. */
  private least(): number {
    let time = Math.min(this.ordered.progress, this.awaited.progress);
    for (const progress of this.alongside.values()) time = Math.min(time, progress.progress);
    return time;
  }

  private moved(): number | undefined {
    const time = this.least();
    if (!(time > this.given)) return undefined;
    this.given = time;
    return time;
  }
}
