/**
 * Reads `ModelProto.metadata_props` straight from the ONNX bytes: onnxruntime-node 1.30 exposes
 * input/output metadata only, not the model's custom metadata map. A minimal protobuf walk of the
 * top-level message; nested messages (the graph) are skipped by length, never decoded.
 */

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;
/** `ModelProto.metadata_props` (repeated StringStringEntryProto). */
const FIELD_METADATA_PROPS = 14;

interface Cursor {
  pos: number;
}

function readVarint(buf: Uint8Array, cur: Cursor): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const byte = buf[cur.pos++];
    if (byte === undefined) throw new Error('truncated varint');
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return value;
    scale *= 128;
  }
  throw new Error('varint too long');
}

function skip(buf: Uint8Array, cur: Cursor, wire: number): void {
  switch (wire) {
    case WIRE_VARINT:
      readVarint(buf, cur);
      return;
    case WIRE_I64:
      cur.pos += 8;
      return;
    case WIRE_LEN: {
      const len = readVarint(buf, cur); // read first: `cur.pos += f()` would add to the old pos
      cur.pos += len;
      return;
    }
    case WIRE_I32:
      cur.pos += 4;
      return;
    default:
      throw new Error(`unsupported wire type ${wire}`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function readEntry(buf: Uint8Array): [string, string] {
  const cur: Cursor = { pos: 0 };
  let key = '';
  let value = '';
  while (cur.pos < buf.length) {
    const tag = readVarint(buf, cur);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if ((field === 1 || field === 2) && wire === WIRE_LEN) {
      const len = readVarint(buf, cur);
      const text = utf8.decode(buf.subarray(cur.pos, cur.pos + len));
      cur.pos += len;
      if (field === 1) key = text;
      else value = text;
    } else skip(buf, cur, wire);
  }
  return [key, value];
}

/** The model's `metadata_props` as a map; throws on bytes that are not a well-formed message. */
export function readOnnxMetadataProps(model: Uint8Array): Map<string, string> {
  const props = new Map<string, string>();
  const cur: Cursor = { pos: 0 };
  while (cur.pos < model.length) {
    const tag = readVarint(model, cur);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === FIELD_METADATA_PROPS && wire === WIRE_LEN) {
      const len = readVarint(model, cur);
      if (cur.pos + len > model.length) throw new Error('truncated metadata entry');
      const [key, value] = readEntry(model.subarray(cur.pos, cur.pos + len));
      props.set(key, value);
      cur.pos += len;
    } else skip(model, cur, wire);
    if (cur.pos > model.length) throw new Error('truncated message');
  }
  return props;
}
