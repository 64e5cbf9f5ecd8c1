import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';

type ChdbAsClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

/** Where the analytics live: a ClickHouse server over HTTP, or embedded chDB in a folder. */
export type ClickHouseTarget =
  | { readonly kind: 'server'; readonly url: string; readonly username: string; readonly password: string }
  | { readonly kind: 'embedded'; readonly path: string };

/**
 * One client code path for both targets: `@clickhouse/client`, over HTTP or over chDB's in-process
 * connection. 64-bit integers are asked for unquoted, so both give JSON numbers (a server quotes
 * them by default; chDB never does); readers still pass values through `Number()`.
 * chDB runs one engine per process: close the client before opening another path.
 */
export function openClickHouse(target: ClickHouseTarget): ClickHouseClient {
  const clickhouse_settings = { output_format_json_quote_64bit_integers: 0, date_time_input_format: 'best_effort' } as const;
  if (target.kind === 'server') {
    return createClient({ url: target.url, username: target.username, password: target.password, clickhouse_settings });
  }
  // chdb types its connection against its own copy of @clickhouse/client-common: same shape, distinct declarations.
  const connection = createChdbConnection({ path: target.path }) as unknown as ChdbAsClientConnection;
  return createClient({ connection, clickhouse_settings });
}

/** A URL safe to print or store: credentials removed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}
