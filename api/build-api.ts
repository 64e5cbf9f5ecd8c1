import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { Counter, Registry } from 'prom-client';
import { PolyflowError } from '../runtime/errors.js';
import type { ApiDeps } from './api-deps.js';
import { checkBearer } from './bearer-auth.js';
import { analyticsRoutes } from './routes/analytics-routes.js';
import { marketRoutes } from './routes/market-routes.js';
import { modelRoutes } from './routes/model-routes.js';
import { riskRoutes } from './routes/risk-routes.js';
import { settingsRoutes } from './routes/settings-routes.js';
import { streamRoutes } from './routes/stream-routes.js';
import { systemRoutes } from './routes/system-routes.js';
import { walletRoutes } from './routes/wallet-routes.js';
import { TtlCache } from './ttl-cache.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The HTTP API (Fastify): JSON schemas on every route (validation + the OpenAPI document at
 * /docs, JSON at /docs/json), bearer token on every mutation, CORS only for configured origins,
 * a body size limit, and no header or secret in any log line or response. Not listening yet:
 * `app.listen({ host: config.api.host, port })`, or `app.inject` in tests.
 */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const api = deps.config.api;
  const log = deps.logger?.child({ component: 'api' });
  const app = Fastify({
    logger: false,
    bodyLimit: api.bodyLimitBytes,
    // Query arrays (`?strength=STRONG&strength=MEDIUM`) and numbers arrive as strings: coerced, then validated.
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
  });
  // Bodies are JSON only: anything else is 415, not a string for a route to misread.
  app.removeContentTypeParser('text/plain');
  const registry = new Registry();
  const requests = new Counter({ name: 'polyflow_api_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'] as const, registers: [registry] });
  const cache = new TtlCache<Record<string, unknown>>(api.cacheTtlMs, deps.clock);

  await app.register(swagger, {
    openapi: {
      info: { title: 'polyflow API', version: '1', description: 'Read endpoints over a polyflow run, settings and the kill switch. Mutations need `Authorization: Bearer <POLYFLOW_API_TOKEN>`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const origins = new Set(api.corsOrigins);
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (origins.size > 0 && origin !== undefined && (origins.has(origin) || origins.has('*'))) {
      void reply.header('access-control-allow-origin', origins.has('*') ? '*' : origin).header('vary', 'Origin');
      if (req.method === 'OPTIONS') {
        return reply
          .header('access-control-allow-methods', 'GET, PUT, DELETE')
          .header('access-control-allow-headers', 'authorization, content-type')
          .code(204)
          .send();
      }
    }
    if (!MUTATING.has(req.method)) return;
    const auth = checkBearer(api.token, req.headers.authorization);
    if (!auth.ok) {
      return reply
        .code(auth.status)
        .header('www-authenticate', 'Bearer')
        .send({ statusCode: auth.status, error: auth.status === 401 ? 'Unauthorized' : 'Forbidden', message: auth.message });
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.labels(req.method, route, String(reply.statusCode)).inc();
    // Method, route pattern and status only: no headers (the token), no query values.
    log?.debug({ method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err.validation !== undefined) return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: err.message });
    if (err instanceof PolyflowError) return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: err.message });
    const status = err.statusCode ?? 500;
    if (status < 500) return reply.code(status).send({ statusCode: status, error: err.name, message: err.message });
    log?.error({ err: { message: err.message, stack: err.stack } }, 'request failed');
    return reply.code(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
  });

  systemRoutes(app, deps, registry);
  marketRoutes(app, deps);
  streamRoutes(app, deps);
  walletRoutes(app, deps);
  analyticsRoutes(app, deps, cache);
  modelRoutes(app, deps);
  settingsRoutes(app, deps);
  riskRoutes(app, deps);
  return app;
}
