import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../api-deps.js';
import { calibration } from '../calibration.js';
import type { TtlCache } from '../ttl-cache.js';
import { anyObject, errorResponse } from './route-schemas.js';

/**
 * A run's analytics: model vs market Brier and log loss, PnL, drawdown, hit rate (win rate of
 * settled positions), Sharpe, from ClickHouse/chDB SQL, summary.json or the running graph; plus
 * calibration bins from the predictions and resolutions. Heavy, so cached: the key holds the
 * bins asked for and the settings version, the TTL is `api.cacheTtlMs`.
 */
export function analyticsRoutes(app: FastifyInstance, deps: ApiDeps, cache: TtlCache<Record<string, unknown>>): void {
  app.get<{ Querystring: { bins: number } }>(
    '/analytics',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Brier vs market, calibration, PnL, drawdown, hit rate',
        querystring: { type: 'object', additionalProperties: false, properties: { bins: { type: 'integer', minimum: 2, maximum: 50, default: 10 } } },
        response: { 200: anyObject, 400: errorResponse },
      },
    },
    async (req, reply) => {
      const bins = req.query.bins;
      const key = `analytics:bins=${bins}:settings=${deps.settings.version}`;
      const { value, cached } = await cache.get(key, async () => {
        const figures = (await deps.analytics.figures()) ?? null;
        const logs = deps.model.logs;
        return {
          source: deps.analytics.kind,
          computedAt: deps.clock(),
          figures,
          hitRate: figures === null ? null : (figures['win_rate'] ?? null),
          calibration: calibration(logs['prediction.v1'].all(), logs['pm.resolution'].all(), bins),
        };
      });
      void reply.header('x-cache', cached ? 'hit' : 'miss');
      return value;
    },
  );
}
