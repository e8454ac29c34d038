// A download's file on disk while its chunks arrive. The bytes go to a temporary file beside the destination,
// `.NAME.<first 16 hex digits of the file id>.part`, which is renamed to NAME only once the whole file's
// SHA-256 equals the file id: a partial or corrupt file never shows under the final name. (Issue 5.)
// Interface:
//   - openPartial({dir, name, manifest}) creates the temporary file, or reopens it to resume: pass the
//     verified chunks the transfer store kept, or call rescan() to find them.
//   - writeChunk(index, bytes) checks the chunk's length and SHA-256 against the manifest, then writes it at
//     its offset; a bad chunk throws ECORRUPT and nothing is written. markWritten(index, digest) records a
//     chunk another writer put there (a download's hashing thread writes its chunks through `identity`).
//   - complete() hashes the whole temporary file, fsyncs it and renames it into place.
//   - abandon() closes and keeps the temporary file for a later resume; remove() deletes it.

import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp, {type FileHandle} from 'node:fs/promises';
import nodePath from 'node:path';
import {chunkCount, chunkRange, type Manifest} from './manifest.js';
import {
  clearChunk,
  countChunks,
  emptyChunkBitmap,
  fitChunkBitmap,
  hasChunk,
  manifestProblem,
  setChunk,
} from './transfer-store.js';

/** Bytes hashed per read in complete() (one more read is under way while they are hashed). */
const READ_BYTES = 1024 * 1024;
/** Longest file name most file systems take (NAME_MAX); a temporary name is cut to fit. */
const MAX_NAME_BYTES = 255;
const PARTIAL_SUFFIX = '.part';
const FILE_ID_DIGITS = 16; // of the file id in the temporary name: enough that two files never meet
// The temporary file is opened without following a symbolic link, so a link planted in a shared
// directory cannot redirect the download's writes (0 where the platform has no O_NOFOLLOW).
const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

export type PartialFileErrorCode =
  | 'EINVAL' // a bad argument: a chunk index out of range, a name that is not one path component, a bad manifest
  | 'EBADF' // the partial file is closed, or busy in complete() or rescan()
  | 'EBUSY' // this process already has the same temporary file open
  | 'EEXIST' // the final name is taken (and force is not set), or is a directory
  | 'ECORRUPT' // a chunk or the whole file does not match the manifest's SHA-256 (or length)
  | 'ENOSPC' // the disk (or the user's quota) is full
  | 'EACCES' // the directory or file cannot be written (permissions, a read-only file system)
  | 'EPERM' // the operation is not permitted, or the temporary file is a symbolic link
  | 'ENOENT' // the directory does not exist
  | 'EIO'; // anything else the file system reported

/** A partial file failure; callers branch on `code`. The message is one line naming the path. */
export class PartialFileError extends Error {
  readonly code: PartialFileErrorCode;
  /** The path the failure is about: the temporary file, the final one, or the directory. */
  readonly path: string;
  /** ECORRUPT: the chunks that did not match their hash (now not verified); otherwise empty. */
  readonly chunks: readonly number[];

  constructor(code: PartialFileErrorCode, path: string, message: string, chunks: readonly number[] = []) {
    super(message);
    this.name = 'PartialFileError';
    this.code = code;
    this.path = path;
    this.chunks = chunks;
  }
}

export interface OpenPartialOptions {
  /** The destination directory; it must exist. */
  dir: string;
  /** The final file name: one safe path component (names.ts's safeFileName), never a path. */
  name: string;
  manifest: Manifest;
  /** Replace a file already under the final name. @default false */
  force?: boolean;
  /**
   * The chunks verified in an earlier session (the transfer store's bitmap). Used only when the temporary
   * file is there; a new one starts empty, and the caller should clear the store's bitmap then.
   */
  verified?: Uint8Array;
}

