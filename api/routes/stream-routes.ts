import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../api-deps.js';
import { anyObject, errorResponse, inTime, marketQuery, pageQuery, pageResponse, timeQuery, type PageQs, type TimeQs } from './route-schemas.js';

interface MarketQs {
  market?: string;
  assetId?: string;
}

const byMarket = (r: { market: string; assetId: string }, q: MarketQs): boolean =>
  (q.market === undefined || r.market === q.market) && (q.assetId === undefined || r.assetId === q.assetId);

/** The run's record streams: predictions, signals, orders, fills, portfolio, risk events, arbitrage, whales. */
export function streamRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const logs = deps.model.logs;
  const page = (tag: string, summary: string, extra: Record<string, unknown>) => ({
    schema: { tags: [tag], summary, querystring: { type: 'object', additionalProperties: false, properties: { ...pageQuery, ...timeQuery, ...extra } }, response: { 200: pageResponse, 400: errorResponse } },
  });

  app.get<{ Querystring: PageQs & TimeQs & MarketQs & { modelVersion?: string } }>(
    '/predictions',
    page('trading', 'Model predictions (prediction.v1)', { ...marketQuery, modelVersion: { type: 'string', maxLength: 200 } }),
    async (req) => logs['prediction.v1'].page(req.query, (p) => inTime(p.ts, req.query) && byMarket(p, req.query) && (req.query.modelVersion === undefined || p.modelVersion === req.query.modelVersion)),
  );

  app.get<{ Querystring: PageQs & TimeQs & MarketQs & { strength?: string[]; direction?: 'YES' | 'NO'; minEdge?: number } }>(
    '/signals',
    page('trading', 'Trade signals (signal.v1), filtered by strength, market, edge and time', {
      ...marketQuery,
      strength: { type: 'array', items: { type: 'string', enum: ['STRONG', 'MEDIUM', 'WEAK'] }, description: 'One or more (repeat the parameter).' },
      direction: { type: 'string', enum: ['YES', 'NO'] },
      minEdge: { type: 'number', minimum: 0, maximum: 1 },
    }),
    async (req) => {
      const q = req.query;
      const strengths = q.strength === undefined ? undefined : new Set(q.strength);
      return logs['signal.v1'].page(
        q,
        (s) =>
          inTime(s.ts, q) &&
          byMarket(s, q) &&
          (strengths === undefined || strengths.has(s.strength)) &&
          (q.direction === undefined || s.direction === q.direction) &&
          (q.minEdge === undefined || s.edge >= q.minEdge),
      );
    },
  );

  app.get<{ Querystring: PageQs & TimeQs & MarketQs }>('/orders', page('trading', 'Orders the risk gate let through (order.v1)', { ...marketQuery }), async (req) =>
    logs['order.v1'].page(req.query, (o) => inTime(o.ts, req.query) && byMarket(o, req.query)),
  );

  app.get<{ Querystring: PageQs & TimeQs & MarketQs & { orderId?: string } }>(
    '/fills',
    page('trading', 'Paper fills (fill.v1)', { ...marketQuery, orderId: { type: 'string', maxLength: 300 } }),
    async (req) => logs['fill.v1'].page(req.query, (f) => inTime(f.ts, req.query) && byMarket(f, req.query) && (req.query.orderId === undefined || f.orderId === req.query.orderId)),
  );

  app.get(
    '/portfolio',
    { schema: { tags: ['portfolio'], summary: 'The latest portfolio snapshot', response: { 200: anyObject, 404: errorResponse } } },
    async (_req, reply) => {
      const latest = logs['portfolio.v1'].last();
      if (latest === undefined) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'no portfolio snapshot yet' });
      return latest;
    },
  );

  app.get<{ Querystring: PageQs & TimeQs & { reason?: 'fill' | 'settlement' | 'mark' } }>(
    '/portfolio/history',
    page('portfolio', 'Portfolio snapshots over time (portfolio.v1)', { reason: { type: 'string', enum: ['fill', 'settlement', 'mark'] } }),
    async (req) => logs['portfolio.v1'].page(req.query, (s) => inTime(s.ts, req.query) && (req.query.reason === undefined || s.reason === req.query.reason)),
  );

  app.get<{ Querystring: PageQs & TimeQs & { rule?: string; action?: string; market?: string } }>(
    '/risk/events',
    page('risk', 'Risk gate blocks, resizes and breaker trips (risk.event)', {
      rule: { type: 'string', maxLength: 50 },
      action: { type: 'string', enum: ['block', 'resize', 'trip', 'reset'] },
      market: marketQuery.market,
    }),
    async (req) => {
      const q = req.query;
      return logs['risk.event'].page(q, (e) => inTime(e.ts, q) && (q.rule === undefined || e.rule === q.rule) && (q.action === undefined || e.action === q.action) && (q.market === undefined || e.market === q.market));
    },
  );

  app.get<{ Querystring: PageQs & TimeQs & { kind?: string; market?: string; eventId?: string; minEdge?: number } }>(
    '/arbitrage',
    page('watch', 'Arbitrage opportunities (arbitrage.v1), once per episode', {
      kind: { type: 'string', enum: ['complement_buy', 'complement_sell', 'neg_risk_buy', 'neg_risk_sell', 'duplicate'] },
      market: marketQuery.market,
      eventId: { type: 'string', maxLength: 100 },
      minEdge: { type: 'number', minimum: 0, maximum: 1 },
    }),
    async (req) => {
      const q = req.query;
      return logs['arbitrage.v1'].page(
        q,
        (o) =>
          inTime(o.ts, q) &&
          (q.kind === undefined || o.kind === q.kind) &&
          (q.market === undefined || o.markets.includes(q.market as never)) &&
          (q.eventId === undefined || o.eventId === q.eventId) &&
          (q.minEdge === undefined || o.edge >= q.minEdge),
      );
    },
  );

  app.get<{ Querystring: PageQs & TimeQs & { wallet?: string; market?: string; kind?: string; source?: string } }>(
    '/whales',
    page('watch', 'Whale events (whale.v1): large trades and tracked wallets', {
      wallet: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' },
      market: marketQuery.market,
      kind: { type: 'string', enum: ['large_trade', 'tracked_wallet'] },
      source: { type: 'string', enum: ['data_api', 'ws_trade'] },
    }),
    async (req) => {
      const q = req.query;
      const wallet = q.wallet?.toLowerCase();
      return logs['whale.v1'].page(
        q,
        (e) => inTime(e.ts, q) && (wallet === undefined || e.wallet === wallet) && (q.market === undefined || e.market === q.market) && (q.kind === undefined || e.kind === q.kind) && (q.source === undefined || e.source === q.source),
      );
    },
  );
}
