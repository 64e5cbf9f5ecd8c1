import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../api-deps.js';
import { errorResponse } from './route-schemas.js';

const BREAKERS = ['kill_switch', 'drawdown', 'daily_loss', 'stale_book', 'model_drift'] as const;

interface BreakerState {
  rule: string;
  scope: string;
  tripped: boolean;
  reason: string;
  ts: number;
}

/** Breakers: the latest trip/reset per rule and scope from risk.event; the kill switch from the live settings. */
export function riskRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/risk',
    {
      schema: {
        tags: ['risk'],
        summary: 'Status of each breaker and the kill switch',
        response: {
          200: {
            type: 'object',
            properties: {
              killSwitch: { type: 'boolean' },
              breakers: {
                type: 'array',
                items: { type: 'object', properties: { rule: { type: 'string' }, tripped: { type: 'boolean' }, trippedScopes: { type: 'integer' }, last: { type: ['object', 'null'], additionalProperties: true } } },
              },
            },
          },
        },
      },
    },
    async () => {
      const latest = new Map<string, BreakerState>();
      for (const e of deps.model.logs['risk.event'].all()) {
        if (e.action !== 'trip' && e.action !== 'reset') continue;
        const scope = e.assetId !== '' ? e.assetId : e.market;
        latest.set(`${e.rule}|${scope}`, { rule: e.rule, scope, tripped: e.action === 'trip', reason: e.reason, ts: e.ts });
      }
      const killSwitch = deps.settings.config.risk.killSwitch;
      const breakers = BREAKERS.map((rule) => {
        const states = [...latest.values()].filter((b) => b.rule === rule);
        const tripped = states.filter((b) => b.tripped);
        const last = states.reduce<BreakerState | null>((a, b) => (a === null || b.ts >= a.ts ? b : a), null);
        return { rule, tripped: rule === 'kill_switch' ? killSwitch : tripped.length > 0, trippedScopes: tripped.length, last };
      });
      return { killSwitch, breakers };
    },
  );

  app.put<{ Body: { on: boolean } }>(
    '/risk/kill-switch',
    {
      schema: {
        tags: ['risk'],
        summary: 'Turn the kill switch on or off (the setting risk.killSwitch, applied live)',
        security: [{ bearer: [] }],
        body: { type: 'object', required: ['on'], additionalProperties: false, properties: { on: { type: 'boolean' } } },
        response: { 200: { type: 'object', properties: { killSwitch: { type: 'boolean' }, version: { type: 'integer' } } }, 400: errorResponse, 401: errorResponse, 403: errorResponse },
      },
    },
    async (req) => {
      const done = await deps.settings.set('risk.killSwitch', req.body.on);
      return { killSwitch: done.value as boolean, version: done.version };
    },
  );
}
