// A shared file's manifest: what the tracker registers and a downloader checks every byte against.
// Content-addressed: the file id is the SHA-256 of the whole file; each chunk (the file cut every
// `chunkSize` bytes, the last one shorter) has a SHA-256 of its own, so a chunk is verified alone,
// whichever peer sent it. (Groundwork for disk sharing, issue 5: upload, files, download.)
// Interface:
// - hashFile(path, options): stream a file once and return its manifest
// - verifyChunk(manifest, index, bytes): whether bytes are that chunk, length and hash
// - checkManifest(value): a manifest that came from the network, validated field by field

import {createHash} from 'node:crypto';
import {constants, type BigIntStats} from 'node:fs';
import {open, type FileHandle} from 'node:fs/promises';
import {basename} from 'node:path';
import {Worker} from 'node:worker_threads';
import {FileError, showValue} from './errors.js';
import {safeFileName} from './names.js';

/** Chunks of 256 KiB: large enough that a request's overhead is small, small enough to spread a file over peers. */
export const DEFAULT_CHUNK_SIZE = 256 * 1024;
/** Smallest and largest chunk size a peer accepts (a chunk travels as one frame body, under MAX_BODY_BYTES). */
export const MIN_CHUNK_SIZE = 4 * 1024;
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024;
/**
 * Most chunks a file may have: its hashes travel raw (32 bytes each) in one frame body, 2 MiB at most,
 * well under the 8 MiB body limit. A 4 GiB file needs chunks of 64 KiB or more.
 */
export const MAX_CHUNKS = 65_536;
/** Largest file shared unless configured otherwise. */
export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 ** 3;

export interface Manifest {
  /** Hex SHA-256 of the whole file (64 lowercase hex digits). */
  fileId: string;
  /** The name it was shared under: a display name, never trusted as a path (see names.ts). */
  name: string;
  /** Bytes. */
  size: number;
  /** Bytes per chunk; the last chunk holds the rest. */
  chunkSize: number;
  /** Hex SHA-256 of each chunk, in order: chunkCount(size, chunkSize) of them (none for an empty file). */
  chunkHashes: string[];
}

/** How many chunks a file of `size` bytes has. */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

/** Byte range [start, end) of chunk `index`. */
export function chunkRange(manifest: Pick<Manifest, 'size' | 'chunkSize'>, index: number): [number, number] {
  const start = index * manifest.chunkSize;
  return [start, Math.min(manifest.size, start + manifest.chunkSize)];
}

/** The file id of an empty file: SHA-256 of no bytes. */
const EMPTY_FILE_ID = createHash('sha256').digest('hex');
/** A SHA-256 as the manifest writes it. Lowercase only: ids are compared as strings. */
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Bytes read at a time (rounded down to whole chunks, at least one chunk). 1 MiB measured as fast as
 * 4 MiB and small enough that the event loop is never held for more than a couple of milliseconds.
 */
const READ_BYTES = 1024 * 1024;
/** Read buffers shared with the chunk-hashing worker: the next one is read while the worker hashes the last. */
const WORKER_SLOTS = 4;
/**
 * Files from this size on have their chunks hashed in a worker thread by default. Below it, the
 * worker's start (about 25 ms) costs more than the second core saves (see hashFile).
 */
export const WORKER_MIN_BYTES = 64 * 1024 * 1024;

export interface HashFileOptions {
  /** Bytes per chunk, a whole number from MIN_CHUNK_SIZE to MAX_CHUNK_SIZE. @default DEFAULT_CHUNK_SIZE */
  chunkSize?: number;
  /** A larger file is refused with EFBIG before any of it is read. @default DEFAULT_MAX_FILE_BYTES */
  maxBytes?: number;
  /** The name to share it under, made safe by safeFileName. @default the file's own name, made safe */
  name?: string;
  /** Stops the hashing; the promise rejects with ECANCELED. */
  signal?: AbortSignal;
  /** Hash the chunks in a worker thread while this thread hashes the whole file. @default size >= WORKER_MIN_BYTES */
  worker?: boolean;
  /** Called after each read block is hashed, with the bytes hashed so far. */
  onProgress?: (hashedBytes: number, size: number) => void;
}

