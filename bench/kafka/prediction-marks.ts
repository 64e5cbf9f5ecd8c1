// trade in ingest's order (progress markers on, the default) holds each book until every
// prediction.v1 partition has progressed past it, and predict forwards those markers. A throughput
// case pre-produces trade's input with no predict process, so it writes the markers predict would:
// in the derived order every prediction due before a book was published before it (the replay moves
// its clock to a record's receive time before the record), so before a book received at t,
// prediction.v1 has progressed to t - 1. Marked at most once per marker interval, and at the end.
import type { TappedRecord } from '../bus-tap.js';
import type { Config } from '../../runtime/config.js';
import { progressChainPartitions } from '../../runtime/kafka/ingest-order.js';
import { createKafka } from '../../runtime/kafka/kafka-client.js';
import type { KafkaBus } from '../../runtime/kafka/kafka-bus.js';

export class PredictionMarks {
  private marked = Number.NEGATIVE_INFINITY;
  private latest = Number.NEGATIVE_INFINITY;

  private constructor(
    private readonly bus: KafkaBus,
    private readonly partitions: number,
    private readonly intervalMs: number,
  ) {}

  /** For `bus`, publishing under topic prefix `prefix` (its topics made: see ThroughputRun.prepareTopics). */
  static async open(config: Config, prefix: string, bus: KafkaBus): Promise<PredictionMarks> {
    const admin = createKafka({ brokers: config.kafka.brokers, clientId: 'polyflow-bench-admin' }).admin();
    await admin.connect();
    try {
      // As many as trade waits for (it checks the same chain at start).
      return new PredictionMarks(bus, await progressChainPartitions(admin, (t) => `${prefix}${t}`), config.kafka.progressIntervalMs);
    } finally {
      await admin.disconnect();
    }
  }

  /** Call before publishing `record`. */
  before(record: TappedRecord): void {
    if (record.topic !== 'pm.book') return;
    this.latest = (record.value as { recvTs: number }).recvTs - 1;
    if (this.latest - this.marked >= this.intervalMs) this.mark();
  }

  /** After the last record: progress to the last book. */
  end(): void {
    if (this.latest > this.marked) this.mark();
  }

  private mark(): void {
    for (let p = 0; p < this.partitions; p++) this.bus.publishProgress('prediction.v1', p, this.latest);
    this.marked = this.latest;
  }
}
