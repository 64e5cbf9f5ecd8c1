/** The request body each kind of target expects for one alert. */
import type { Alert } from '../../schemas/alert.js';
import type { WebhookKind } from './webhook-target.js';

const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** Discord embed colours by severity. */
const COLOUR: Readonly<Record<Alert['severity'], number>> = { info: 0x3b82f6, warning: 0xf59e0b, critical: 0xdc2626 };

/** Slack incoming webhook: `text` (the notification fallback) plus Block Kit blocks; the alert id rides in the context block. */
export function slackPayload(alert: Alert): { text: string; blocks: unknown[] } {
  return {
    text: clip(`[${alert.severity.toUpperCase()}] ${alert.title}: ${alert.body}`, 3_000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(alert.title, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: clip(alert.body, 3_000) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${alert.severity} · ${alert.kind} · ${alert.id}` }] },
    ],
  };
}

/** Discord webhook: `content` plus one embed (limits: content 2000, title 256, description 4096); the alert id is the footer. */
export function discordPayload(alert: Alert): { content: string; embeds: unknown[] } {
  return {
    content: clip(`**[${alert.severity.toUpperCase()}]** ${alert.title}`, 2_000),
    embeds: [
      {
        title: clip(alert.title, 256),
        description: clip(alert.body, 4_096),
        color: COLOUR[alert.severity],
        timestamp: new Date(alert.ts).toISOString(),
        footer: { text: alert.id },
      },
    ],
  };
}

/** The body for a target of `kind`: generic targets get the alert record itself (alert.v1). */
export function webhookPayload(kind: WebhookKind, alert: Alert): unknown {
  switch (kind) {
    case 'slack':
      return slackPayload(alert);
    case 'discord':
      return discordPayload(alert);
    case 'generic':
      return alert;
  }
}