/**
 * Hash a file in one streaming pass: its SHA-256 (the file id) and each chunk's, read through one
 * reused buffer (never the whole file in memory). SHA-256 is the cost, and the file is hashed twice
 * (whole and by chunk), so for large files the chunk hashes run on a second core in a worker thread:
 * on 2 cores that took 256 MiB from about 800 MB/s to about 1,200 MB/s (`npm run bench -- --only=files`).
 * Rejects with FileError: EINVAL (a bad option, a name safeFileName refuses, not a regular file), EFBIG
 * (over maxBytes), ENOENT, EISDIR, EACCES, ECHANGED (the size or modification time differs between
 * the fstat before and after, or the file ended early), ECANCELED, EIO (any other I/O failure).
 * ECHANGED relies on the file system's timestamps: a write that keeps the size and lands in the same
 * clock tick as the previous write can go unseen; a downloader's chunk check still catches it.
 */
export async function hashFile(path: string, options: HashFileOptions = {}): Promise<Manifest> {
  const chunkSize = checkChunkSize(options.chunkSize ?? DEFAULT_CHUNK_SIZE, 'Chunk size');
  const maxBytes = checkMaxBytes(options.maxBytes ?? DEFAULT_MAX_FILE_BYTES);
  const name = safeFileName(options.name ?? basename(path));
  const {signal} = options;
  throwIfCanceled(signal, path);
  let handle: FileHandle;
  try {
    // O_NONBLOCK so that opening a FIFO returns at once (it is then refused below) instead of
    // waiting for a writer forever; it changes nothing for a regular file.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw fileSystemError(error, path);
  }
  try {
    const before = await statOf(handle, path);
    if (before.isDirectory()) throw new FileError('EISDIR', `${showValue(path)} is a directory, not a file.`);
    if (!before.isFile()) throw new FileError('EINVAL', `${showValue(path)} is not a regular file.`);
    const size = Number(before.size);
    if (size > maxBytes)
      throw new FileError(
        'EFBIG',
        `${showValue(path)} is ${size} bytes, over the ${maxBytes}-byte limit for a shared file.`,
      );
    if (chunkCount(size, chunkSize) > MAX_CHUNKS)
      throw new FileError(
        'EFBIG',
        `${showValue(path)} is ${size} bytes: in chunks of ${chunkSize} that is over ${MAX_CHUNKS} chunks; use chunks of ${Math.ceil(size / MAX_CHUNKS)} bytes or more.`,
      );
    const read: BlockReader = {handle, path, size, signal, onProgress: options.onProgress};
    // Reads are whole chunks, so a block's chunks start at multiples of chunkSize.
    const blockBytes = chunkSize * Math.max(1, Math.floor(READ_BYTES / chunkSize));
    const hashes =
      size === 0
        ? {fileId: EMPTY_FILE_ID, chunkHashes: []}
        : (options.worker ?? size >= WORKER_MIN_BYTES)
          ? await hashWithWorker(read, chunkSize, blockBytes)
          : await hashInline(read, chunkSize, Math.min(blockBytes, size));
    const after = await statOf(handle, path);
    if (after.size !== before.size || after.mtimeNs !== before.mtimeNs)
      throw changedError(path, before, after);
    return {fileId: hashes.fileId, name, size, chunkSize, chunkHashes: hashes.chunkHashes};
  } finally {
    await handle.close();
  }
}

/**
 * Whether `bytes` are chunk `index` of the manifest's file: the length chunkRange gives and the
 * chunk's SHA-256. False for an index the manifest has no chunk for.
 */
export function verifyChunk(manifest: Manifest, index: number, bytes: Uint8Array): boolean {
  if (!Number.isInteger(index) || index < 0 || index >= manifest.chunkHashes.length) return false;
  const [start, end] = chunkRange(manifest, index);
  if (bytes.byteLength !== end - start) return false;
  return sha256Hex(bytes) === manifest.chunkHashes[index];
}

