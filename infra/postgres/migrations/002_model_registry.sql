-- The model registry's card figures (polyflow train / retrain): one row per model version,
-- upserted by version. `artifact_path` is the manifest, `artifact_sha256` the manifest's hash,
-- `data_from_ts`/`data_to_ts` (ms) span the training and holdout resolution range.
ALTER TABLE models ADD COLUMN IF NOT EXISTS feature_spec_hash text;
ALTER TABLE models ADD COLUMN IF NOT EXISTS train_range jsonb;
ALTER TABLE models ADD COLUMN IF NOT EXISTS holdout_range jsonb;
ALTER TABLE models ADD COLUMN IF NOT EXISTS row_counts jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE models ADD COLUMN IF NOT EXISTS artifacts jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE models ADD COLUMN IF NOT EXISTS tradeable_categories jsonb NOT NULL DEFAULT '[]'::jsonb;
