-- Alerts delivered per webhook target (polyflow run alerts with state on): a restarted alerts
-- process reads the latest ids back and does not send them again. Slack and Discord have no
-- idempotency key, so without this an alert delivered before a crash, and not yet committed, was
-- posted twice. `seq` orders the rows; each target keeps its latest `alerts.dedupeCapacity`.
CREATE TABLE IF NOT EXISTS alert_deliveries (
  target            text NOT NULL,
  alert_id          text NOT NULL,
  seq               bigserial NOT NULL,
  delivered_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (target, alert_id)
);

CREATE INDEX IF NOT EXISTS alert_deliveries_target_seq ON alert_deliveries (target, seq);
