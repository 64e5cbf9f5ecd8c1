import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Prometheus metrics of the ClickHouse sink, on an injected registry (polyflow_clickhouse_*). */
export class ClickHouseSinkMetrics {
  readonly bufferRows: Gauge;
  readonly rowsWritten: Counter<'table'>;
  readonly insertRetries: Counter<'table'>;
  readonly insertFailures: Counter<'table'>;
  readonly insertSeconds: Histogram;
  private bufferSource: () => number = () => 0;

  constructor(registry: Registry) {
    const registers = [registry];
    const source = (): number => this.bufferSource();
    this.bufferRows = new Gauge({
      name: 'polyflow_clickhouse_buffer_rows',
      help: 'Rows buffered in the ClickHouse sink, not yet written',
      registers,
      collect() {
        this.set(source());
      },
    });
    this.rowsWritten = new Counter({
      name: 'polyflow_clickhouse_rows_written_total',
      help: 'Rows written to ClickHouse per table',
      labelNames: ['table'] as const,
      registers,
    });
    this.insertRetries = new Counter({
      name: 'polyflow_clickhouse_insert_retries_total',
      help: 'Inserts retried after a retriable error, per table',
      labelNames: ['table'] as const,
      registers,
    });
    this.insertFailures = new Counter({
      name: 'polyflow_clickhouse_insert_failures_total',
      help: 'Inserts given up (non-retriable error or retries exhausted), per table',
      labelNames: ['table'] as const,
      registers,
    });
    this.insertSeconds = new Histogram({
      name: 'polyflow_clickhouse_insert_seconds',
      help: 'Wall time of one successful insert',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
  }

  /** The gauge reads the sink's buffer when scraped, so the write path never touches it. */
  observeBuffer(source: () => number): void {
    this.bufferSource = source;
  }
}
