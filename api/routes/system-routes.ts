import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ApiDeps } from '../api-deps.js';
import { anyObject } from './route-schemas.js';

interface Check {
  readonly ok: boolean;
  readonly detail: string;
}

const readySchema = {
  type: 'object',
  properties: {
    ready: { type: 'boolean' },
    checks: { type: 'object', additionalProperties: { type: 'object', properties: { ok: { type: 'boolean' }, detail: { type: 'string' } } } },
  },
} as const;

/** Liveness, readiness (bus, stores, feed freshness, model) and Prometheus metrics. */
export function systemRoutes(app: FastifyInstance, deps: ApiDeps, apiRegistry: Registry): void {
  app.get('/health', { schema: { tags: ['system'], summary: 'Liveness: the process answers', response: { 200: anyObject } } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { tags: ['system'], summary: 'Readiness: bus, stores, feed freshness, model', response: { 200: readySchema, 503: readySchema } } }, async (_req, reply) => {
    const checks: Record<string, Check> = {};
    const m = deps.model;
    checks['bus'] = m.source === 'bus' ? { ok: m.attached, detail: m.attached ? 'subscribed' : 'detached' } : { ok: m.source === 'files', detail: m.source === 'files' ? 'run files loaded' : 'no data source' };
    if (deps.store !== undefined) {
      try {
        await deps.store.query('SELECT 1');
        checks['state'] = { ok: true, detail: deps.store.kind };
      } catch (err) {
        checks['state'] = { ok: false, detail: `${deps.store.kind}: ${err instanceof Error ? err.message : String(err)}` };
      }
    } else checks['state'] = { ok: true, detail: 'off' };
    checks['analytics'] = { ok: true, detail: deps.analytics.kind };
    if (m.source === 'bus') {
      const last = m.lastBookRecvTs;
      const age = last === undefined ? undefined : deps.clock() - last;
      const limit = deps.config.api.feedStaleMs;
      checks['feed'] = age === undefined ? { ok: false, detail: 'no book update yet' } : { ok: age <= limit, detail: `last book update ${age} ms ago (limit ${limit} ms)` };
      checks['model'] = deps.modelVersion === undefined ? { ok: false, detail: 'no model loaded' } : { ok: true, detail: deps.modelVersion };
    } else {
      checks['feed'] = { ok: true, detail: 'not live: run files' };
      checks['model'] = { ok: true, detail: deps.modelVersion ?? 'not part of this process' };
    }
    const ready = Object.values(checks).every((c) => c.ok);
    return reply.code(ready ? 200 : 503).send({ ready, checks });
  });

  app.get('/metrics', { schema: { tags: ['system'], summary: 'Prometheus metrics of the run and the API (text format)', produces: ['text/plain'] } }, async (_req, reply) => {
    const texts = await Promise.all([...deps.registries, apiRegistry].map((r) => r.metrics()));
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(texts.filter((t) => t !== '').join('\n'));
  });
}
