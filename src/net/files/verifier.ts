// A download's hashing, on a worker thread: each chunk's SHA-256 checked against the manifest as it
// arrives, and the whole file's SHA-256 kept up to date as the written chunks form a prefix of the
// file, so the receiving thread only moves bytes and the final check needs no second pass when the
// chunks came (nearly) in order. A chunk written out of order is not kept: the worker reads it back
// from the temporary file when the prefix reaches it (from the page cache, as a rule).
// Interface:
//   const verifier = startVerifier({manifest, tempPath, written: bitmap})
//   await verifier.check(index, bytes)  // the chunk's hex SHA-256 when it matches, undefined when not
//   verifier.written(index)             // its bytes are in the temporary file
//   await verifier.digest()             // the whole file's hex SHA-256 once every chunk is written
//   await verifier.close()

import {Worker} from 'node:worker_threads';
import {chunkRange, type Manifest} from './manifest.js';
import {hasChunk} from './transfer-store.js';

// The worker's program, plain JavaScript run with `eval` (as manifest.ts's hasher): no file of its own
// to ship or resolve. Messages in: check {id, index, bytes}, written {index}, digest {id}. Out: {id, digest}.
const VERIFIER_SOURCE = `
const {parentPort, workerData} = require('node:worker_threads');
const {createHash} = require('node:crypto');
const fs = require('node:fs');
const {tempPath, size, chunkSize, count} = workerData;
const hashes = Buffer.from(workerData.hashes.buffer, workerData.hashes.byteOffset, workerData.hashes.byteLength);
const whole = createHash('sha256');
const written = new Uint8Array(count);
const held = new Map(); // checked chunks whose bytes may be hashed into the prefix once written
let next = 0;
let fd;
let waiting; // a digest request: {id}
let isCatchingUp = false;
for (const index of workerData.written) written[index] = 1;

function expected(index) { return hashes.toString('hex', index * 32, index * 32 + 32); }

function readChunk(index) {
  fd ??= fs.openSync(tempPath, 'r');
  const start = index * chunkSize;
  const length = Math.min(size, start + chunkSize) - start;
  const bytes = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const read = fs.readSync(fd, bytes, done, length - done, start + done);
    if (read === 0) break;
    done += read;
  }
  return done === length ? bytes : bytes.subarray(0, done);
}

// Hash the written prefix forward; chunks read from disk go a few at a time so checks are not held up.
function advance() {
  let reads = 0;
  while (next < count && written[next] === 1) {
    let bytes = held.get(next);
    if (bytes === undefined) {
      if (reads === 8) { if (!isCatchingUp) { isCatchingUp = true; setImmediate(() => { isCatchingUp = false; advance(); }); } return; }
      bytes = readChunk(next);
      reads += 1;
    }
    held.delete(next);
    whole.update(bytes);
    next += 1;
  }
  if (waiting !== undefined && next === count) {
    parentPort.postMessage({id: waiting.id, digest: whole.digest('hex')});
    waiting = undefined;
  }
}

parentPort.on('message', (message) => {
  if (message.op === 'check') {
    const bytes = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
    const digest = createHash('sha256').update(bytes).digest('hex');
    const ok = digest === expected(message.index);
    // Kept only when it is the next chunk of the prefix (or close): others are read back later.
    if (ok && message.index >= next && message.index < next + 16) held.set(message.index, bytes);
    parentPort.postMessage({id: message.id, digest: ok ? digest : undefined});
  } else if (message.op === 'written') {
    written[message.index] = 1;
    advance();
  } else if (message.op === 'digest') {
    waiting = {id: message.id};
    advance();
  }
});
`;

export interface Verifier {
  /** The chunk's hex SHA-256 when `bytes` are chunk `index` (length and hash), else undefined. */
  check(index: number, bytes: Uint8Array): Promise<string | undefined>;
  /** Chunk `index` is written to the temporary file (and checked). */
  written(index: number): void;
  /** The whole file's hex SHA-256, once every chunk has been reported written. */
  digest(): Promise<string>;
  close(): Promise<void>;
}

export function startVerifier(options: {
  manifest: Manifest;
  tempPath: string;
  written: Uint8Array;
}): Verifier {
  const {manifest, tempPath} = options;
  const count = manifest.chunkHashes.length;
  const alreadyWritten: number[] = [];
  for (let index = 0; index < count; index += 1)
    if (hasChunk(options.written, index)) alreadyWritten.push(index);
  // execArgv: [] so the worker does not load the parent's loaders (tsx): it is plain JavaScript.
  const worker = new Worker(VERIFIER_SOURCE, {
    eval: true,
    execArgv: [],
    workerData: {
      hashes: Buffer.from(manifest.chunkHashes.join(''), 'hex'),
      tempPath,
      size: manifest.size,
      chunkSize: manifest.chunkSize,
      count,
      written: alreadyWritten,
    },
  });
  worker.unref();
  const pending = new Map<
    number,
    {resolve: (value: string | undefined) => void; reject: (error: Error) => void}
  >();
  let nextId = 1;
  let failure: Error | undefined;
  const failAll = (error: Error) => {
    failure ??= error;
    for (const waiter of pending.values()) waiter.reject(failure);
    pending.clear();
  };
  worker.on('message', (message: {id: number; digest?: string}) => {
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    waiter?.resolve(message.digest);
  });
  worker.on('error', (error) =>
    failAll(Object.assign(new Error(`The hashing thread failed: ${error.message}`), {code: 'EIO'})),
  );
  worker.on('exit', () => failAll(Object.assign(new Error('The hashing thread stopped.'), {code: 'EIO'})));

  const ask = (message: Record<string, unknown>): Promise<string | undefined> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, {resolve, reject});
      worker.postMessage({...message, id});
    });
  };

  return {
    check(index, bytes) {
      const [start, end] = chunkRange(manifest, index);
      if (index < 0 || index >= count || bytes.byteLength !== end - start) return Promise.resolve(undefined);
      return ask({op: 'check', index, bytes}); // copied to the worker: this thread still writes them
    },
    written(index) {
      if (!failure) worker.postMessage({op: 'written', index});
    },
    async digest() {
      const digest = await ask({op: 'digest'});
      return digest!;
    },
    async close() {
      failure ??= Object.assign(new Error('The verifier is closed.'), {code: 'EBADF'});
      await worker.terminate();
    },
  };
}
