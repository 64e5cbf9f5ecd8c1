import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../api-deps.js';
import type { MarketMeta } from '../../schemas/market-meta.js';
import type { MarketId } from '../../schemas/ids.js';
import { anyObject, errorResponse, offsetQuery } from './route-schemas.js';

const marketParams = { type: 'object', required: ['market'], properties: { market: { type: 'string', minLength: 1, maxLength: 100 } } } as const;

/** Markets (from pm.market.meta, or the state store's markets table) and their books' tops. */
export function marketRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const notFound = (market: string) => ({ statusCode: 404, error: 'Not Found', message: `unknown market ${market}` });

  app.get<{ Querystring: { limit: number; offset: number; category?: string; eventId?: string; q?: string } }>(
    '/markets',
    {
      schema: {
        tags: ['markets'],
        summary: 'Markets seen by the run',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...offsetQuery, category: { type: 'string', maxLength: 100 }, eventId: { type: 'string', maxLength: 100 }, q: { type: 'string', maxLength: 200, description: 'Case-insensitive text in the question.' } },
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: anyObject }, total: { type: 'integer' }, offset: { type: 'integer' } } }, 400: errorResponse },
      },
    },
    async (req) => {
      const q = req.query;
      const text = q.q?.toLowerCase();
      const all = [...deps.model.markets.values()]
        .filter((m) => (q.category === undefined || m.category === q.category) && (q.eventId === undefined || m.eventId === q.eventId) && (text === undefined || m.question.toLowerCase().includes(text)))
        .sort((a, b) => (a.market < b.market ? -1 : a.market > b.market ? 1 : 0));
      return { items: all.slice(q.offset, q.offset + q.limit), total: all.length, offset: q.offset };
    },
  );

  app.get<{ Params: { market: string } }>(
    '/markets/:market',
    { schema: { tags: ['markets'], summary: 'One market, with its resolution when resolved', params: marketParams, response: { 200: anyObject, 404: errorResponse } } },
    async (req, reply) => {
      const meta: MarketMeta | undefined = deps.model.markets.get(req.params.market as MarketId);
      if (meta === undefined) return reply.code(404).send(notFound(req.params.market));
      const resolution = deps.model.logs['pm.resolution'].all().find((r) => r.market === meta.market) ?? null;
      return { ...meta, resolution };
    },
  );

  app.get<{ Params: { market: string } }>(
    '/markets/:market/book',
    { schema: { tags: ['markets'], summary: 'Top of book of each outcome token (live runs)', params: marketParams, response: { 200: anyObject, 404: errorResponse } } },
    async (req, reply) => {
      const meta = deps.model.markets.get(req.params.market as MarketId);
      if (meta === undefined) return reply.code(404).send(notFound(req.params.market));
      if (deps.model.source !== 'bus') return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'no live books: this API serves a finished run (start it with the run, e.g. `polyflow live --api`)' });
      // Prices and sizes in micro-units (as on the topics); -1: that side is empty.
      const tokens = meta.assetIds.map((assetId, i) => ({ assetId, outcome: meta.outcomes[i] ?? '', ...(deps.model.top(assetId) ?? { bestBid: -1, bestAsk: -1, bidDepth: 0, askDepth: 0, ts: 0, ready: false }) }));
      return { market: meta.market, tokens };
    },
  );
}
