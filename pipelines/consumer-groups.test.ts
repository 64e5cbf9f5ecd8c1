import { describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config.js';
import { InputClock } from '../runtime/input-clock.js';
import { groupBusShape, KAFKA_PIPELINES, tradeGroupClock } from './consumer-groups.js';

describe('a trade consumer group', () => {
  it("reads books and resolutions in ingest's order, gated on prediction.v1's progress, on an input clock: by default (markers every 100 ms)", () => {
    const config = loadConfig({ env: {} });
    expect(config.kafka.progressIntervalMs).toBe(100);
    expect(groupBusShape('trade', config).eventOrder).toEqual({ topic: 'pm.book', alongside: ['pm.resolution'], awaiting: 'prediction.v1' });
    const clock = tradeGroupClock(config);
    expect(clock).toBeInstanceOf(InputClock);
    // One clock per group: its time is the books it saw.
    expect(tradeGroupClock(config)).not.toBe(clock);
  });

  it('acts on each prediction as it arrives with markers off (POLYFLOW_KAFKA_PROGRESS_INTERVAL_MS=0)', () => {
    const config = loadConfig({ env: { POLYFLOW_KAFKA_PROGRESS_INTERVAL_MS: '0' } });
    expect(config.kafka.progressIntervalMs).toBe(0);
    expect(groupBusShape('trade', config).eventOrder).toBeUndefined();
    expect(tradeGroupClock(config)).toBe('arrival');
  });

  it('is the only group in that order', () => {
    const config = loadConfig({ env: {} });
    for (const pipeline of KAFKA_PIPELINES.filter((p) => p !== 'trade')) expect(groupBusShape(pipeline, config).eventOrder, pipeline).toBeUndefined();
  });

  it('refuses a negative marker interval', () => {
    expect(() => loadConfig({ env: { POLYFLOW_KAFKA_PROGRESS_INTERVAL_MS: '-1' } })).toThrow(/kafka\.progressIntervalMs/);
  });
});

describe('consumer group assignment', () => {
  it('keeps what cannot be split on one member (trade, drift, watch), gives features co-partitioned books and trades, spreads the rest', () => {
    const config = loadConfig({ env: {} });
    const assignment = Object.fromEntries(KAFKA_PIPELINES.map((p) => [p, groupBusShape(p, config).assignment]));
    expect(assignment).toEqual({ features: 'co-partitioned', predict: 'spread', trade: 'active-standby', drift: 'active-standby', persist: 'spread', watch: 'active-standby', alerts: 'spread' });
    // features merges each asset's books and trades back into ingest's order; watch all of them, in one order.
    expect(groupBusShape('features', config).ingestOrder).toBe(true);
    expect(groupBusShape('watch', config).ingestOrder).toBe('total');
  });
});

