import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../api-deps.js';
import { anyObject } from './route-schemas.js';

/** The model registry (the state store's `models` table) and the model this process scores with. */
export function modelRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/models',
    { schema: { tags: ['models'], summary: 'Model registry and the loaded model', response: { 200: { type: 'object', properties: { loaded: { type: ['string', 'null'] }, models: { type: 'array', items: anyObject } } } } } },
    async () => {
      const models =
        deps.store === undefined
          ? []
          : await deps.store.query(
              `SELECT version, name, feature_spec AS "featureSpec", feature_spec_hash AS "featureSpecHash", artifact_path AS "artifactPath",
                 artifact_sha256 AS "artifactSha256", data_from_ts::float8 AS "dataFromTs", data_to_ts::float8 AS "dataToTs",
                 train_range AS "trainRange", holdout_range AS "holdoutRange", row_counts AS "rowCounts", metrics, artifacts,
                 tradeable_categories AS "tradeableCategories", status,
                 to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "createdAt"
               FROM models ORDER BY created_at DESC, version`,
            );
      return { loaded: deps.modelVersion ?? null, models };
    },
  );
}
