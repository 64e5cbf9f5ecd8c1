import { describe, expect, it } from 'vitest';
import type { Alert } from '../../schemas/alert.js';
import { webhookPayload } from './webhook-payload.js';

const ALERT: Alert = { id: 'alert:sig:1', ts: 1_767_225_600_000, kind: 'signal', severity: 'critical', title: 'STRONG YES signal', body: 'edge 12.0%', sourceEventId: 'sig:1' };

describe('webhookPayload', () => {
  it('generic: the alert record itself', () => {
    expect(webhookPayload('generic', ALERT)).toEqual(ALERT);
  });

  it('slack: text plus header, section and context blocks carrying the alert id', () => {
    expect(webhookPayload('slack', ALERT)).toEqual({
      text: '[CRITICAL] STRONG YES signal: edge 12.0%',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'STRONG YES signal' } },
        { type: 'section', text: { type: 'mrkdwn', text: 'edge 12.0%' } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'critical · signal · alert:sig:1' }] },
      ],
    });
  });

  it('discord: content plus one embed, clipped to Discord limits', () => {
    const long = { ...ALERT, title: 'x'.repeat(300) };
    const body = webhookPayload('discord', long) as { content: string; embeds: { title: string; color: number; footer: { text: string }; timestamp: string }[] };
    expect(body.content.startsWith('**[CRITICAL]** xxx')).toBe(true);
    expect(body.embeds).toHaveLength(1);
    expect(body.embeds[0]?.title).toHaveLength(256);
    expect(body.embeds[0]?.color).toBe(0xdc2626);
    expect(body.embeds[0]?.footer.text).toBe('alert:sig:1');
    expect(body.embeds[0]?.timestamp).toBe('2026-01-01T00:00:00.000Z');
  });
});
