// Framing, as a pure transform: [4-byte big-endian header length][JSON header][body], where the body
// is raw bytes whose length the header gives in `bodyBytes` (file data is never base64-encoded).
// encodeFrame builds the whole frame as one Buffer, so a socket sends it with a single write();
// a FrameDecoder takes chunks of any size and yields whole frames. Socket code never slices buffers.

import {ProtocolError} from './errors.js';

/** A header larger than this is a broken or hostile peer (a batch of tasks with their code fits well within). */
export const MAX_HEADER_BYTES = 1024 * 1024;
/** A body larger than this is a broken or hostile peer (file chunks are far smaller). */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
const LENGTH_BYTES = 4;

export type FrameHeader = Record<string, unknown>;

export interface Frame {
  header: FrameHeader;
  /** The raw body; empty when the header names none. */
  body: Buffer;
}

const EMPTY = Buffer.alloc(0);

/**
 * One frame as a single Buffer. A body sets `bodyBytes` in the header it sends. Throws E2BIG when the
 * header or the body is over its limit (the receiver would drop the connection).
 */
export function encodeFrame(header: FrameHeader, body?: Uint8Array): Buffer {
  const withBody = body && body.length > 0 ? {...header, bodyBytes: body.length} : header;
  const json = JSON.stringify(withBody);
  // Encoded straight into the frame: no intermediate Buffer per frame.
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  if (jsonBytes > MAX_HEADER_BYTES)
    throw new ProtocolError(
      'E2BIG',
      `Frame header of ${jsonBytes} bytes is over the ${MAX_HEADER_BYTES}-byte limit.`,
    );
  if (body && body.length > MAX_BODY_BYTES)
    throw new ProtocolError(
      'E2BIG',
      `Frame body of ${body.length} bytes is over the ${MAX_BODY_BYTES}-byte limit.`,
    );
  const frame = Buffer.allocUnsafe(LENGTH_BYTES + jsonBytes + (body?.length ?? 0));
  frame.writeUInt32BE(jsonBytes, 0);
  frame.write(json, LENGTH_BYTES, 'utf8');
  if (body && body.length > 0) frame.set(body, LENGTH_BYTES + jsonBytes);
  return frame;
}

/**
 * A frame's length prefix and header alone, for a body sent by a second write (a large body is not
 * copied into the frame: the socket writes both while corked, so they still leave together).
 */
export function encodeFrameHead(header: FrameHeader, bodyLength: number): Buffer {
  if (bodyLength > MAX_BODY_BYTES)
    throw new ProtocolError(
      'E2BIG',
      `Frame body of ${bodyLength} bytes is over the ${MAX_BODY_BYTES}-byte limit.`,
    );
  return encodeFrame(bodyLength > 0 ? {...header, bodyBytes: bodyLength} : header);
}

/**
 * Reassembles frames from a byte stream. push() returns the frames completed by a chunk; it throws a
 * ProtocolError (EFRAME, E2BIG) on bytes that cannot be a frame, after which the stream is unusable and
 * the connection should be closed.
 */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** The frame being read: its header, once parsed, and the body length still to come. */
  #header: FrameHeader | undefined;
  #headerBytes: number | undefined;
  #bodyBytes = 0;
  #isBroken = false;

  /** Bytes received but not yet part of a whole frame. */
  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Uint8Array): Frame[] {
    if (this.#isBroken) throw new ProtocolError('EFRAME', 'The stream already failed; close the connection.');
    if (chunk.length > 0) {
      this.#chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.#buffered += chunk.length;
    }
    const frames: Frame[] = [];
    try {
      for (let frame = this.#next(); frame; frame = this.#next()) frames.push(frame);
    } catch (error) {
      this.#isBroken = true;
      throw error;
    }
    return frames;
  }

  #next(): Frame | undefined {
    if (this.#headerBytes === undefined) {
      if (this.#buffered < LENGTH_BYTES) return undefined;
      const first = this.#chunks[0]!;
      let length: number;
      if (first.length > LENGTH_BYTES) {
        length = first.readUInt32BE(0); // the usual case: no Buffer made for four bytes
        this.#chunks[0] = first.subarray(LENGTH_BYTES);
        this.#buffered -= LENGTH_BYTES;
      } else {
        length = this.#take(LENGTH_BYTES).readUInt32BE(0);
      }
      if (length === 0) throw new ProtocolError('EFRAME', 'Frame with an empty header.');
      if (length > MAX_HEADER_BYTES)
        throw new ProtocolError(
          'E2BIG',
          `Frame header of ${length} bytes is over the ${MAX_HEADER_BYTES}-byte limit.`,
        );
      this.#headerBytes = length;
    }
    if (this.#header === undefined) {
      if (this.#buffered < this.#headerBytes) return undefined;
      const first = this.#chunks[0]!;
      if (first.length > this.#headerBytes) {
        // the usual case: read the header where it lies
        this.#header = parseHeader(first.toString('utf8', 0, this.#headerBytes), this.#headerBytes);
        this.#chunks[0] = first.subarray(this.#headerBytes);
        this.#buffered -= this.#headerBytes;
      } else {
        this.#header = parseHeader(this.#take(this.#headerBytes).toString('utf8'), this.#headerBytes);
      }
      this.#bodyBytes = bodyLength(this.#header);
    }
    if (this.#buffered < this.#bodyBytes) return undefined;
    const frame = {header: this.#header, body: this.#bodyBytes === 0 ? EMPTY : this.#take(this.#bodyBytes)};
    this.#header = undefined;
    this.#headerBytes = undefined;
    this.#bodyBytes = 0;
    return frame;
  }

  /** Remove and return the first `length` buffered bytes (copying only when they span chunks). */
  #take(length: number): Buffer {
    this.#buffered -= length;
    const first = this.#chunks[0]!;
    if (first.length >= length) {
      if (first.length === length) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(length);
      return first.subarray(0, length);
    }
    const out = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const chunk = this.#chunks[0]!;
      const used = Math.min(chunk.length, length - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(used);
    }
    return out;
  }
}

function parseHeader(text: string, bytes: number): FrameHeader {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError('EFRAME', `Frame header is not JSON (${bytes} bytes).`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ProtocolError('EFRAME', 'Frame header is not a JSON object.');
  return value as FrameHeader;
}

function bodyLength(header: FrameHeader): number {
  const bytes = header.bodyBytes;
  if (bytes === undefined) return 0;
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0)
    throw new ProtocolError(
      'EFRAME',
      `Frame bodyBytes ${JSON.stringify(bytes)} is not a whole number of bytes.`,
    );
  if (bytes > MAX_BODY_BYTES)
    throw new ProtocolError(
      'E2BIG',
      `Frame body of ${bytes} bytes is over the ${MAX_BODY_BYTES}-byte limit.`,
    );
  return bytes;
}
