// Framing, as a pure transform: [4-byte big-endian header length][JSON header][body], where the body
// is raw bytes whose length the header gives in `bodyBytes` (file data is never base64-encoded).
// encodeFrame builds the whole frame as one Buffer, so a socket sends it with a single write();
// a FrameDecoder takes chunks of any size and yields whole frames. Socket code never slices buffers.
// A reader may hand the decoder a buffer it reuses (push(chunk, true)): what must outlive the call is copied.

import {bodyBuffers, POOLED_BODY_BYTES} from './buffer-pool.js';
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
 * the connection should be closed. A body is filled as its bytes arrive: a large one (file data) is
 * copied once, into a buffer of bodyBuffers, and a small one that lies whole in a chunk is not copied.
 */
export class FrameDecoder {
  /** Bytes of the frame's length prefix and header not yet parsed (copies, for a transient push). */
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** The frame being read: its header, once parsed, and its body as it fills. */
  #header: FrameHeader | undefined;
  #headerBytes: number | undefined;
  #body: Buffer | undefined;
  #filled = 0;
  #isBroken = false;

  /** Bytes received but not yet part of a whole frame. */
  get buffered(): number {
    return this.#buffered + this.#filled;
  }

  /**
   * Take the next bytes of the stream. With `isTransient` the caller reuses `chunk` once push() returns
   * (a socket's onread buffer): whatever is kept of it, frame bodies included, is copied first.
   */
  push(chunk: Uint8Array, isTransient = false): Frame[] {
    if (this.#isBroken) throw new ProtocolError('EFRAME', 'The stream already failed; close the connection.');
    let input = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const frames: Frame[] = [];
    try {
      for (;;) {
        if (this.#body !== undefined) {
          const used = Math.min(input.length, this.#body.length - this.#filled);
          input.copy(this.#body, this.#filled, 0, used);
          this.#filled += used;
          input = input.subarray(used);
          if (this.#filled < this.#body.length) break;
          frames.push({header: this.#header!, body: this.#body});
          this.#reset();
          continue;
        }
        if (input.length > 0) {
          this.#chunks.push(input);
          this.#buffered += input.length;
          input = EMPTY;
        }
        const frame = this.#next(isTransient);
        if (frame) frames.push(frame);
        else if (this.#body === undefined) break;
      }
    } catch (error) {
      this.#isBroken = true;
      throw error;
    }
    if (isTransient)
      for (let index = 0; index < this.#chunks.length; index += 1)
        if (this.#chunks[index]!.buffer === chunk.buffer)
          this.#chunks[index] = Buffer.from(this.#chunks[index]!);
    return frames;
  }

  #reset(): void {
    this.#header = undefined;
    this.#headerBytes = undefined;
    this.#body = undefined;
    this.#filled = 0;
  }

  /** The next whole frame from the buffered bytes, or undefined (having started #body when its header is in). */
  #next(isTransient: boolean): Frame | undefined {
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
    if (this.#buffered < this.#headerBytes) return undefined;
    const first = this.#chunks[0]!;
    let header: FrameHeader;
    if (first.length > this.#headerBytes) {
      // the usual case: read the header where it lies
      header = parseHeader(first.toString('utf8', 0, this.#headerBytes), this.#headerBytes);
      this.#chunks[0] = first.subarray(this.#headerBytes);
      this.#buffered -= this.#headerBytes;
    } else {
      header = parseHeader(this.#take(this.#headerBytes).toString('utf8'), this.#headerBytes);
    }
    const bodyBytes = bodyLength(header);
    if (bodyBytes === 0) {
      this.#reset();
      return {header, body: EMPTY};
    }
    this.#header = header;
    if (!isTransient && this.#chunks.length > 0 && this.#chunks[0]!.length >= bodyBytes) {
      const body = this.#take(bodyBytes); // a view of the chunk: no copy
      this.#reset();
      return {header, body};
    }
    // Filled as it comes: what is buffered now, then straight from later pushes.
    this.#body = bodyBytes >= POOLED_BODY_BYTES ? bodyBuffers.take(bodyBytes) : Buffer.allocUnsafe(bodyBytes);
    while (this.#filled < bodyBytes && this.#chunks.length > 0) {
      const chunk = this.#chunks[0]!;
      const used = Math.min(chunk.length, bodyBytes - this.#filled);
      chunk.copy(this.#body, this.#filled, 0, used);
      this.#filled += used;
      this.#buffered -= used;
      if (used === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(used);
    }
    if (this.#filled < bodyBytes) return undefined;
    const body = this.#body;
    this.#reset();
    return {header, body};
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
