import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { kafkajsRejoinError, refusedSync, rejoinOnRefusedSync } from './kafkajs-refused-sync.js';

const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode: (code: number) => Error & { type: string; retriable: boolean } };
const { isRebalancing } = require('kafkajs/src/errors.js') as { isRebalancing: (e: unknown) => boolean };
const Broker = require('kafkajs/src/broker/index.js') as { prototype: { syncGroup: { rejoinsOnRefusal?: true } } };

const INVALID_REQUEST = 42;
const UNKNOWN_MEMBER_ID = 25;
/** A follower's SyncGroup carries no assignments; the leader's carries every member's. */
const follower = { groupAssignment: [] };
const leader = { groupAssignment: [{ memberId: 'm-1', memberAssignment: Buffer.from('a') }] };

describe('rejoinOnRefusedSync', () => {
  it("turns a follower's SyncGroup the coordinator refused (INVALID_REQUEST) into a rebalance kafkajs rejoins on, saying so", async () => {
    const refused = createErrorFromCode(INVALID_REQUEST);
    expect(refused.retriable).toBe(false);
    expect(isRebalancing(refused)).toBe(false);
    const sync = rejoinOnRefusedSync(() => Promise.reject(refused), kafkajsRejoinError);
    const err = (await sync.call({}, follower).catch((e: unknown) => e)) as Error & { type: string };
    expect(isRebalancing(err)).toBe(true);
    expect(err.type).toBe('REBALANCE_IN_PROGRESS');
    expect(err.message).toMatch(/^the coordinator refused this member's SyncGroup \(.*malformed.*\): joining again$/);
    expect(err.stack?.split('\n')[0]).toBe(`KafkaJSProtocolError: ${err.message}`);
    expect(err.cause).toBe(refused);
  });

  it("leaves a leader's refused SyncGroup as kafkajs's own error: there it is a fault, not a late sync", async () => {
    const refused = createErrorFromCode(INVALID_REQUEST);
    await expect(rejoinOnRefusedSync(() => Promise.reject(refused), kafkajsRejoinError).call({}, leader)).rejects.toBe(refused);
  });

  it("passes every other answer through as kafkajs's own, on the same broker", async () => {
    const broker = { assignment: Buffer.from('a') };
    const ok = rejoinOnRefusedSync(function (this: typeof broker) {
      return Promise.resolve({ memberAssignment: this.assignment });
    } as never, kafkajsRejoinError);
    expect(await ok.call(broker, follower)).toEqual({ memberAssignment: broker.assignment });
    const unknownMember = createErrorFromCode(UNKNOWN_MEMBER_ID);
    const failing = rejoinOnRefusedSync(() => Promise.reject(unknownMember), kafkajsRejoinError);
    await expect(failing.call(broker, follower)).rejects.toBe(unknownMember);
    const closed = new Error('Connection closed');
    await expect(rejoinOnRefusedSync(() => Promise.reject(closed), kafkajsRejoinError).call(broker, follower)).rejects.toBe(closed);
  });

  it("is on kafkajs's Broker, on the pinned release", () => {
    expect(refusedSync).toBe('installed');
    expect(Broker.prototype.syncGroup.rejoinsOnRefusal).toBe(true);
  });
});
