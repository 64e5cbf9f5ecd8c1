import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { FEATURE_INDEX, type FeatureSpec } from '../schemas/feature-spec.js';
import type { FeatureVector } from '../schemas/feature-vector.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { Prediction } from '../schemas/prediction.js';
import type { InFlight } from '../runtime/in-flight.js';
import type { StateSlot } from '../runtime/state-registry.js';

/** What the scoring stage needs of a model (models/ implements it over onnxruntime-node). */
export interface BatchScorer {
  readonly modelVersion: string;
  readonly spec: FeatureSpec;
  /** `rows` is row-major, nRows × spec.names.length; returns P(token pays 1) per row. */
  score(rows: Float32Array, nRows: number): Promise<Float32Array>;
  /**
   * An ensemble's richer call (models/ensemble-scorer.ts): the vectors themselves (so it can add
   * each market's question) -> probability and confidence (1 - member disagreement) per vector.
   */
  scoreVectors?(vectors: readonly FeatureVector[]): Promise<{ probability: Float32Array; confidence: Float32Array }>;
  /** An ensemble learns each market's question and category from `pm.market.meta` through this. */
  observeMeta?(meta: MarketMeta): void;
}

export interface ScoreBatchesOptions {
  /** A batch is scored as soon as it holds this many vectors... */
  readonly maxBatch: number;
  /** ...or this long (scheduler time) after its first vector arrived. */
  readonly maxWaitMs: number;
  /**
   * Tracks batches being scored, so a replay can wait for them (keeps replays deterministic); its
   * drain() scores the pending batch at once (a Kafka consumer's, before it commits).
   */
  readonly inFlight?: InFlight;
  /** Told of each vector taken in (restored ones too) and of each one scored, in that order: what the stage still holds. */
  readonly held?: { added(v: FeatureVector): void; done(): void };
}

/**
 * Micro-batches feature vectors across assets and scores each batch with one model call. Every
 * vector is scored, an asset's older one in a batch too: an asset's predictions are then a function
 * of its own vectors (rows are scored independently; float32 kernels may round the last bits
 * differently with the batch size), whatever the batch boundaries. The throttle in front keeps an
 * asset's rescoring to material mid moves, so an asset seldom has two vectors in one batch.
 * Batches are scored one after another, so predictions leave in batch order.
 */
export function scoreBatches(
  scorer: BatchScorer,
  opts: ScoreBatchesOptions,
  scheduler: SchedulerLike,
  slot?: StateSlot,
): OperatorFunction<FeatureVector, Prediction> {
  const width = scorer.spec.names.length;
  return (source) =>
    new Observable<Prediction>((subscriber) => {
      let pending: FeatureVector[] = [];
      let timer: Subscription | null = null;
      /** Scheduler time the pending batch is due, while its timer is armed. */
      let dueMs = Number.NaN;
      let chain: Promise<void> = Promise.resolve();
      let failed = false;
      let scoring = 0;

      const flush = (): void => {
        timer?.unsubscribe();
        timer = null;
        if (pending.length === 0) return;
        const batch = pending;
        pending = [];
        const rows = new Float32Array(batch.length * width);
        for (let r = 0; r < batch.length; r++) rows.set((batch[r] as FeatureVector).values, r * width);
        opts.inFlight?.begin();
        scoring++;
        chain = chain
          .then((): Promise<{ probability: Float32Array; confidence?: Float32Array | undefined }> =>
            scorer.scoreVectors !== undefined
              ? scorer.scoreVectors(batch)
              : scorer.score(rows, batch.length).then((probability) => ({ probability })),
          )
          .then(({ probability, confidence }) => {
            for (let r = 0; r < batch.length; r++) {
              opts.held?.done();
              subscriber.next(toPrediction(batch[r] as FeatureVector, probability[r] ?? Number.NaN, scorer.modelVersion, confidence?.[r] ?? 1, opts.maxWaitMs));
            }
          })
          .catch((err: unknown) => {
            failed = true;
            opts.inFlight?.fail(err);
            subscriber.error(err);
          })
          .finally(() => {
            scoring--;
            opts.inFlight?.end();
          });
      };

      // A checkpoint holds the pending batch and when it is due, not a flush of it: flushing early
      // would give other batches, so a resumed run would differ from an uninterrupted one.
      const attached = slot?.registry.attach(slot.id, (): PendingBatch => {
        if (scoring > 0) throw new Error('scoreBatches: checkpoint taken while a batch is being scored (await the in-flight work first)');
        return { pending, dueMs: timer === null ? Number.NaN : dueMs };
      });
      if (attached?.restored !== undefined) {
        const restored = attached.restored as PendingBatch;
        pending = restored.pending;
        for (const v of pending) opts.held?.added(v);
        if (pending.length > 0 && !Number.isNaN(restored.dueMs)) {
          dueMs = restored.dueMs;
          timer = scheduler.schedule(flush, Math.max(0, dueMs - scheduler.now()));
        }
      }

      const handedOn = opts.inFlight?.holdsBack(flush);
      const subscription = source.subscribe({
        next: (v) => {
          if (failed) return;
          if (v.values.length !== width || v.specVersion !== scorer.spec.version) {
            // Same width is not enough: a vector of another spec version has other features in the same slots.
            subscriber.error(
              new Error(`feature vector ${v.id} is spec ${v.specVersion} with ${v.values.length} values; the model takes spec ${scorer.spec.version} with ${width}`),
            );
            return;
          }
          pending.push(v);
          opts.held?.added(v);
          if (pending.length >= opts.maxBatch) flush();
          else if (timer === null) {
            dueMs = scheduler.now() + opts.maxWaitMs;
            timer = scheduler.schedule(flush, opts.maxWaitMs);
          }
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          flush();
          void chain.then(() => subscriber.complete());
        },
      });
      return () => {
        handedOn?.();
        attached?.detach();
        timer?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}

/** What a checkpoint keeps of the stage: the vectors waiting for the next batch and its due time (NaN: none). */
interface PendingBatch {
  readonly pending: FeatureVector[];
  readonly dueMs: number;
}

/** The prediction a scored vector gives (its id derived from the vector's), due `delayMs` after the vector's input was received. */
export function toPrediction(v: FeatureVector, pModel: number, modelVersion: string, confidence: number, delayMs: number): Prediction {
  return {
    id: `pred:${v.id}`,
    featuresId: v.id,
    assetId: v.assetId,
    market: v.market,
    ts: v.ts,
    // A vector restored from a checkpoint written before `recvTs` existed has none: due at once.
    dueTs: (v.recvTs ?? 0) + delayMs,
    modelVersion,
    pModel,
    pMarket: v.values[FEATURE_INDEX.mid] ?? Number.NaN,
    // 1 for a single model; an ensemble's scoreVectors reports 1 - member disagreement.
    confidence,
    bestBid: v.bestBid,
    bestAsk: v.bestAsk,
    bidDepth: v.bidDepth,
    askDepth: v.askDepth,
  };
}
