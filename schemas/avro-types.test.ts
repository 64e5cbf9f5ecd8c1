import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  avroSchemaDir,
  avroTypeFor,
  bookUpdateToAvro,
  decodeRecord,
  encodeRecord,
  parseAvroSchema,
} from './avro-types.js';
import type { AvroSchema } from './avro-types.js';
import { FEATURE_NAMES } from './feature-spec.js';
import { TOPICS, TOPIC_NAMES } from './topics.js';
import { p, YES, MARKET, T0, bookDelta, bookTickSize, SAMPLES } from '../test/helpers/topic-samples.js';

interface RecordSchema {
  readonly type: 'record';
  readonly name: string;
  readonly namespace: string;
  readonly fields: readonly { readonly name: string; readonly type: unknown; readonly doc?: string }[];
}

const readSchema = (name: string): RecordSchema =>
  JSON.parse(readFileSync(join(avroSchemaDir(), `${name}.avsc`), 'utf8')) as RecordSchema;

const avscFiles = readdirSync(avroSchemaDir()).filter((f) => f.endsWith('.avsc'));

describe('avro schemas', () => {
  it('has exactly one .avsc per distinct topic schema', () => {
    const expected = new Set(TOPIC_NAMES.map((t) => `${TOPICS[t].schema}.avsc`));
    expect(new Set(avscFiles)).toEqual(expected);
  });

  it.each(avscFiles)('%s is a valid polyflow record schema with documented fields', (file) => {
    const schema = readSchema(file.replace(/\.avsc$/, ''));
    expect(() => parseAvroSchema(schema as unknown as AvroSchema)).not.toThrow();
    expect(schema.type).toBe('record');
    expect(schema.namespace).toBe('polyflow');
    for (const field of schema.fields) expect(field.doc, `${file}: ${field.name}`).toMatch(/\S/);
  });

  it.each(TOPIC_NAMES)('%s: the samples and the schema have the same fields', (topic) => {
    const fields = new Set(readSchema(TOPICS[topic].schema).fields.map((f) => f.name));
    const keys = new Set(SAMPLES[topic].flatMap((sample) => Object.keys(sample)));
    expect(keys).toEqual(fields);
    for (const sample of SAMPLES[topic]) for (const key of Object.keys(sample)) expect(fields).toContain(key);
  });

  it.each(TOPIC_NAMES)('%s: every sample round-trips to an equal value', (topic) => {
    for (const sample of SAMPLES[topic]) {
      const decoded = decodeRecord(topic, encodeRecord(topic, sample));
      expect(decoded).toStrictEqual(sample);
    }
  });

  it('keeps NaN features and empty sides (-1) through a round trip', () => {
    const [vector] = SAMPLES['features.v1'];
    const decoded = decodeRecord('features.v1', encodeRecord('features.v1', vector!));
    expect(decoded.values).toHaveLength(FEATURE_NAMES.length);
    expect(Number.isNaN(decoded.values[3])).toBe(true);
    expect(decoded.values[0]).toBe(0.515);
    expect(decoded.bestAsk).toBe(-1);
  });

  it('caches one parsed type per schema', () => {
    expect(avroTypeFor('pm.trade')).toBe(avroTypeFor('pm.trade'));
  });
});

describe('pm.book mapping', () => {
  it('writes the fields of the other kinds as null', () => {
    expect(bookUpdateToAvro(bookTickSize)).toStrictEqual({
      kind: 'tick_size',
      assetId: YES,
      market: MARKET,
      ts: T0 + 60_000,
      recvTs: T0 + 60_012,
      hash: '',
      bids: null,
      asks: null,
      tickSize: null,
      changes: null,
      bestBid: null,
      bestAsk: null,
      oldTickSize: 10_000,
      newTickSize: 1_000,
    });
  });

  it('refuses a record that lacks a field its kind needs', () => {
    const broken = { ...bookUpdateToAvro(bookDelta), changes: null };
    const buf = avroTypeFor('pm.book').toBuffer(broken);
    expect(() => decodeRecord('pm.book', buf)).toThrow(/delta record has no changes/);
  });
});

describe('encode and decode errors', () => {
  it('names the topic and the field of a value that does not fit the schema', () => {
    const [trade] = SAMPLES['pm.trade'];
    const bad = { ...trade!, price: p(0.514) };
    expect(() => encodeRecord('pm.trade', bad)).toThrow(/pm\.trade: .* at price/);
  });

  it('refuses truncated bytes', () => {
    const [trade] = SAMPLES['pm.trade'];
    const buf = encodeRecord('pm.trade', trade!);
    expect(() => decodeRecord('pm.trade', buf.subarray(0, buf.length - 3))).toThrow();
  });
});

describe('schema evolution (new fields optional with a default)', () => {
  const v1Schema = readSchema('pm.trade');
  const v1 = avroTypeFor('pm.trade');
  const v2 = parseAvroSchema({
    ...v1Schema,
    fields: [
      ...v1Schema.fields,
      { name: 'makerOrderId', type: ['null', 'string'], default: null, doc: 'Added in v2.' },
    ],
  } as unknown as AvroSchema);
  const [trade] = SAMPLES['pm.trade'];

  it('a v2 reader reads a v1 record, the new field at its default', () => {
    const decoded: unknown = v2.fromBuffer(encodeRecord('pm.trade', trade!), v2.createResolver(v1));
    expect({ ...(decoded as object) }).toStrictEqual({ ...trade!, makerOrderId: null });
  });

  it('a v1 reader reads a v2 record, dropping the new field', () => {
    const buf = v2.toBuffer({ ...trade!, makerOrderId: '0xabc123' });
    const decoded: unknown = v1.fromBuffer(buf, v1.createResolver(v2));
    expect({ ...(decoded as object) }).toStrictEqual(trade);
  });

  it('a field added without a default cannot read old records', () => {
    const v2Required = parseAvroSchema({
      ...v1Schema,
      fields: [...v1Schema.fields, { name: 'makerOrderId', type: 'string' }],
    } as unknown as AvroSchema);
    expect(() => v2Required.createResolver(v1)).toThrow();
  });
});
