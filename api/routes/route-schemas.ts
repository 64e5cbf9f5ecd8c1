// JSON-schema pieces shared by the routes (validation and the OpenAPI document).
// The OpenAPI fields of a route schema (tags, summary...) are typed by @fastify/swagger's augmentation.
import type {} from '@fastify/swagger';

export const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'Items per page (1-1000).' },
  cursor: { type: 'string', pattern: '^[0-9]+$', description: 'nextCursor of the previous page.' },
  order: { type: 'string', enum: ['asc', 'desc'], default: 'asc', description: 'asc: oldest first; desc: newest first.' },
} as const;

export const offsetQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
} as const;

export const timeQuery = {
  since: { type: 'integer', minimum: 0, description: 'Event time from (ms, inclusive).' },
  until: { type: 'integer', minimum: 0, description: 'Event time until (ms, exclusive).' },
} as const;

export const marketQuery = {
  market: { type: 'string', minLength: 1, maxLength: 100, description: 'Condition id.' },
  assetId: { type: 'string', minLength: 1, maxLength: 100, description: 'Outcome token id.' },
} as const;

export const anyObject = { type: 'object', additionalProperties: true } as const;

export const pageResponse = {
  type: 'object',
  properties: { items: { type: 'array', items: anyObject }, nextCursor: { type: ['string', 'null'] } },
} as const;

export const errorResponse = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, error: { type: 'string' }, message: { type: 'string' } },
} as const;

export interface PageQs {
  limit: number;
  cursor?: string;
  order?: 'asc' | 'desc';
}

export interface TimeQs {
  since?: number;
  until?: number;
}

export const inTime = (ts: number, q: TimeQs): boolean => (q.since === undefined || ts >= q.since) && (q.until === undefined || ts < q.until);
