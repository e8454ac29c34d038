// Buffers of a few sizes kept for reuse, so a download's chunk bodies do not each cost a fresh
// allocation (measured: a new 256 KiB buffer per chunk put a fifth of a 1 GiB download into the
// garbage collector, and fresh pages into the kernel's page-fault path).
// Interface:
//   const pool = createBufferPool({maxBytes})
//   const buffer = pool.take(length)  // a Buffer of exactly `length` bytes over an ArrayBuffer of its own
//   pool.give(buffer)                 // back for reuse once nothing else reads or writes it
// A buffer from take() owns its whole ArrayBuffer, so it can be transferred to a worker thread and
// given back when it returns. A buffer never given back is simply garbage: giving back is optional.

export interface BufferPool {
  /** A Buffer of `length` bytes (contents undefined) whose ArrayBuffer is its own. */
  take(length: number): Buffer;
  /** Keep `buffer` for a later take() of its size; ignored once the pool holds maxBytes or when it is a view. */
  give(buffer: Uint8Array): void;
  /** Bytes held for reuse now. */
  readonly heldBytes: number;
}

export function createBufferPool(options: {maxBytes: number}): BufferPool {
  const free = new Map<number, ArrayBuffer[]>();
  const held = new WeakSet<ArrayBuffer>(); // a buffer given back twice must not be taken twice
  let heldBytes = 0;
  return {
    take(length) {
      const buffer = free.get(length)?.pop();
      if (buffer === undefined) return Buffer.from(new ArrayBuffer(length));
      held.delete(buffer);
      heldBytes -= length;
      return Buffer.from(buffer);
    },
    give(view) {
      const buffer = view.buffer;
      // Only whole, transferable buffers: a view into a larger one (a socket read) may still be in use.
      if (!(buffer instanceof ArrayBuffer) || view.byteOffset !== 0 || view.byteLength !== buffer.byteLength)
        return;
      if (buffer.byteLength === 0 || held.has(buffer) || heldBytes + buffer.byteLength > options.maxBytes)
        return;
      held.add(buffer);
      let list = free.get(buffer.byteLength);
      if (list === undefined) free.set(buffer.byteLength, (list = []));
      list.push(buffer);
      heldBytes += buffer.byteLength;
    },
    get heldBytes() {
      return heldBytes;
    },
  };
}

/** Frame bodies of this size or more come from (and may go back to) `bodyBuffers`. */
export const POOLED_BODY_BYTES = 64 * 1024;

/**
 * The process's pool for large frame bodies (frame.ts takes from it; a download gives each chunk
 * back once it is hashed and written). 32 MiB: a few downloads' worth of in-flight chunks.
 */
export const bodyBuffers = createBufferPool({maxBytes: 32 * 1024 * 1024});
