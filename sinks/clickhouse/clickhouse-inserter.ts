import type { ClickHouseClient } from '@clickhouse/client';
import type { Row, RowInserter } from './clickhouse-sink.js';

/** The sink's inserts through `@clickhouse/client`, as JSONEachRow (NaN and infinities become NULL). */
export function clickhouseInserter(client: ClickHouseClient): RowInserter {
  return {
    async insert(table: string, rows: readonly Row[]): Promise<void> {
      await client.insert({ table, values: rows as Row[], format: 'JSONEachRow' });
    },
  };
}
