// A download's hashing and writing, on a thread of its own, so the receiving thread only moves bytes:
// each chunk's SHA-256 checked against the manifest, a matching chunk written at its offset in the
// temporary file, and the whole file's SHA-256 kept up to date as the written chunks form a prefix of
// the file. A chunk's buffer is transferred here (never copied) and goes back to the frame body pool
// (buffer-pool.ts) once written and hashed. One thread writes, so writes never contend for the file's
// lock (measured: four thread-pool writes at once spent much of their time spinning on it), and one
// thread rather than a hasher and a writer: on 2 cores the hand-offs between two cost more than the
// overlap gained (1 GiB from one seeder: about 240 MB/s with two threads, 290 with one).
// A chunk that arrives well ahead of the prefix is not kept: the thread reads it back from the
// temporary file when the prefix reaches it (from the page cache, as a rule).
// Interface:
//   const verifier = startVerifier({manifest, tempPath, identity, written: bitmap})
//   await verifier.store(first, n, bytes)  // per chunk: {digest, wrote} once written (wrote: false if
//                                          // written before), undefined when it does not match;
//                                          // `bytes` (n chunks end to end) belong to the verifier
//   await verifier.digest()             // the whole file's hex SHA-256 once every chunk is written
//   await verifier.close()

import {Worker} from 'node:worker_threads';
import {bodyBuffers} from '../buffer-pool.js';
import {chunkRange, type Manifest} from './manifest.js';
import {hasChunk} from './transfer-store.js';

// The thread's program, plain JavaScript run with `eval` (as manifest.ts's hasher): no file of its own
// to ship or resolve. It opens the temporary file itself: the file the downloading thread opened (its
// device and inode are checked), never through a link. Messages in: store {id, first, n, bytes}, digest
// {id}. Out: {id, results: [{digest, wrote} or null per chunk]}, {id, digest}, {id, error}; `free`
// carries a buffer back.
const VERIFIER_SOURCE = `
const {parentPort, workerData} = require('node:worker_threads');
const {createHash} = require('node:crypto');
const fs = require('node:fs');
const {tempPath, identity, size, chunkSize, count} = workerData;
const hashes = Buffer.from(workerData.hashes.buffer, workerData.hashes.byteOffset, workerData.hashes.byteLength);
const whole = createHash('sha256');
const written = new Uint8Array(count);
const HOLD = 16; // chunks past the prefix kept in memory to be hashed into it
const held = new Map(); // index -> {view, run}: a run's buffer goes back once none of its views is held
let next = 0; // the whole-file hash covers chunks [0, next)
let fd;
let waiting; // a digest request's id
let isCatchingUp = false;
let failure; // a read back failed: no digest (complete() then reads the file)
for (const index of workerData.written) written[index] = 1;

function chunkLength(index) { return Math.min(size, (index + 1) * chunkSize) - index * chunkSize; }
function expected(index) { return hashes.toString('hex', index * 32, index * 32 + 32); }
function errorOf(error) { return {code: typeof error.code === 'string' ? error.code : 'EIO', message: error.message}; }
function transferable(bytes) {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? [bytes.buffer] : [];
}
function giveBack(bytes) { parentPort.postMessage({free: bytes}, transferable(bytes)); }

function file() {
  if (fd !== undefined) return fd;
  const opened = fs.openSync(tempPath, fs.constants.O_RDWR | (fs.constants.O_NOFOLLOW ?? 0));
  const stat = fs.fstatSync(opened, {bigint: true});
  if (String(stat.dev) !== identity.dev || String(stat.ino) !== identity.ino) {
    fs.closeSync(opened);
    throw Object.assign(new Error('Partial file ' + tempPath + ' was replaced while downloading.'), {code: 'EIO'});
  }
  return (fd = opened);
}

function readChunk(index) {
  const length = chunkLength(index);
  const bytes = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const read = fs.readSync(file(), bytes, done, length - done, index * chunkSize + done);
    if (read === 0) throw Object.assign(new Error('Partial file ' + tempPath + ' is shorter than its chunks.'), {code: 'EIO'});
    done += read;
  }
  return bytes;
}

function answerDigest() {
  if (waiting === undefined) return;
  if (failure) parentPort.postMessage({id: waiting, error: failure});
  else if (next === count) parentPort.postMessage({id: waiting, digest: whole.digest('hex')});
  else return;
  waiting = undefined;
}

// Hash the written prefix forward: held chunks from memory, others read back a few a turn so stores are not held up.
function advance() {
  try {
    for (let reads = 0; !failure && next < count && written[next] === 1; ) {
      const kept = held.get(next);
      if (kept !== undefined) {
        held.delete(next);
        whole.update(kept.view);
        kept.run.kept -= 1;
        if (kept.run.kept === 0) giveBack(kept.run.bytes);
      } else if (reads === 8) {
        if (!isCatchingUp) { isCatchingUp = true; setImmediate(() => { isCatchingUp = false; advance(); }); }
        return;
      } else {
        whole.update(readChunk(next));
        reads += 1;
      }
      next += 1;
    }
  } catch (error) {
    failure = errorOf(error);
  }
  answerDigest();
}

// Chunks [first, first + n) end to end in one buffer: each checked, the good ones not written before
// written (consecutive ones with one write), and those near the prefix kept to be hashed into it.
function store({id, first, n, bytes: view}) {
  const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  const results = new Array(n).fill(null);
  const isShape = Number.isSafeInteger(first) && first >= 0 && first + n <= count &&
    bytes.length === Math.min(size, (first + n) * chunkSize) - first * chunkSize;
  const run = {bytes, kept: 0}; // kept: views of it still held
  if (isShape) {
    for (let i = 0; i < n; i += 1) {
      const view = bytes.subarray(i * chunkSize, i * chunkSize + chunkLength(first + i));
      const digest = createHash('sha256').update(view).digest('hex');
      if (digest === expected(first + i)) results[i] = {digest, wrote: false};
    }
    try {
      for (let i = 0; i < n; ) {
        if (results[i] === null || written[first + i] === 1) { i += 1; continue; }
        let end = i + 1;
        while (end < n && results[end] !== null && written[first + end] !== 1) end += 1;
        const part = bytes.subarray(i * chunkSize, Math.min(bytes.length, end * chunkSize));
        let done = 0;
        while (done < part.length) done += fs.writeSync(file(), part, done, part.length - done, (first + i) * chunkSize + done);
        for (; i < end; i += 1) {
          written[first + i] = 1;
          results[i].wrote = true;
          const index = first + i;
          if (!failure && index >= next && index < next + HOLD && !held.has(index)) {
            held.set(index, {view: bytes.subarray(i * chunkSize, i * chunkSize + chunkLength(index)), run});
            run.kept += 1;
          }
        }
      }
    } catch (error) {
      for (const [index, kept] of held) if (kept.run === run) held.delete(index);
      return parentPort.postMessage({id, error: errorOf(error), free: bytes}, transferable(bytes));
    }
  }
  if (run.kept === 0) parentPort.postMessage({id, results, free: bytes}, transferable(bytes));
  else parentPort.postMessage({id, results});
  advance();
}

parentPort.on('message', (message) => {
  if (message.op === 'store') store(message);
  else if (message.op === 'digest') {
    waiting = message.id;
    advance();
  }
});
`;