export interface PartialFile {
  /** The final path, dir/name. */
  readonly path: string;
  readonly tempPath: string;
  readonly manifest: Manifest;
  /** True when the temporary file was there already: a resumed download. */
  readonly isResumed: boolean;
  /** The chunks verified (transfer-store.ts's bitmap layout): given at open, written, or found by rescan(). A copy. */
  verified(): Uint8Array;
  /** Whether chunk `index` is verified. */
  hasChunk(index: number): boolean;
  /**
   * Check chunk `index` (its length and SHA-256) and write it at its offset. Resolves true once the bytes are
   * written (mark it in the transfer store only then), false when the chunk was verified already (nothing is
   * written). `digest`, the bytes' hex SHA-256 computed elsewhere (verifier.ts's thread), saves hashing here. `bytes` must not change until the promise settles. Throws ECORRUPT (nothing written) for a
   * chunk that does not match, EINVAL for an index out of range, EBADF when closed or busy, ENOSPC, EIO...:
   * a failed write leaves every verified chunk as it was.
   */
  writeChunk(index: number, bytes: Uint8Array, digest?: string): Promise<boolean>;
  /**
   * Chunk `index` was written at its offset by another writer (verifier.ts's thread, through `identity`) after
   * its bytes hashed to `digest`: mark it verified. Returns false when it was verified already. Throws ECORRUPT
   * when `digest` is not the manifest's, EINVAL for an index out of range, EBADF when closed or busy.
   */
  markWritten(index: number, digest: string): boolean;
  /** The temporary file's device and inode (decimal), so another writer can check it opened this file. */
  readonly identity: {dev: string; ino: string};
  /**
   * Hash every chunk in the temporary file and keep as verified exactly those that match; returns the new
   * bitmap (copy it to the store with replaceVerified). For a resume when the store knows nothing.
   */
  rescan(): Promise<Uint8Array>;
  /**
   * Finish: wait for writes under way, check that the whole file's SHA-256 is the file id (`digest`, when given,
   * is that SHA-256 computed over the bytes as they were written, and saves reading the file again), fsync, and move it
   * to the final name (then fsync the directory). Resolves to the final path; the partial file is closed.
   * On a mismatch throws ECORRUPT with the chunks that fail their own hash in `chunks` (no longer verified;
   * fetch them again and call complete() again); the temporary file stays. Throws EEXIST when the final name
   * is taken and force is not set (the verified temporary file stays, and the partial file stays open).
   */
  complete(digest?: string): Promise<string>;
  /**
   * Close, keeping the temporary file for a later resume. Waits for writes under way; never throws. Not while
   * complete() or rescan() runs.
   */
  abandon(): Promise<void>;
  /** Close and delete the temporary file (nothing to do once complete() has moved it). */
  remove(): Promise<void>;
}

/** The temporary file's name for `name` and file id `fileId`, cut to MAX_NAME_BYTES (`name` shortened, never the id). */
export function partialName(name: string, fileId: string): string {
  const tail = `.${fileId.slice(0, FILE_ID_DIGITS)}${PARTIAL_SUFFIX}`;
  let room = MAX_NAME_BYTES - Buffer.byteLength(tail) - 1; // 1 for the leading dot
  let kept = '';
  for (const character of name) {
    room -= Buffer.byteLength(character);
    if (room < 0) break;
    kept += character;
  }
  return `.${kept}${tail}`;
}

/** The temporary file's path for a download of file `fileId` to `dir`/`name` (what the transfer store records). */
export function partialPath(dir: string, name: string, fileId: string): string {
  return nodePath.join(nodePath.resolve(dir), partialName(name, fileId));
}

// Temporary files open in this process: two downloads writing the same one would corrupt each other's resume.
const openTempPaths = new Set<string>();

/**
 * Open the temporary file for a download of `manifest` to `dir`/`name`: create it (sized to the file, sparse),
 * or reopen it when an earlier session left it. Throws EEXIST at once when the final name is taken and
 * `force` is not set, ENOSPC when the file system lacks the space still needed, EINVAL for a bad name or
 * manifest, EBUSY when this process has it open already, ENOENT/EACCES/EPERM/EIO from the file system.
 */
