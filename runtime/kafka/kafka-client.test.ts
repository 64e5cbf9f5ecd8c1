import net, { type AddressInfo, type Socket } from 'node:net';
import type { ISocketFactory, PartitionerArgs } from 'kafkajs';
import { Partitioners } from './kafkajs.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../../test/helpers/wait-for.js';
import { cachedKeyPartitioner, dropInWarnings, kafkaClientConfig, noDelaySocketFactory } from './kafka-client.js';
import { installFastKafkajsCodec } from './kafkajs-fast-codec.js';
import { refusedSync } from './kafkajs-refused-sync.js';
import { requestQueueCheck } from './kafkajs-request-queue.js';

const metadata = (n: number): PartitionerArgs['partitionMetadata'] =>
  Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));

describe('cachedKeyPartitioner', () => {
  it('puts every key where the default (Java murmur2) partitioner does, for each partition count, also from its cache', () => {
    const cached = cachedKeyPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    const keys = Array.from({ length: 300 }, (_, i) => `${i * 7919}${'9'.repeat(i % 60)}`);
    const seen = new Set<number>();
    for (const n of [1, 4, 12]) {
      for (const pass of [0, 1]) {
        for (const key of keys) {
          const args = { topic: pass === 0 ? 'pm.book' : 'features.v1', partitionMetadata: metadata(n), message: { key, value: null } };
          const partition = cached(args);
          expect(partition).toBe(reference(args));
          seen.add(partition);
        }
      }
    }
    expect(seen.size).toBe(12);
  });

  it('keeps an explicit partition', () => {
    expect(cachedKeyPartitioner()({ topic: 't', partitionMetadata: metadata(4), message: { key: 'a', value: null, partition: 3 } })).toBe(3);
  });
});

describe('dropInWarnings', () => {
  it('is silent on the pinned kafkajs, and when its own codec is asked for', () => {
    expect(dropInWarnings(installFastKafkajsCodec(), requestQueueCheck, refusedSync)).toEqual([]);
    expect(dropInWarnings('installed', 'installed', 'installed')).toEqual([]);
    expect(dropInWarnings('stock', 'installed', 'installed')).toEqual([]);
  });

  it('names each drop-in that another kafkajs release leaves out, and what it costs', () => {
    expect(dropInWarnings('unsupported', 'installed', 'installed')).toEqual([expect.stringMatching(/own record codec stays in place \(about half the throughput/)]);
    expect(dropInWarnings('installed', 'unsupported', 'installed')).toEqual([expect.stringMatching(/request queue may keep a 1 ms timer running on every broker connection/)]);
    expect(dropInWarnings('installed', 'installed', 'unsupported')).toEqual([expect.stringMatching(/SyncGroup the coordinator refuses .* may crash and not rejoin its group/)]);
    expect(dropInWarnings('unsupported', 'unsupported', 'unsupported')).toHaveLength(3);
  });
});

describe('kafkaClientConfig', () => {
  afterEach(() => vi.restoreAllMocks());

  it("connects to brokers with Nagle's algorithm off (TCP_NODELAY) and keep-alive on", async () => {
    const config = kafkaClientConfig({ brokers: ['127.0.0.1:9092'], clientId: 'nodelay-test' });
    expect(config.socketFactory).toBe(noDelaySocketFactory);
    const accepted: Socket[] = [];
    const server = net.createServer((socket) => accepted.push(socket));
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const { port } = server.address() as AddressInfo;
    const noDelay = vi.spyOn(net.Socket.prototype, 'setNoDelay');
    const keepAlive = vi.spyOn(net.Socket.prototype, 'setKeepAlive');
    let connected = false;
    // kafkajs passes no `ssl` for a plaintext broker.
    const socket = noDelaySocketFactory({ host: '127.0.0.1', port, ssl: undefined, onConnect: () => (connected = true) } as unknown as Parameters<ISocketFactory>[0]);
    try {
      await waitFor(() => connected && accepted.length === 1, 5_000, 'the socket to connect');
      expect(noDelay.mock.contexts).toContain(socket);
      expect(noDelay.mock.calls).toContainEqual([true]);
      expect(keepAlive.mock.calls).toContainEqual([true, 60_000]);
    } finally {
      socket.destroy();
      for (const s of accepted) s.destroy();
      await new Promise((closed) => server.close(closed));
    }
  });
});
