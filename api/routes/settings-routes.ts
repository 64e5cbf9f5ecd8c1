import type { FastifyInstance } from 'fastify';
import { redactConfig } from '../../runtime/config.js';
import type { ApiDeps } from '../api-deps.js';
import { LIVE_SECTIONS } from '../settings-service.js';
import { anyObject, errorResponse } from './route-schemas.js';

const keyParams = {
  type: 'object',
  required: ['key'],
  properties: { key: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9]*(\\.[A-Za-z][A-Za-z0-9]*)+$', maxLength: 100, description: 'Config path, e.g. signal.minEdge.' } },
} as const;
const change = { type: 'object', properties: { key: { type: 'string' }, value: {}, applied: { type: 'string', enum: ['live', 'restart'] }, version: { type: 'integer' } } } as const;

/** Settings: read (effective config, stored rows), set and unset with validation (bearer token). */
export function settingsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const s = deps.settings;
  app.get(
    '/settings',
    {
      schema: {
        tags: ['settings'],
        summary: 'Stored settings and the effective config (secrets redacted)',
        response: { 200: { type: 'object', properties: { version: { type: 'integer' }, live: { type: 'array', items: { type: 'string' } }, settings: { type: 'array', items: anyObject }, effective: anyObject } } },
      },
    },
    async () => ({ version: s.version, live: [...LIVE_SECTIONS], settings: await s.list(), effective: redactConfig(s.config) }),
  );

  app.get<{ Params: { key: string } }>(
    '/settings/:key',
    { schema: { tags: ['settings'], summary: 'The effective value of one config key', params: keyParams, response: { 200: { type: 'object', properties: { key: { type: 'string' }, value: {} } }, 400: errorResponse } } },
    async (req) => ({ key: req.params.key, value: s.effective(req.params.key).value }),
  );

  app.put<{ Params: { key: string }; Body: { value: unknown } }>(
    '/settings/:key',
    {
      schema: {
        tags: ['settings'],
        summary: 'Set a config key (validated; stored; applied live to signal, risk, fees and watch)',
        security: [{ bearer: [] }],
        params: keyParams,
        body: { type: 'object', required: ['value'], additionalProperties: false, properties: { value: { description: 'Any JSON value valid for the key.' } } },
        response: { 200: change, 400: errorResponse, 401: errorResponse, 403: errorResponse },
      },
    },
    async (req) => s.set(req.params.key, req.body.value),
  );

  app.delete<{ Params: { key: string } }>(
    '/settings/:key',
    {
      schema: { tags: ['settings'], summary: 'Unset a key: back to the file/env/default value', security: [{ bearer: [] }], params: keyParams, response: { 200: change, 401: errorResponse, 403: errorResponse, 404: errorResponse } },
    },
    async (req, reply) => {
      const done = await s.unset(req.params.key);
      if (done === undefined) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `${req.params.key} is not set` });
      return done;
    },
  );
}
