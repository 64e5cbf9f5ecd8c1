/**
 * Whether an insert that failed with `err` may succeed if sent again: connection-level failures,
 * HTTP 5xx/429, and ClickHouse's transient server codes. Syntax, type and schema errors are not.
 */
const RETRIABLE_CLICKHOUSE_CODES = new Set([
  '159', // TIMEOUT_EXCEEDED
  '164', // READONLY (replica switching to read-only)
  '202', // TOO_MANY_SIMULTANEOUS_QUERIES
  '203', // NO_FREE_CONNECTION
  '209', // SOCKET_TIMEOUT
  '210', // NETWORK_ERROR
  '241', // MEMORY_LIMIT_EXCEEDED
  '242', // TABLE_IS_READ_ONLY
  '252', // TOO_MANY_PARTS
  '285', // TOO_FEW_LIVE_REPLICAS
  '319', // UNKNOWN_STATUS_OF_INSERT
  '425', // SYSTEM_ERROR
  '999', // KEEPER_EXCEPTION
]);

const RETRIABLE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

export function isRetriableClickHouseError(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as { retriable?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.retriable === 'boolean') return e.retriable;
  const code = typeof e.code === 'string' || typeof e.code === 'number' ? String(e.code) : '';
  if (RETRIABLE_CLICKHOUSE_CODES.has(code) || RETRIABLE_NETWORK_CODES.has(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (/socket hang up|Timeout error|ECONNRESET|ECONNREFUSED|\b(502|503|504|429)\b/.test(message)) return true;
  return e.cause !== undefined && e.cause !== err ? isRetriableClickHouseError(e.cause) : false;
}