export async function openPartial(options: OpenPartialOptions): Promise<PartialFile> {
  const {manifest, name} = options;
  const problem = manifestProblem(manifest);
  if (problem !== undefined) throw new PartialFileError('EINVAL', options.dir, problem);
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new PartialFileError(
      'EINVAL',
      options.dir,
      `File name ${JSON.stringify(String(name))} is not a single path component. Expected a name made safe by safeFileName.`,
    );
  }
  const dir = nodePath.resolve(options.dir);
  const finalPath = nodePath.join(dir, name);
  const tempPath = nodePath.join(dir, partialName(name, manifest.fileId));
  const isForced = options.force === true;
  if (openTempPaths.has(tempPath)) {
    throw new PartialFileError(
      'EBUSY',
      tempPath,
      `Partial file ${tempPath} is already open in this process.`,
    );
  }
  openTempPaths.add(tempPath); // before any await, so two opens at once cannot both pass the check
  let handle: FileHandle | undefined;
  try {
    await checkFinalName(finalPath, isForced, tempPath, true);
    const existing = await fsp.lstat(tempPath).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw fsError(error, tempPath, 'Cannot open partial file');
    });
    // Space still needed: blocks the temporary file already holds count (it is sparse until written).
    await checkSpace(dir, manifest.size - (existing === undefined ? 0 : existing.blocks * 512), tempPath);
    let isResumed = existing !== undefined;
    try {
      const flags =
        fs.constants.O_RDWR | fs.constants.O_CREAT | O_NOFOLLOW | (isResumed ? 0 : fs.constants.O_EXCL);
      handle = await fsp.open(tempPath, flags, 0o666);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw fsError(error, tempPath, 'Cannot open partial file');
      isResumed = true; // created between the lstat and the open: by another process, so resume it
      handle = await fsp.open(tempPath, fs.constants.O_RDWR | O_NOFOLLOW).catch((error2: unknown) => {
        throw fsError(error2, tempPath, 'Cannot open partial file');
      });
    }
    const stat = await handle.stat({bigint: true});
    const size = Number(stat.size);
    const identity = {dev: String(stat.dev), ino: String(stat.ino)};
    const count = chunkCount(manifest.size, manifest.chunkSize);
    let verified = emptyChunkBitmap(count);
    if (isResumed && options.verified !== undefined) {
      verified = fitChunkBitmap(options.verified, count);
      // A file cut short since (by hand, a full disk): the chunks past its end are gone.
      for (let index = 0; index < count; index += 1) {
        if (hasChunk(verified, index) && chunkRange(manifest, index)[1] > size) clearChunk(verified, index);
      }
    }
    // Sized up front (sparse): measured, positional 256 KiB writes into a file of its final size ran at 2.4-3.0 GB/s,
    // while writes that grow the file varied from 0.4 to 3.2 GB/s.
    if (size !== manifest.size) await handle.truncate(manifest.size);
    return createPartialFile({
      handle,
      identity,
      manifest,
      finalPath,
      tempPath,
      dir,
      isForced,
      isResumed,
      verified,
    });
  } catch (error) {
    openTempPaths.delete(tempPath);
    await handle?.close().catch(() => undefined);
    if (error instanceof PartialFileError) throw error;
    throw fsError(error, tempPath, 'Cannot open partial file');
  }
}

interface PartialFileParts {
  handle: FileHandle;
  identity: {dev: string; ino: string};
  manifest: Manifest;
  finalPath: string;
  tempPath: string;
  dir: string;
  isForced: boolean;
  isResumed: boolean;
  verified: Uint8Array;
}

type Status = 'open' | 'busy' | 'closed';