/** A stored chunk: its hex SHA-256, and whether this store wrote it (false: written before). */
export interface Stored {
  digest: string;
  wrote: boolean;
}

export interface Verifier {
  /**
   * Check that `bytes` are chunks [first, first + count) end to end (length and each SHA-256) and write
   * each that matches and was not written before at its offset in the temporary file. Resolves one entry
   * per chunk: undefined for a chunk that does not match (not written), or for every chunk when the length
   * is wrong. Rejects with a `code` (ENOSPC, EIO…) when a write fails. `bytes` belong to the verifier from
   * the call on: a buffer that owns its ArrayBuffer is transferred to the thread and ends in bodyBuffers;
   * any other is copied.
   */
  store(first: number, count: number, bytes: Uint8Array): Promise<(Stored | undefined)[]>;
  /** The whole file's hex SHA-256, once every chunk is written. */
  digest(): Promise<string>;
  close(): Promise<void>;
}

/** The temporary file as the downloading thread opened it: the thread writes to that file only. */
export interface FileIdentity {
  dev: string;
  ino: string;
}

export function startVerifier(options: {
  manifest: Manifest;
  tempPath: string;
  identity: FileIdentity;
  written: Uint8Array;
}): Verifier {
  const {manifest, tempPath} = options;
  const count = manifest.chunkHashes.length;
  const alreadyWritten: number[] = [];
  for (let index = 0; index < count; index += 1)
    if (hasChunk(options.written, index)) alreadyWritten.push(index);
  // execArgv: [] so the thread does not load the parent's loaders (tsx): it is plain JavaScript.
  const worker = new Worker(VERIFIER_SOURCE, {
    eval: true,
    execArgv: [],
    workerData: {
      tempPath,
      identity: options.identity,
      size: manifest.size,
      chunkSize: manifest.chunkSize,
      count,
      hashes: Buffer.from(manifest.chunkHashes.join(''), 'hex'),
      written: alreadyWritten,
    },
  });
  worker.unref();
  type Answer = {
    id?: number;
    digest?: string;
    results?: (Stored | null)[];
    error?: {code: string; message: string};
    free?: Uint8Array;
  };
  const pending = new Map<number, {resolve: (answer: Answer) => void; reject: (error: Error) => void}>();
  let nextId = 1;
  let failure: Error | undefined;
  const failAll = (error: Error) => {
    failure ??= error;
    for (const waiter of pending.values()) waiter.reject(failure);
    pending.clear();
  };
  worker.on('message', (message: Answer) => {
    if (message.free !== undefined) bodyBuffers.give(message.free);
    if (message.id === undefined) return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error)
      waiter?.reject(Object.assign(new Error(message.error.message), {code: message.error.code}));
    else waiter?.resolve(message);
  });
  worker.on('error', (error) =>
    failAll(Object.assign(new Error(`The hashing thread failed: ${error.message}`), {code: 'EIO'})),
  );
  worker.on('exit', () => failAll(Object.assign(new Error('The hashing thread stopped.'), {code: 'EIO'})));

  const ask = (message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Answer> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, {resolve, reject});
      worker.postMessage({...message, id}, transfer);
    });
  };

  return {
    async store(first, n, bytes) {
      const isShape =
        Number.isSafeInteger(first) &&
        Number.isSafeInteger(n) &&
        n > 0 &&
        first >= 0 &&
        first + n <= count &&
        bytes.byteLength === chunkRange(manifest, first + n - 1)[1] - chunkRange(manifest, first)[0];
      if (!isShape) return new Array<undefined>(Math.max(0, n)).fill(undefined);
      const buffer = bytes.buffer;
      const isWhole =
        buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength;
      const answer = await ask({op: 'store', first, n, bytes}, isWhole ? [buffer] : []);
      return (answer.results ?? []).map((result) => result ?? undefined);
    },
    async digest() {
      return (await ask({op: 'digest'})).digest!;
    },
    async close() {
      failure ??= Object.assign(new Error('The verifier is closed.'), {code: 'EBADF'});
      await worker.terminate();
    },
  };
}
