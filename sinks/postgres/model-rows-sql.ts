import type { SqlQuery } from './sql-client.js';

/** One row of the model registry (the `models` table): what a model card says about a version. */
export interface ModelRow {
  readonly version: string;
  readonly name: string;
  /** Feature spec version (e.g. `f1`) and the hash of its definition. */
  readonly featureSpec: string;
  readonly featureSpecHash: string;
  /** The manifest the model loads from, and its sha256. */
  readonly artifactPath: string;
  readonly artifactSha256: string;
  /** Resolution range of the training and holdout data (ISO instants, [first, last]). */
  readonly trainRange: readonly string[];
  readonly holdoutRange: readonly string[];
  /** Earliest and latest resolution of all the data (ms), null when unknown. */
  readonly dataFromTs: number | null;
  readonly dataToTs: number | null;
  /** Rows per split. */
  readonly rowCounts: Readonly<Record<string, number>>;
  /** Metrics per split, model and market. */
  readonly metrics: Readonly<Record<string, unknown>>;
  /** Each artifact file and its sha256. */
  readonly artifacts: Readonly<Record<string, { readonly file: string; readonly sha256: string }>>;
  readonly tradeableCategories: readonly string[];
  readonly status: string;
  /** ISO instant the model was trained. */
  readonly createdAt: string;
}

/** The row as stored: `status` is the operator's (kept on re-registration), the rest the card's. */
export type ModelRowInput = Omit<ModelRow, 'status'> & { readonly status?: string };

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Inserts or replaces the row of `row.version` (idempotent; an existing row keeps its status). */
export async function upsertModelRow(sql: SqlQuery, row: ModelRowInput): Promise<void> {
  await sql.query(
    `INSERT INTO models (version, name, feature_spec, feature_spec_hash, artifact_path, artifact_sha256, data_from_ts, data_to_ts,
       train_range, holdout_range, row_counts, metrics, artifacts, tradeable_categories, status, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11::jsonb, $12::jsonb, $13::jsonb, $14::jsonb, $15, $16::timestamptz)
     ON CONFLICT (version) DO UPDATE SET name = excluded.name, feature_spec = excluded.feature_spec, feature_spec_hash = excluded.feature_spec_hash,
       artifact_path = excluded.artifact_path, artifact_sha256 = excluded.artifact_sha256, data_from_ts = excluded.data_from_ts,
       data_to_ts = excluded.data_to_ts, train_range = excluded.train_range, holdout_range = excluded.holdout_range,
       row_counts = excluded.row_counts, metrics = excluded.metrics, artifacts = excluded.artifacts,
       tradeable_categories = excluded.tradeable_categories, created_at = excluded.created_at`,
    [
      row.version,
      row.name,
      row.featureSpec,
      row.featureSpecHash,
      row.artifactPath,
      row.artifactSha256,
      row.dataFromTs,
      row.dataToTs,
      JSON.stringify(row.trainRange),
      JSON.stringify(row.holdoutRange),
      JSON.stringify(row.rowCounts),
      JSON.stringify(row.metrics),
      JSON.stringify(row.artifacts),
      JSON.stringify(row.tradeableCategories),
      row.status ?? 'candidate',
      row.createdAt,
    ],
  );
}

interface StoredModelRow {
  version: string;
  name: string;
  feature_spec: string;
  feature_spec_hash: string | null;
  artifact_path: string;
  artifact_sha256: string;
  data_from_ts: string | number | null;
  data_to_ts: string | number | null;
  train_range: string[] | null;
  holdout_range: string[] | null;
  row_counts: Record<string, number>;
  metrics: Record<string, unknown>;
  artifacts: Record<string, { file: string; sha256: string }>;
  tradeable_categories: string[];
  status: string;
  created_at: string;
}

/** The registry, newest first (then by version). */
export async function listModelRows(sql: SqlQuery): Promise<ModelRow[]> {
  const rows = await sql.query<StoredModelRow>(
    `SELECT version, name, feature_spec, feature_spec_hash, artifact_path, artifact_sha256, data_from_ts, data_to_ts, train_range, holdout_range,
       row_counts, metrics, artifacts, tradeable_categories, status,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at
     FROM models ORDER BY created_at DESC, version`,
  );
  return rows.map((r) => ({
    version: r.version,
    name: r.name,
    featureSpec: r.feature_spec,
    featureSpecHash: r.feature_spec_hash ?? '',
    artifactPath: r.artifact_path,
    artifactSha256: r.artifact_sha256,
    trainRange: r.train_range ?? [],
    holdoutRange: r.holdout_range ?? [],
    dataFromTs: num(r.data_from_ts),
    dataToTs: num(r.data_to_ts),
    rowCounts: r.row_counts,
    metrics: r.metrics,
    artifacts: r.artifacts,
    tradeableCategories: r.tradeable_categories,
    status: r.status,
    createdAt: r.created_at,
  }));
}