function createPartialFile(parts: PartialFileParts): PartialFile {
  const {handle, identity, manifest, finalPath, tempPath, dir, isForced, isResumed, verified} = parts;
  const count = chunkCount(manifest.size, manifest.chunkSize);
  let status: Status = 'open';
  let isPlaced = false; // complete() moved the file to its final name
  const writes = new Set<Promise<unknown>>(); // writeChunk calls under way

  function assertOpen(what: string): void {
    if (status === 'open') return;
    const why = status === 'busy' ? 'complete() or rescan() is running' : 'it is closed';
    throw new PartialFileError('EBADF', tempPath, `Cannot ${what} partial file ${tempPath}: ${why}.`);
  }

  /** Throws EINVAL for an index out of range, ECORRUPT for a wrong length or hash. */
  function checkChunk(index: number, length: number, digest: string): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
      throw new PartialFileError(
        'EINVAL',
        tempPath,
        `Chunk ${index} is out of range for ${tempPath}. Expected 0 to ${count - 1}.`,
      );
    }
    const [start, end] = chunkRange(manifest, index);
    if (length !== end - start) {
      throw new PartialFileError(
        'ECORRUPT',
        tempPath,
        `Chunk ${index} of ${manifest.fileId} is ${length} bytes. Expected ${end - start}; not written to ${tempPath}.`,
        [index],
      );
    }
    if (digest !== manifest.chunkHashes[index]) {
      throw new PartialFileError(
        'ECORRUPT',
        tempPath,
        `Chunk ${index} of ${manifest.fileId} has SHA-256 ${digest}. Expected ${manifest.chunkHashes[index]}; not written to ${tempPath}.`,
        [index],
      );
    }
  }

  async function settleWrites(): Promise<void> {
    while (writes.size > 0) await Promise.allSettled([...writes]);
  }

  /** Hash each chunk on disk; keep exactly the matching ones as verified. Returns the chunks that do not match. */
  async function scan(): Promise<number[]> {
    const bad: number[] = [];
    let index = 0;
    await readPieces(handle, manifest.size, manifest.chunkSize, tempPath, (bytes) => {
      const isGood =
        bytes.byteLength === chunkLength(manifest, index) && sha256(bytes) === manifest.chunkHashes[index];
      if (isGood) setChunk(verified, index);
      else {
        if (hasChunk(verified, index)) bad.push(index);
        clearChunk(verified, index);
      }
      index += 1;
    });
    // A file cut short: the chunks past its end are missing.
    for (; index < count; index += 1) {
      if (hasChunk(verified, index)) bad.push(index);
      clearChunk(verified, index);
    }
    return bad;
  }

  async function close(): Promise<void> {
    if (status === 'closed') return;
    status = 'closed';
    openTempPaths.delete(tempPath);
    await handle.close().catch(() => undefined); // nothing to lose: written bytes are in the page cache
  }

  return {
    path: finalPath,
    tempPath,
    manifest,
    isResumed,
    identity,

    verified: () => Uint8Array.from(verified),

    hasChunk: (index) => hasChunk(verified, index),

    async writeChunk(index, bytes, known) {
      assertOpen('write to');
      checkChunk(index, bytes.byteLength, known ?? sha256(bytes));
      // Checked even when verified already: a peer sending bad copies should be found out (the endgame asks twice).
      if (hasChunk(verified, index)) return false;
      const write = writeAt(handle, bytes, chunkRange(manifest, index)[0]);
      writes.add(write);
      try {
        await write;
      } catch (error) {
        throw fsError(error, tempPath, `Cannot write chunk ${index} to`);
      } finally {
        writes.delete(write);
      }
      setChunk(verified, index);
      return true;
    },

    markWritten(index, digest) {
      assertOpen('mark a chunk of');
      checkChunk(index, chunkLength(manifest, index), digest);
      if (hasChunk(verified, index)) return false;
      setChunk(verified, index);
      return true;
    },

    async rescan() {
      assertOpen('rescan');
      status = 'busy';
      try {
        await settleWrites();
        await scan();
        return Uint8Array.from(verified);
      } finally {
        status = 'open';
      }
    },

    async complete(known) {
      assertOpen('complete');
      status = 'busy';
      try {
        await settleWrites();
        await checkFinalName(finalPath, isForced, tempPath); // before reading a gigabyte for nothing
        let read = manifest.size;
        let digest = known;
        if (digest !== manifest.fileId) {
          const hash = crypto.createHash('sha256');
          read = await readPieces(handle, manifest.size, READ_BYTES, tempPath, (bytes) => hash.update(bytes));
          digest = hash.digest('hex');
        }
        if (read !== manifest.size || digest !== manifest.fileId) {
          const bad = await scan();
          const which =
            bad.length > 0
              ? `chunks ${formatChunks(bad)} do not match their hashes and must be fetched again`
              : countChunks(verified) === count
                ? 'yet every chunk matches its hash, so the manifest does not add up'
                : `${count - countChunks(verified)} chunks are missing`;
          throw new PartialFileError(
            'ECORRUPT',
            tempPath,
            `Partial file ${tempPath} has SHA-256 ${digest}, not file id ${manifest.fileId}: ${which}. It is kept for another try.`,
            bad,
          );
        }
        await handle.sync().catch((error: unknown) => {
          throw fsError(error, tempPath, 'Cannot sync');
        });
        await place(tempPath, finalPath, isForced);
        isPlaced = true;
        await syncDirectory(dir);
      } finally {
        if (isPlaced) await close();
        else status = 'open'; // still writable: fetch the bad chunks again, or remove()
      }
      return finalPath;
    },

    async abandon() {
      if (status === 'closed') return;
      status = 'busy';
      await settleWrites();
      await close();
    },

    async remove() {
      if (status !== 'closed') {
        status = 'busy';
        await settleWrites();
        await close();
      }
      if (isPlaced) return;
      await fsp.unlink(tempPath).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw fsError(error, tempPath, 'Cannot remove partial file');
      });
    },
  };
}

