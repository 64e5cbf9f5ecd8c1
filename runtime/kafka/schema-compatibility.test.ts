import { describe, expect, it } from 'vitest';
import type { AvroSchema } from '../../schemas/avro-types.js';
import { compatibility } from './schema-compatibility.js';

const v1 = { type: 'record', name: 'Thing', namespace: 'polyflow', fields: [{ name: 'id', type: 'string' }, { name: 'n', type: 'int' }] } as AvroSchema;
const withFields = (...fields: object[]): AvroSchema => ({ ...(v1 as object), fields } as AvroSchema);

describe('schema compatibility (avsc resolution)', () => {
  it('an added optional field with a default is compatible both ways', () => {
    const v2 = withFields({ name: 'id', type: 'string' }, { name: 'n', type: 'int' }, { name: 'note', type: ['null', 'string'], default: null });
    expect(compatibility(v1, v2)).toEqual({ backward: true, forward: true });
  });

  it('an added field without a default breaks backward compatibility only', () => {
    const v2 = withFields({ name: 'id', type: 'string' }, { name: 'n', type: 'int' }, { name: 'note', type: 'string' });
    const c = compatibility(v1, v2);
    expect(c.backward).toMatch(/note/);
    expect(c.forward).toBe(true);
  });

  it('int -> long is a promotion (backward), long -> int is not', () => {
    const v2 = withFields({ name: 'id', type: 'string' }, { name: 'n', type: 'long' });
    expect(compatibility(v1, v2).backward).toBe(true);
    expect(compatibility(v1, v2).forward).not.toBe(true);
  });

  it('a removed field without a default breaks forward compatibility only', () => {
    const v2 = withFields({ name: 'id', type: 'string' });
    expect(compatibility(v1, v2)).toEqual({ backward: true, forward: expect.stringMatching(/n/) });
  });
});
