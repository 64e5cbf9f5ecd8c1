import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../runtime/http/manual-clock.js';
import type { Alert } from '../../schemas/alert.js';
import type { DeadLetter } from '../../schemas/dead-letter.js';
import { WebhookDelivery, type AlertDeliveryLog } from './webhook-delivery.js';

const alert = (id: string): Alert => ({ id, ts: 1_000, kind: 'fill', severity: 'info', title: id, body: '', sourceEventId: id });

/** A log in memory: per target, the ids recorded, in order; `failRead`/`failWrite` make it throw. */
class MemoryLog implements AlertDeliveryLog {
  readonly rows = new Map<string, string[]>();
  constructor(private readonly fail: { read?: boolean; write?: boolean } = {}) {}
  async deliveredAlerts(target: string, limit: number): Promise<string[]> {
    if (this.fail.read === true) throw new Error('log down');
    return (this.rows.get(target) ?? []).slice(-limit);
  }
  async recordAlertDelivery(target: string, alertId: string): Promise<void> {
    if (this.fail.write === true) throw new Error('log down');
    const rows = this.rows.get(target) ?? [];
    if (!rows.includes(alertId)) rows.push(alertId);
    this.rows.set(target, rows);
  }
}

/** A delivery to one Slack target whose receiver answers `status` to the alert ids in `failing`, 200 otherwise; the ids posted, in order. */
function slackDelivery(log: AlertDeliveryLog, failing: readonly string[] = []): { delivery: WebhookDelivery; posted: string[]; dead: DeadLetter[] } {
  const posted: string[] = [];
  const dead: DeadLetter[] = [];
  const fakeFetch = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    // Slack's body carries the alert id in its context block: `<severity> · <kind> · <id>`.
    const body = JSON.parse(String(init?.body)) as { blocks: { elements?: { text: string }[] }[] };
    const id = body.blocks[2]?.elements?.[0]?.text.split(' · ')[2] ?? '';
    posted.push(id);
    return new Response('', { status: failing.includes(id) ? 404 : 200 });
  };
  const delivery = new WebhookDelivery({
    targets: [{ name: 'team', kind: 'slack', webhookUrl: 'http://127.0.0.1:9/hook', minSeverity: 'info' }],
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    timeoutMs: 1_000,
    rateLimit: { capacity: 100, refillPerSecond: 100 },
    dedupeCapacity: 3,
    maxQueue: 100,
    breakerFailures: 100,
    breakerCooldownMs: 1,
    onDeadLetter: (d) => dead.push(d),
    clock: new ManualClock(),
    fetch: fakeFetch as typeof fetch,
    log,
  });
  return { delivery, posted, dead };
}

describe('WebhookDelivery with a delivery log', () => {
  it('records each delivered alert, and a later delivery (a restarted process) does not send them again', async () => {
    const log = new MemoryLog();
    const first = slackDelivery(log, ['a:3']);
    await Promise.all(['a:1', 'a:2', 'a:3'].map((id) => first.delivery.deliver(alert(id))));
    expect(first.posted.sort()).toEqual(['a:1', 'a:2', 'a:3']);
    // The one the receiver refused is dead-lettered, not recorded: a restart sends it again.
    expect(log.rows.get('team')).toEqual(['a:1', 'a:2']);
    expect(first.dead.map((d) => JSON.parse(d.raw).id)).toEqual(['a:3']);

    const second = slackDelivery(log);
    await Promise.all(['a:1', 'a:2', 'a:3', 'a:4'].map((id) => second.delivery.deliver(alert(id))));
    expect(second.posted.sort()).toEqual(['a:3', 'a:4']);
    expect(log.rows.get('team')).toEqual(['a:1', 'a:2', 'a:3', 'a:4']);
  });

  it('has the log keep only the latest dedupeCapacity of a target as it goes (its read prunes), every dedupeCapacity deliveries', async () => {
    const log = new MemoryLog();
    const reads: number[] = [];
    const read = log.deliveredAlerts.bind(log);
    log.deliveredAlerts = async (target, limit) => {
      reads.push(limit);
      const kept = await read(target, limit);
      log.rows.set(target, kept);
      return kept;
    };
    const { delivery } = slackDelivery(log);
    for (let i = 1; i <= 7; i++) await delivery.deliver(alert(`a:${i}`));
    // The start's read, then one after the 3rd and the 6th delivery (dedupeCapacity 3).
    expect(reads).toEqual([3, 3, 3]);
    expect(log.rows.get('team')).toEqual(['a:4', 'a:5', 'a:6', 'a:7']);
  });

  it('reads back only the latest dedupeCapacity deliveries of a target', async () => {
    const log = new MemoryLog();
    log.rows.set('team', ['a:1', 'a:2', 'a:3', 'a:4']);
    const { delivery, posted } = slackDelivery(log);
    await Promise.all(['a:1', 'a:2', 'a:4'].map((id) => delivery.deliver(alert(id))));
    expect(posted).toEqual(['a:1']);
  });

  it('delivers anyway when the log cannot be read or written (duplicates after a restart are then possible, never losses)', async () => {
    const unreadable = slackDelivery(new MemoryLog({ read: true }));
    await unreadable.delivery.deliver(alert('a:1'));
    expect(unreadable.posted).toEqual(['a:1']);
    const unwritable = slackDelivery(new MemoryLog({ write: true }));
    await unwritable.delivery.deliver(alert('a:1'));
    expect(unwritable.posted).toEqual(['a:1']);
    expect(unwritable.dead).toEqual([]);
  });
});
