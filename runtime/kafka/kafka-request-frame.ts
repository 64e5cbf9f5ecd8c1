/**
 * A request as it goes on the wire: int32 size, then the header kafkajs writes (api key, api
 * version, correlation id, client id) and the body. A body written with headroom in front of it
 * (kafka-produce-request.ts) gets its size and header written there; any other body is copied once.
 */
import { writeString } from './kafka-record-codec.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Bytes reserved in front of a produce body: size, header and a client id of up to 240 bytes. */
export const REQUEST_HEADROOM = 4 + 2 + 2 + 4 + 2 + 240;

/** The framed request. `body` is buf[start, end); bytes before `start` may be overwritten. */
export function frameRequest(header: RequestHeader, body: { buf: Buffer; start: number; end: number }): Buffer {
  const headerSize = 2 + 2 + 4 + 2 + (header.clientId === null ? 0 : Buffer.byteLength(header.clientId));
  const bodySize = body.end - body.start;
  const fits = body.start >= 4 + headerSize;
  const buf = fits ? body.buf : Buffer.allocUnsafe(4 + headerSize + bodySize);
  const from = fits ? body.start - 4 - headerSize : 0;
  let offset = buf.writeInt32BE(headerSize + bodySize, from);
  offset = buf.writeInt16BE(header.apiKey, offset);
  offset = buf.writeInt16BE(header.apiVersion, offset);
  offset = buf.writeInt32BE(header.correlationId, offset);
  offset = writeString(buf, offset, header.clientId);
  if (!fits) body.buf.copy(buf, offset, body.start, body.end);
  return buf.subarray(from, from + 4 + headerSize + bodySize);
}
