import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../api-deps.js';
import { anyObject, errorResponse, offsetQuery } from './route-schemas.js';

/** Wallets ranked by traded volume or realized PnL (marked to resolution), from the whales operator. */
export function walletRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: { limit: number; offset: number; sort: 'volume' | 'pnl' } }>(
    '/whales/wallets',
    {
      schema: {
        tags: ['watch'],
        summary: 'Wallets ranked by volume or realized PnL',
        querystring: { type: 'object', additionalProperties: false, properties: { ...offsetQuery, sort: { type: 'string', enum: ['volume', 'pnl'], default: 'volume' } } },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: anyObject }, total: { type: 'integer' }, offset: { type: 'integer' } } }, 400: errorResponse },
      },
    },
    async (req) => {
      const { limit, offset, sort } = req.query;
      const all = [...deps.model.wallets.values()].sort((a, b) => {
        const d = sort === 'pnl' ? b.realizedPnl - a.realizedPnl : b.volume - a.volume;
        return d !== 0 ? d : a.wallet < b.wallet ? -1 : 1;
      });
      return { items: all.slice(offset, offset + limit).map((w, i) => ({ rank: offset + i + 1, ...w })), total: all.length, offset };
    },
  );
}
