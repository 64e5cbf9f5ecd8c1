import { Counter, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of a run, on an injected registry (never the global one, so every test and
 * every embedded run gets its own). Names follow polyflow_<component>_<thing>_<unit>.
 */
export class PipelineMetrics {
  readonly registry = new Registry();
  /** Records published to each topic. */
  readonly published = new Counter({
    name: 'polyflow_bus_records_total',
    help: 'Records published per topic',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  /** Records each operator took in and gave out. */
  readonly operatorIn = new Counter({
    name: 'polyflow_operator_events_in_total',
    help: 'Events into an operator',
    labelNames: ['operator'] as const,
    registers: [this.registry],
  });
  readonly operatorOut = new Counter({
    name: 'polyflow_operator_events_out_total',
    help: 'Events out of an operator',
    labelNames: ['operator'] as const,
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'polyflow_ingest_dead_letters_total',
    help: 'Inputs refused by validation, by source',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly lateTrades = new Counter({
    name: 'polyflow_features_late_trades_total',
    help: 'Trades that arrived later than the grace period behind their asset and were set aside',
    registers: [this.registry],
  });
  readonly bookStatus = new Counter({
    name: 'polyflow_book_updates_total',
    help: 'Book updates by resulting status (crossed, top_mismatch, awaiting_snapshot...)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  private readonly bookStatusChildren = new Map<string, { inc(): void }>();

  /** Counts one book update by status; children are cached so the hot path skips label hashing. */
  countBookStatus(status: string): void {
    let child = this.bookStatusChildren.get(status);
    if (child === undefined) {
      child = this.bookStatus.labels(status);
      this.bookStatusChildren.set(status, child);
    }
    child.inc();
  }

  readonly scoreBatchSeconds = new Histogram({
    name: 'polyflow_scorer_batch_seconds',
    help: 'Wall time of one model scoring batch',
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1],
    registers: [this.registry],
  });
  readonly scoreBatchRows = new Histogram({
    name: 'polyflow_scorer_batch_rows',
    help: 'Rows per scoring batch',
    buckets: [1, 4, 16, 64, 256, 1024],
    registers: [this.registry],
  });
}