export interface CheckManifestOptions {
  /** A manifest of a larger file is refused with EFBIG. @default DEFAULT_MAX_FILE_BYTES */
  maxBytes?: number;
}

/**
 * A manifest that arrived from the network, checked field by field: fileId and every chunk hash are
 * 64 lowercase hex digits, name is already a safe file name (safeFileName leaves it unchanged), size is
 * a whole number of bytes within maxBytes, chunkSize is within MIN_CHUNK_SIZE..MAX_CHUNK_SIZE, there
 * are exactly chunkCount(size, chunkSize) hashes, and the hashes agree where they must (an empty file's
 * id is the SHA-256 of nothing; a one-chunk file's id is its chunk's hash). Returns a fresh Manifest
 * without any other fields. Throws FileError EINVAL naming the first bad field, or EFBIG for a size
 * over maxBytes.
 */
export function checkManifest(value: unknown, options: CheckManifestOptions = {}): Manifest {
  const maxBytes = checkMaxBytes(options.maxBytes ?? DEFAULT_MAX_FILE_BYTES);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new FileError('EINVAL', `A manifest must be an object; got ${showValue(value)}.`);
  const {fileId, name, size, chunkSize, chunkHashes} = value as Record<string, unknown>;
  if (!isSha256Hex(fileId)) throw badHash('fileId', fileId);
  if (typeof name !== 'string')
    throw new FileError('EINVAL', `Manifest field \`name\` is ${showValue(name)}; expected a string.`);
  let safeName: string;
  try {
    safeName = safeFileName(name);
  } catch (error) {
    throw new FileError('EINVAL', `Manifest field \`name\`: ${(error as Error).message}`);
  }
  if (safeName !== name)
    throw new FileError(
      'EINVAL',
      `Manifest field \`name\` is ${showValue(name)}, not a safe file name (that would be ${showValue(safeName)}).`,
    );
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw new FileError(
      'EINVAL',
      `Manifest field \`size\` is ${showValue(size)}; expected a whole number of bytes.`,
    );
  if (size > maxBytes)
    throw new FileError(
      'EFBIG',
      `Manifest field \`size\` is ${size} bytes, over the ${maxBytes}-byte limit.`,
    );
  checkChunkSize(chunkSize, 'Manifest field `chunkSize`');
  const checkedChunkSize = chunkSize as number;
  if (chunkCount(size, checkedChunkSize) > MAX_CHUNKS)
    throw new FileError(
      'EFBIG',
      `Manifest of ${size} bytes in chunks of ${checkedChunkSize} has over ${MAX_CHUNKS} chunks.`,
    );
  if (!Array.isArray(chunkHashes))
    throw new FileError(
      'EINVAL',
      `Manifest field \`chunkHashes\` is ${showValue(chunkHashes)}; expected an array of hex SHA-256s.`,
    );
  const count = chunkCount(size, checkedChunkSize);
  if (chunkHashes.length !== count)
    throw new FileError(
      'EINVAL',
      `Manifest field \`chunkHashes\` has ${chunkHashes.length} hashes; a ${size}-byte file in ${checkedChunkSize}-byte chunks has ${count}.`,
    );
  chunkHashes.forEach((hash: unknown, index) => {
    if (!isSha256Hex(hash)) throw badHash(`chunkHashes[${index}]`, hash);
  });
  if (size === 0 && fileId !== EMPTY_FILE_ID)
    throw new FileError(
      'EINVAL',
      `Manifest field \`fileId\` is ${showValue(fileId)}, but an empty file's id is ${EMPTY_FILE_ID}.`,
    );
  if (count === 1 && chunkHashes[0] !== fileId)
    throw new FileError(
      'EINVAL',
      'Manifest field `chunkHashes[0]` differs from `fileId`; a one-chunk file is its chunk, so they must be equal.',
    );
  return {fileId, name, size, chunkSize: checkedChunkSize, chunkHashes: [...(chunkHashes as string[])]};
}

function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

