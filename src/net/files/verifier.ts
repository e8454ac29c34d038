// A download's hashing and writing, off the receiving thread, so that thread only moves bytes. Two
// threads share the work: the verifier checks each chunk's SHA-256 against the manifest and writes a
// matching chunk at its offset in the temporary file; the prefix hasher keeps the whole file's SHA-256
// up to date as the written chunks form a prefix of the file. The whole-file hash is a second SHA-256
// pass over every byte; on its own thread it overlaps the checks and writes instead of following them
// (1 GiB from one seeder over TLS, eight runs each way interleaved: median 289 MB/s with both passes on
// one thread, 313 with two; the writes, not the hashing, then fill the verifier's time). A chunk's buffer
// is transferred (never copied): to the verifier, then to the prefix hasher, then back to the frame body
// pool (buffer-pool.ts). One thread writes, so writes never contend for the file's lock (measured: four
// thread-pool writes at once spent much of their time spinning on it).
// A chunk that arrives well ahead of the prefix is not kept: the prefix hasher reads it back from the
// temporary file when the prefix reaches it (from the page cache, as a rule).
// Interface:
//   const verifier = startVerifier({manifest, tempPath, identity, written: bitmap})
//   await verifier.store(first, n, bytes)  // per chunk: {digest, wrote} once written (wrote: false if
//                                          // written before), undefined when it does not match;
//                                          // `bytes` (n chunks end to end) belong to the verifier
//   await verifier.digest()             // the whole file's hex SHA-256 once every chunk is written
//   await verifier.close()

import {MessageChannel, Worker} from 'node:worker_threads';
import {bodyBuffers} from '../buffer-pool.js';
import {chunkRange, type Manifest} from './manifest.js';
import {hasChunk} from './transfer-store.js';

// What both threads start with: the temporary file, opened by each itself and checked to be the file the
// downloading thread opened (its device and inode), never through a link.
const SHARED_SOURCE = `
const {parentPort, workerData} = require('node:worker_threads');
const {createHash} = require('node:crypto');
const fs = require('node:fs');
const {tempPath, identity, size, chunkSize, count} = workerData;
let fd;
function chunkLength(index) { return Math.min(size, (index + 1) * chunkSize) - index * chunkSize; }
function errorOf(error) { return {code: typeof error.code === 'string' ? error.code : 'EIO', message: error.message}; }
function transferable(bytes) {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? [bytes.buffer] : [];
}
function giveBack(bytes) { parentPort.postMessage({free: bytes}, transferable(bytes)); }
function file(flags) {
  if (fd !== undefined) return fd;
  const opened = fs.openSync(tempPath, flags | (fs.constants.O_NOFOLLOW ?? 0));
  const stat = fs.fstatSync(opened, {bigint: true});
  if (String(stat.dev) !== identity.dev || String(stat.ino) !== identity.ino) {
    fs.closeSync(opened);
    throw Object.assign(new Error('Partial file ' + tempPath + ' was replaced while downloading.'), {code: 'EIO'});
  }
  return (fd = opened);
}
`;

// The verifier. Messages in: store {id, first, n, bytes}. Out: {id, results: [{digest, wrote} or null per
// chunk], passed} where passed says the bytes went on to the prefix hasher (else they come back as
// \`free\`), or {id, error, free}. To the prefix hasher (workerData.prefix): {first, wrote: [index…], bytes}.
const VERIFIER_SOURCE =
  SHARED_SOURCE +
  `
const prefix = workerData.prefix;
const hashes = Buffer.from(workerData.hashes.buffer, workerData.hashes.byteOffset, workerData.hashes.byteLength);
const written = new Uint8Array(count);
for (const index of workerData.written) written[index] = 1;

function expected(index) { return hashes.toString('hex', index * 32, index * 32 + 32); }

// Chunks [first, first + n) end to end in one buffer: each checked, and the good ones not written before
// written (consecutive ones with one write); those go on to the prefix hasher with the buffer.
function store({id, first, n, bytes: view}) {
  const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  const results = new Array(n).fill(null);
  const wrote = [];
  const isShape = Number.isSafeInteger(first) && first >= 0 && first + n <= count &&
    bytes.length === Math.min(size, (first + n) * chunkSize) - first * chunkSize;
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
        while (done < part.length) {
          done += fs.writeSync(file(fs.constants.O_RDWR), part, done, part.length - done, (first + i) * chunkSize + done);
        }
        for (; i < end; i += 1) {
          written[first + i] = 1;
          results[i].wrote = true;
          wrote.push(first + i);
        }
      }
    } catch (error) {
      // Chunks written before the failure are written; the prefix hasher still learns of them.
      if (wrote.length > 0) prefix.postMessage({first, wrote, bytes: null});
      return parentPort.postMessage({id, error: errorOf(error), free: bytes}, transferable(bytes));
    }
  }
  if (wrote.length === 0) return parentPort.postMessage({id, results, free: bytes}, transferable(bytes));
  prefix.postMessage({first, wrote, bytes}, transferable(bytes));
  parentPort.postMessage({id, results, passed: true});
}

parentPort.on('message', (message) => {
  if (message.op === 'store') store(message);
});
`;

