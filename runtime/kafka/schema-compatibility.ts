import { parseAvroSchema, type AvroSchema } from '../../schemas/avro-types.js';

/** Whether a reader of one schema version can read data written with another (Avro schema resolution, by avsc). */
export interface Compatibility {
  /** The new schema reads data written with the old one (what polyflow requires: readers deploy first). */
  readonly backward: true | string;
  /** The old schema reads data written with the new one (old consumers keep working while producers upgrade). */
  readonly forward: true | string;
}

function canRead(reader: AvroSchema, writer: AvroSchema): true | string {
  try {
    parseAvroSchema(reader).createResolver(parseAvroSchema(writer));
    return true;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Compares two versions of one schema both ways. */
export function compatibility(previous: AvroSchema, next: AvroSchema): Compatibility {
  return { backward: canRead(next, previous), forward: canRead(previous, next) };
}