function badHash(field: string, value: unknown): FileError {
  return new FileError(
    'EINVAL',
    `Manifest field \`${field}\` is ${showValue(value)}; expected 64 lowercase hex digits (a SHA-256).`,
  );
}

function checkChunkSize(value: unknown, what: string): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < MIN_CHUNK_SIZE ||
    value > MAX_CHUNK_SIZE
  )
    throw new FileError(
      'EINVAL',
      `${what} is ${showValue(value)}; expected a whole number of bytes from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}.`,
    );
  return value;
}

function checkMaxBytes(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new FileError(
      'EINVAL',
      `Maximum file size is ${showValue(value)}; expected a whole number of bytes, 0 or more.`,
    );
  return value;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What the hashing loops share: the open file, its size at the first fstat, and the caller's hooks. */
interface BlockReader {
  handle: FileHandle;
  path: string;
  size: number;
  signal: AbortSignal | undefined;
  onProgress: ((hashedBytes: number, size: number) => void) | undefined;
}

/**
 * Fill `into` from `position` (a short read is continued). A file that ends before `size` has been
 * truncated since the first fstat: ECHANGED.
 */
async function readBlock(read: BlockReader, into: Buffer, position: number): Promise<void> {
  throwIfCanceled(read.signal, read.path);
  let filled = 0;
  while (filled < into.length) {
    let bytesRead: number;
    try {
      ({bytesRead} = await read.handle.read(into, filled, into.length - filled, position + filled));
    } catch (error) {
      throw fileSystemError(error, read.path);
    }
    if (bytesRead === 0)
      throw new FileError(
        'ECHANGED',
        `${showValue(read.path)} changed while it was hashed: it ended at ${position + filled} bytes, not ${read.size}. Hash it again.`,
      );
    filled += bytesRead;
  }
}

/** Both hashes on this thread: the whole file, then each chunk of the block just read. */
async function hashInline(
  read: BlockReader,
  chunkSize: number,
  blockBytes: number,
): Promise<{fileId: string; chunkHashes: string[]}> {
  const buffer = Buffer.allocUnsafeSlow(blockBytes);
  const whole = createHash('sha256');
  const chunkHashes: string[] = [];
  for (let position = 0; position < read.size;) {
    const block = buffer.subarray(0, Math.min(blockBytes, read.size - position));
    await readBlock(read, block, position);
    whole.update(block);
    for (let offset = 0; offset < block.length; offset += chunkSize)
      chunkHashes.push(sha256Hex(block.subarray(offset, offset + chunkSize)));
    position += block.length;
    read.onProgress?.(position, read.size);
  }
  return {fileId: whole.digest('hex'), chunkHashes};
}

// The worker's whole program. It is plain JavaScript run with `eval` so that it needs no file of its
// own (the bundle in dist/ and tsx both run it as is). It hashes the chunks of one slot of the shared
// buffer per message and answers with their hex hashes; one worker answers in the order it was asked.
const CHUNK_HASHER_SOURCE = `
const {parentPort, workerData} = require('node:worker_threads');
const {createHash} = require('node:crypto');
const bytes = Buffer.from(workerData.buffer);
const {chunkSize} = workerData;
parentPort.on('message', ({offset, length}) => {
  const end = offset + length;
  const hashes = [];
  for (let at = offset; at < end; at += chunkSize)
    hashes.push(createHash('sha256').update(bytes.subarray(at, Math.min(end, at + chunkSize))).digest('hex'));
  parentPort.postMessage(hashes);
});
`;

/**
 * The whole-file hash on this thread, the chunk hashes in a worker, over WORKER_SLOTS blocks of one
 * SharedArrayBuffer used in turn: a slot is read into again only after the worker has answered for it.
 */
async function hashWithWorker(
  read: BlockReader,
  chunkSize: number,
  blockBytes: number,
): Promise<{fileId: string; chunkHashes: string[]}> {
  const shared = new SharedArrayBuffer(WORKER_SLOTS * blockBytes);
  const bytes = Buffer.from(shared);
  // execArgv: [] so the worker does not load the parent's loaders (tsx): it is plain JavaScript.
  const worker = new Worker(CHUNK_HASHER_SOURCE, {
    eval: true,
    execArgv: [],
    workerData: {buffer: shared, chunkSize},
  });
  const answers: string[][] = [];
  let waiting: {resolve: (hashes: string[]) => void; reject: (error: Error) => void} | undefined;
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    waiting?.reject(failure);
    waiting = undefined;
  };
  worker.on('message', (hashes: string[]) => {
    if (waiting) waiting.resolve(hashes);
    else answers.push(hashes);
    waiting = undefined;
  });
  worker.on('error', (error) =>
    fail(
      new FileError('EIO', `Hashing the chunks of ${showValue(read.path)} failed: ${error.message}`, {
        cause: error,
      }),
    ),
  );
  worker.on('exit', (code) =>
    fail(
      new FileError(
        'EIO',
        `The chunk-hashing worker for ${showValue(read.path)} exited early (code ${code}).`,
      ),
    ),
  );
  const nextAnswer = (): Promise<string[]> => {
    const answer = answers.shift();
    if (answer) return Promise.resolve(answer);
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => (waiting = {resolve, reject}));
  };
  const blocks = Math.ceil(read.size / blockBytes);
  const blockAt = (index: number) => {
    const offset = (index % WORKER_SLOTS) * blockBytes;
    return bytes.subarray(offset, offset + Math.min(blockBytes, read.size - index * blockBytes));
  };
  // The next block is read while this thread hashes the current one.
  let reading: Promise<void> | undefined = readBlock(read, blockAt(0), 0);
  try {
    const whole = createHash('sha256');
    const chunkHashes: string[] = [];
    for (let index = 0; index < blocks; index += 1) {
      await reading;
      reading = undefined;
      const block = blockAt(index);
      worker.postMessage({offset: block.byteOffset, length: block.length});
      if (index + 1 < blocks) {
        // Slots are used in turn: the next block's slot is free once the worker has answered for
        // the block WORKER_SLOTS before it.
        if (index + 1 >= WORKER_SLOTS) chunkHashes.push(...(await nextAnswer()));
        reading = readBlock(read, blockAt(index + 1), (index + 1) * blockBytes);
      }
      whole.update(block);
      read.onProgress?.(index * blockBytes + block.length, read.size);
    }
    for (let left = Math.min(blocks, WORKER_SLOTS); left > 0; left -= 1)
      chunkHashes.push(...(await nextAnswer()));
    return {fileId: whole.digest('hex'), chunkHashes};
  } finally {
    // A read still in flight (after an error) must end before the file is closed.
    await reading?.catch(() => {});
    await worker.terminate();
  }
}