// The prefix hasher. Messages in: from the verifier (workerData.chunks) what it wrote; from the downloading
// thread digest {id}. Out: {id, digest} or {id, error}; \`free\` carries a buffer back.
const PREFIX_HASHER_SOURCE =
  SHARED_SOURCE +
  `
const whole = createHash('sha256');
const written = new Uint8Array(count);
for (const index of workerData.written) written[index] = 1;
const HOLD = 16; // chunks past the prefix kept in memory to be hashed into it
const held = new Map(); // index -> {view, run}: a run's buffer goes back once none of its views is held
let next = 0; // the whole-file hash covers chunks [0, next)
let waiting; // a digest request's id
let isCatchingUp = false;
let failure; // a read back failed: no digest (complete() then reads the file)

function readChunk(index) {
  const length = chunkLength(index);
  const bytes = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const read = fs.readSync(file(fs.constants.O_RDONLY), bytes, done, length - done, index * chunkSize + done);
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

// Hash the written prefix forward: held chunks from memory, others read back a few a turn so new
// chunks are not held up.
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
    for (const [index, kept] of held) {
      held.delete(index);
      kept.run.kept -= 1;
      if (kept.run.kept === 0) giveBack(kept.run.bytes);
    }
  }
  answerDigest();
}

// Chunks the verifier wrote, and the buffer they came in (null after a failed write): those near the
// prefix are kept to be hashed into it, the buffer goes back once none is.
function wrote({first, wrote, bytes: view}) {
  const bytes = view === null ? null : Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  const run = {bytes, kept: 0};
  for (const index of wrote) {
    written[index] = 1;
    if (bytes !== null && !failure && index >= next && index < next + HOLD && !held.has(index)) {
      const at = (index - first) * chunkSize;
      held.set(index, {view: bytes.subarray(at, at + chunkLength(index)), run});
      run.kept += 1;
    }
  }
  if (bytes !== null && run.kept === 0) giveBack(bytes);
  advance();
}

workerData.chunks.on('message', wrote);
parentPort.on('message', (message) => {
  if (message.op === 'digest') {
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

/** Runs (each up to 1 MiB) the prefix hasher may have queued before store() waits for it: bounds memory. */
const MAX_RUNS_AT_PREFIX_HASHER = 16;

type Answer = {
  id?: number;
  digest?: string;
  results?: (Stored | null)[];
  passed?: true;
  error?: {code: string; message: string};
  free?: Uint8Array;
};

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
  const shared = {
    tempPath,
    identity: options.identity,
    size: manifest.size,
    chunkSize: manifest.chunkSize,
    count,
    written: alreadyWritten,
  };
  const {port1: toPrefix, port2: fromVerifier} = new MessageChannel();
  // execArgv: [] so the threads do not load the parent's loaders (tsx): they are plain JavaScript.
  const verifier = new Worker(VERIFIER_SOURCE, {
    eval: true,
    execArgv: [],
    workerData: {...shared, hashes: Buffer.from(manifest.chunkHashes.join(''), 'hex'), prefix: toPrefix},
    transferList: [toPrefix],
  });
  const prefixHasher = new Worker(PREFIX_HASHER_SOURCE, {
    eval: true,
    execArgv: [],
    workerData: {...shared, chunks: fromVerifier},
    transferList: [fromVerifier],
  });
  verifier.unref();
  prefixHasher.unref();

  const pending = new Map<number, {resolve: (answer: Answer) => void; reject: (error: Error) => void}>();
  let nextId = 1;
  let failure: Error | undefined;
  let runsAtPrefixHasher = 0;
  const roomWaiters: (() => void)[] = [];
  const failAll = (error: Error) => {
    failure ??= error;
    for (const waiter of pending.values()) waiter.reject(failure);
    pending.clear();
    for (const wake of roomWaiters.splice(0)) wake();
  };
  const onMessage = (message: Answer) => {
    if (message.free !== undefined) bodyBuffers.give(message.free);
    if (message.id === undefined) return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error)
      waiter?.reject(Object.assign(new Error(message.error.message), {code: message.error.code}));
    else waiter?.resolve(message);
  };
  verifier.on('message', onMessage);
  prefixHasher.on('message', (message: Answer) => {
    if (message.free !== undefined) {
      runsAtPrefixHasher -= 1;
      if (runsAtPrefixHasher < MAX_RUNS_AT_PREFIX_HASHER) for (const wake of roomWaiters.splice(0)) wake();
    }
    onMessage(message);
  });
  for (const worker of [verifier, prefixHasher]) {
    worker.on('error', (error) =>
      failAll(Object.assign(new Error(`The hashing thread failed: ${error.message}`), {code: 'EIO'})),
    );
    worker.on('exit', () => failAll(Object.assign(new Error('The hashing thread stopped.'), {code: 'EIO'})));
  }

  const ask = (
    worker: Worker,
    message: Record<string, unknown>,
    transfer: ArrayBuffer[] = [],
  ): Promise<Answer> => {
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
      const answer = await ask(verifier, {op: 'store', first, n, bytes}, isWhole ? [buffer] : []);
      if (answer.passed) {
        // The bytes went on to the prefix hasher: if it is that far behind, wait for it, so a slow
        // hasher holds up the download rather than growing its memory.
        runsAtPrefixHasher += 1;
        while (runsAtPrefixHasher > MAX_RUNS_AT_PREFIX_HASHER && failure === undefined)
          await new Promise<void>((wake) => roomWaiters.push(wake));
      }
      return (answer.results ?? []).map((result) => result ?? undefined);
    },
    async digest() {
      return (await ask(prefixHasher, {op: 'digest'})).digest!;
    },
    async close() {
      failure ??= Object.assign(new Error('The verifier is closed.'), {code: 'EBADF'});
      await Promise.all([verifier.terminate(), prefixHasher.terminate()]);
    },
  };
}
