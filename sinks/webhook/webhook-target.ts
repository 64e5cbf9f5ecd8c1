import type { Alert } from '../../schemas/alert.js';

export type WebhookKind = 'generic' | 'slack' | 'discord';

/** One delivery target (config `alerts.targets[]`). `webhookUrl` is a secret: never logged or printed. */
export interface WebhookTarget {
  readonly name: string;
  readonly kind: WebhookKind;
  readonly webhookUrl: string;
  readonly minSeverity: Alert['severity'];
}
