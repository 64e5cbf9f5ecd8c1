/** Topic `alert.v1` (key: source event id): an alert as delivered to the webhooks. */
export interface Alert {
  readonly id: string;
  readonly ts: number;
  readonly kind: string;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly title: string;
  readonly body: string;
  readonly sourceEventId: string;
}

/** Severities in increasing order, for `minSeverity` comparisons. */
export const ALERT_SEVERITY_RANK: { readonly [S in Alert['severity']]: number } = { info: 0, warning: 1, critical: 2 };