/** Throw EEXIST when `finalPath` is taken (by anything, a link or a directory too) unless `isForced`; a directory always. */
async function checkFinalName(
  finalPath: string,
  isForced: boolean,
  tempPath: string,
  isBeforeStart = false,
): Promise<void> {
  let stats: fs.Stats;
  try {
    stats = await fsp.lstat(finalPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fsError(error, finalPath, 'Cannot check');
  }
  if (stats.isDirectory()) {
    throw new PartialFileError('EEXIST', finalPath, `Cannot download to ${finalPath}: it is a directory.`);
  }
  if (!isForced) {
    throw new PartialFileError(
      'EEXIST',
      finalPath,
      isBeforeStart
        ? `File ${finalPath} exists; it is replaced only when forced (download --force).`
        : `File ${finalPath} exists and is replaced only when forced (download --force); the download stays in ${tempPath}.`,
    );
  }
}

/**
 * Move the verified temporary file to its final name. Without `isForced` it is linked there and then unlinked,
 * so a file that appeared meanwhile is never replaced (link fails with EEXIST); where links are not supported,
 * check-then-rename. With `isForced`, rename replaces whatever file is there, atomically.
 */
async function place(tempPath: string, finalPath: string, isForced: boolean): Promise<void> {
  try {
    if (isForced) {
      await fsp.rename(tempPath, finalPath);
      return;
    }
    try {
      await fsp.link(tempPath, finalPath);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw error;
      // A file system without hard links (FAT, some network and FUSE ones): the check is not atomic there.
      await checkFinalName(finalPath, false, tempPath);
      await fsp.rename(tempPath, finalPath);
      return;
    }
    await fsp.unlink(tempPath).catch(() => undefined); // the download is in place; a stray link is harmless
  } catch (error) {
    if (error instanceof PartialFileError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') await checkFinalName(finalPath, false, tempPath);
    throw fsError(error, finalPath, `Cannot move ${tempPath} to`);
  }
}

/** Make a rename in `dir` durable (POSIX); where a directory cannot be synced (Windows), skip it. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // The file's bytes are synced; only the name could be lost in a power cut on such a system.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Throw ENOSPC when the file system holding `dir` has fewer than `bytes` bytes free for this user. */
async function checkSpace(dir: string, bytes: number, tempPath: string): Promise<void> {
  if (bytes <= 0) return;
  let free: number;
  try {
    const stats = await fsp.statfs(dir);
    free = stats.bavail * stats.bsize;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSYS' || code === 'ENOTSUP') return; // cannot tell: the writes will say
    throw fsError(error, dir, 'Cannot open partial file in');
  }
  if (free < bytes) {
    throw new PartialFileError(
      'ENOSPC',
      tempPath,
      `Not enough space for ${tempPath}: ${formatBytes(bytes)} still to write, ${formatBytes(free)} free in ${dir}.`,
    );
  }
}

/** Write all of `bytes` at `position` (a write may write less than asked, on a nearly full disk). */
async function writeAt(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const {bytesWritten} = await handle.write(bytes, done, bytes.byteLength - done, position + done);
    if (bytesWritten === 0) throw Object.assign(new Error('the file system wrote nothing'), {code: 'EIO'});
    done += bytesWritten;
  }
}

/**
 * Read [0, size) in pieces of `pieceBytes` (the last shorter), one read ahead of `onPiece`, so reading and
 * hashing overlap. Returns the bytes read: fewer than `size` when the file is shorter.
 */
async function readPieces(
  handle: FileHandle,
  size: number,
  pieceBytes: number,
  path: string,
  onPiece: (bytes: Uint8Array) => void,
): Promise<number> {
  const buffers = [
    Buffer.allocUnsafe(Math.min(pieceBytes, size)),
    Buffer.allocUnsafe(Math.min(pieceBytes, size)),
  ];
  const readInto = async (buffer: Buffer, position: number): Promise<number> => {
    const length = Math.min(pieceBytes, size - position);
    let done = 0;
    while (done < length) {
      const {bytesRead} = await handle.read(buffer, done, length - done, position + done);
      if (bytesRead === 0) break; // the end of a file cut short
      done += bytesRead;
    }
    return done;
  };
  try {
    let position = 0;
    let next = size > 0 ? readInto(buffers[0]!, 0) : Promise.resolve(0);
    for (let turn = 0; position < size; turn += 1) {
      const bytesRead = await next;
      const buffer = buffers[turn % 2]!;
      const following = position + bytesRead;
      if (bytesRead === Math.min(pieceBytes, size - position) && following < size)
        next = readInto(buffers[(turn + 1) % 2]!, following);
      if (bytesRead > 0) onPiece(buffer.subarray(0, bytesRead));
      position = following;
      if (bytesRead < pieceBytes && position < size) break; // short: the file ends here
    }
    return position;
  } catch (error) {
    throw fsError(error, path, 'Cannot read');
  }
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

function chunkLength(manifest: Manifest, index: number): number {
  const [start, end] = chunkRange(manifest, index);
  return end - start;
}

/** "3, 7, 12" or "3, 7, 12, ... (40 in all)". */
function formatChunks(chunks: readonly number[]): string {
  const shown = chunks.slice(0, 8).join(', ');
  return chunks.length > 8 ? `${shown}, ... (${chunks.length} in all)` : shown;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${bytes} bytes`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

// fs errno codes mapped to ours; anything else is EIO.
const FS_CODES: Readonly<Record<string, PartialFileErrorCode>> = {
  ENOSPC: 'ENOSPC',
  EDQUOT: 'ENOSPC',
  EACCES: 'EACCES',
  EROFS: 'EACCES',
  EPERM: 'EPERM',
  ELOOP: 'EPERM', // O_NOFOLLOW met a symbolic link
  ENOENT: 'ENOENT',
  ENOTDIR: 'ENOENT',
  EEXIST: 'EEXIST',
  EISDIR: 'EEXIST',
  ENOTEMPTY: 'EEXIST',
};

/** An fs error as one line: "Cannot write chunk 3 to /d/.f.part: no space left on device." */
function fsError(error: unknown, path: string, what: string): PartialFileError {
  if (error instanceof PartialFileError) return error;
  const errno = (error as NodeJS.ErrnoException | null)?.code ?? '';
  const code = FS_CODES[errno] ?? 'EIO';
  // Node's messages read "ENOSPC: no space left on device, write"; keep the middle.
  const message = error instanceof Error ? error.message : String(error);
  let reason = message.replace(/^E[A-Z]+: /, '').replace(/, \w+( '[^']*'( -> '[^']*')?)?$/, '');
  if (errno === 'ELOOP') reason = 'it is a symbolic link, which a download does not follow';
  const wrapped = new PartialFileError(code, path, `${what} ${path}: ${reason.replace(/\s+/g, ' ')}.`);
  wrapped.cause = error;
  return wrapped;
}