async function statOf(handle: FileHandle, path: string): Promise<BigIntStats> {
  try {
    return await handle.stat({bigint: true});
  } catch (error) {
    throw fileSystemError(error, path);
  }
}

function changedError(path: string, before: BigIntStats, after: BigIntStats): FileError {
  const what =
    after.size !== before.size
      ? `its size went from ${before.size} to ${after.size} bytes`
      : 'its modification time moved';
  return new FileError('ECHANGED', `${showValue(path)} changed while it was hashed: ${what}. Hash it again.`);
}

function throwIfCanceled(signal: AbortSignal | undefined, path: string): void {
  if (signal?.aborted)
    throw new FileError('ECANCELED', `Hashing ${showValue(path)} was canceled.`, {cause: signal.reason});
}

/** A failed open, read or fstat as a FileError with a stable code; the system error is the cause. */
function fileSystemError(error: unknown, path: string): FileError {
  const code = (error as NodeJS.ErrnoException).code;
  const shown = showValue(path);
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new FileError('ENOENT', `No such file: ${shown}.`, {cause: error});
    case 'EISDIR':
      return new FileError('EISDIR', `${shown} is a directory, not a file.`, {cause: error});
    case 'EACCES':
    case 'EPERM':
      return new FileError('EACCES', `Permission denied reading ${shown}.`, {cause: error});
    default:
      return new FileError('EIO', `Reading ${shown} failed: ${(error as Error).message}`, {cause: error});
  }
}
