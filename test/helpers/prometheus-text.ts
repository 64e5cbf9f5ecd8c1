/**
 * A series' value in Prometheus text exposition: `series` is the metric name with its labels as
 * prom-client writes them (`polyflow_kafka_rebalances_total`,
 * `polyflow_kafka_consumed_records_total{topic="pm.book"}`); undefined when the text has no such line.
 */
export function seriesValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
