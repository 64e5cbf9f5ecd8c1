import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// POLYFLOW_KAFKA_STOCK_CODEC=1 (set before the codec module loads) keeps kafkajs's own functions.
process.env['POLYFLOW_KAFKA_STOCK_CODEC'] = '1';
const require = createRequire(import.meta.url);
const produce = require('kafkajs/src/protocol/requests/produce/v3/request.js') as unknown;
const encoderWriteVarLong = (require('kafkajs/src/protocol/encoder.js') as { prototype: { writeVarLong: unknown } }).prototype.writeVarLong;
const { installFastKafkajsCodec } = await import('./kafkajs-fast-codec.js');

describe('POLYFLOW_KAFKA_STOCK_CODEC=1', () => {
  it("leaves kafkajs's record codec as it is", () => {
    expect(installFastKafkajsCodec()).toBe('stock');
    expect(require('kafkajs/src/protocol/requests/produce/v3/request.js')).toBe(produce);
    expect((require('kafkajs/src/protocol/encoder.js') as { prototype: { writeVarLong: unknown } }).prototype.writeVarLong).toBe(encoderWriteVarLong);
  });
});
