// What this peer shares and what it is downloading, in a SQLite file that survives restarts
// (TRANSFERS_DB_FILE in the data directory): a restarted peer serves its shares again, and a download
// goes on from the chunks it had verified. (Disk sharing, issue 5.)
// Interface:
//   - openTransferStore(path) opens lazily: nothing touches the disk (or loads SQLite) until the first call.
//   - addShare, removeShare, getShare, listShares: files served from a local path; written at once.
//   - startDownload(manifest, dest) records a download, or returns the unfinished one for the same file
//     and destination (that is a resume). markVerified(id, index) once a chunk's bytes are written.
//   - Marks are kept in memory and written in one transaction every FLUSH_MARKS marks or FLUSH_MS after the
//     first, only the bitmap pages they changed: a SIGKILL loses at most those marks (the chunks are fetched
//     again), and a chunk is never marked before its bytes are written.
//   - pauseDownload, failDownload, finishDownload, removeDownload; close() writes the pending marks.

import fs from 'node:fs';
import nodePath from 'node:path'; // `path` is the database file's path throughout
import type BetterSqlite3 from 'better-sqlite3';
import {
  cutText,
  describeFailure,
  loadSqlite,
  migrateSchema,
  newerSchemaMessage,
  StoreError,
} from '../../sqlite.js';
import {chunkCount, chunkRange, type Manifest} from './manifest.js';

/** The transfer database's file name inside the data directory (beside history.sqlite). */
export const TRANSFERS_DB_FILE = 'transfers.sqlite';

/** Marks written per transaction at most; a SIGKILL loses at most this many (plus FLUSH_MS worth). */
export const FLUSH_MARKS = 256;
/** Pending marks are written at the latest this long after the first of them, ms. */
export const FLUSH_MS = 100;
/**
 * Chunks per stored bitmap page (128 bytes): a flush rewrites only the pages it changed, so a mark costs
 * the same for a 100-chunk file as for a million-chunk one.
 */
export const PAGE_CHUNKS = 1024;
const PAGE_BYTES = PAGE_CHUNKS / 8;
/** Longest failure reason kept for a download; longer text is cut and ends with …. */
export const MAX_ERROR_CHARS = 1024;
const HASH_BYTES = 32; // SHA-256
const BUSY_TIMEOUT_MS = 2_000; // another p2pos on the same data dir holds the write lock only for one flush
const DATA_DIR_MODE = 0o700;

// MIGRATIONS[n] takes the schema from version n to n + 1; a file's PRAGMA user_version says how far it is.
// Chunk hashes are stored raw (32 bytes each), and a download's manifest sits in a table of its own, so
// updating its progress never rewrites megabytes of hashes.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE shares (
     id INTEGER PRIMARY KEY,
     file_id TEXT NOT NULL UNIQUE, -- hex SHA-256 of the file
     name TEXT NOT NULL, -- the name it is shared under
     size INTEGER NOT NULL,
     chunk_size INTEGER NOT NULL,
     chunk_hashes BLOB NOT NULL, -- 32 bytes per chunk, in order
     path TEXT NOT NULL, -- absolute path of the local file
     share_group TEXT, -- null: shared with everyone
     shared_at REAL NOT NULL -- epoch ms
   );
   CREATE TABLE downloads (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     file_id TEXT NOT NULL,
     dest_dir TEXT NOT NULL, -- absolute
     name TEXT NOT NULL, -- the final name inside dest_dir
     temp_path TEXT NOT NULL,
     started_at REAL NOT NULL, -- epoch ms, like the other times
     state TEXT NOT NULL CHECK (state IN ('active', 'paused', 'failed', 'done')),
     chunks_done INTEGER NOT NULL,
     bytes_done INTEGER NOT NULL,
     error TEXT,
     updated_at REAL NOT NULL,
     finished_at REAL
   );
   -- One unfinished download per file and destination: starting it again resumes it.
   CREATE UNIQUE INDEX downloads_unfinished ON downloads (file_id, dest_dir, name) WHERE state <> 'done';
   CREATE TABLE download_manifests (
     download_id INTEGER PRIMARY KEY, -- downloads.id; deleted with it
     name TEXT NOT NULL,
     size INTEGER NOT NULL,
     chunk_size INTEGER NOT NULL,
     chunk_hashes BLOB NOT NULL
   );
   -- The verified chunks of an unfinished download, PAGE_CHUNKS per row (a done one keeps none: all are).
   CREATE TABLE download_chunks (
     download_id INTEGER NOT NULL,
     page INTEGER NOT NULL,
     bits BLOB NOT NULL, -- PAGE_BYTES of the bitmap (the last page shorter); see hasChunk
     PRIMARY KEY (download_id, page)
   ) WITHOUT ROWID;`,
];

// --- Chunk bitmaps -------------------------------------------------------------------------------------

/** An empty set of `count` chunks: chunk i is bit (i & 7), least significant first, of byte (i >> 3). */
export function emptyChunkBitmap(count: number): Uint8Array {
  return new Uint8Array(Math.ceil(count / 8));
}

export function hasChunk(bitmap: Uint8Array, index: number): boolean {
  return ((bitmap[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
}

/** Add chunk `index`; it must be below the bitmap's chunk count. */
export function setChunk(bitmap: Uint8Array, index: number): void {
  bitmap[index >> 3]! |= 1 << (index & 7);
}

export function clearChunk(bitmap: Uint8Array, index: number): void {
  bitmap[index >> 3]! &= ~(1 << (index & 7));
}

const BITS_SET = Uint8Array.from({length: 256}, (_, byte) => {
  let bits = 0;
  for (let rest = byte; rest !== 0; rest &= rest - 1) bits += 1;
  return bits;
});

/** How many chunks the bitmap holds. */
export function countChunks(bitmap: Uint8Array): number {
  let total = 0;
  for (const byte of bitmap) total += BITS_SET[byte]!;
  return total;
}

/** A copy of `bitmap` sized for `count` chunks: bits past the count (or past its end) are 0. */
export function fitChunkBitmap(bitmap: Uint8Array, count: number): Uint8Array {
  const fitted = emptyChunkBitmap(count);
  fitted.set(bitmap.subarray(0, fitted.length));
  if (count % 8 !== 0 && fitted.length > 0) fitted[fitted.length - 1]! &= (1 << (count % 8)) - 1;
  return fitted;
}

/**
 * What is wrong with a manifest's shape, as a sentence, or undefined when it adds up: a 64-hex-digit file
 * id, whole sizes, one 64-hex-digit hash per chunk. (Whether the hashes are true is for the bytes to show.)
 */
export function manifestProblem(manifest: Manifest): string | undefined {
  const {fileId, name, size, chunkSize, chunkHashes} = manifest as Partial<Manifest>;
  if (typeof fileId !== 'string' || !HEX_SHA256.test(fileId))
    return `Manifest file id ${String(fileId)} is not a SHA-256. Expected 64 lowercase hex digits.`;
  if (typeof name !== 'string') return `Manifest ${fileId} has name ${String(name)}. Expected a string.`;
  if (!Number.isSafeInteger(size) || size! < 0)
    return `Manifest ${fileId} has size ${String(size)}. Expected a whole number of bytes, 0 or more.`;
  if (!Number.isSafeInteger(chunkSize) || chunkSize! < 1)
    return `Manifest ${fileId} has chunk size ${String(chunkSize)}. Expected a whole number of bytes, 1 or more.`;
  const count = chunkCount(size!, chunkSize!);
  if (!Array.isArray(chunkHashes) || chunkHashes.length !== count)
    return `Manifest ${fileId} has ${Array.isArray(chunkHashes) ? chunkHashes.length : 'no'} chunk hashes. Expected ${count} (${size} bytes in chunks of ${chunkSize}).`;
  const bad = chunkHashes.findIndex((hash) => typeof hash !== 'string' || !HEX_SHA256.test(hash));
  if (bad !== -1)
    return `Manifest ${fileId} has chunk hash ${String(chunkHashes[bad])} for chunk ${bad}. Expected 64 lowercase hex digits.`;
  return undefined;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;

// --- The store -----------------------------------------------------------------------------------------

/** A file this peer serves. */
export interface ShareRecord {
  manifest: Manifest;
  /** Absolute path of the local file. */
  path: string;
  /** The group it is shared with; null for everyone. */
  group: string | null;
  /** Epoch ms. */
  sharedAt: number;
}

export type DownloadState = 'active' | 'paused' | 'failed' | 'done';

export const DOWNLOAD_STATES: readonly DownloadState[] = ['active', 'paused', 'failed', 'done'];

/** Where a download goes: the final file is `dir`/`name`, written first as `tempPath` (partial-file.ts's partialPath). */
export interface DownloadDestination {
  /** Absolute directory. */
  dir: string;
  /** A single safe path component (names.ts's safeFileName). */
  name: string;
  /** Absolute path of the temporary file. */
  tempPath: string;
}

/** A download as the store holds it; its chunk hashes are in downloadManifest(id). Times are epoch ms. */
export interface DownloadRecord extends DownloadDestination {
  // fixed at the start: id, fileId, sizes, startedAt (a resume keeps them, unless the manifest changed)
  id: number;
  fileId: string;
  /** The name in the manifest (the sharer's), which `name` need not be. */
  manifestName: string;
  size: number;
  chunkSize: number;
  chunkCount: number;
  startedAt: number;
  // updated as chunks are verified, and when it stops
  state: DownloadState;
  chunksDone: number;
  bytesDone: number;
  /** Why it failed; null unless state is 'failed'. */
  error: string | null;
  updatedAt: number;
  /** When it finished or failed; null while active or paused. */
  finishedAt: number | null;
}

export interface StartedDownload {
  download: DownloadRecord;
  /** True when an unfinished download of the same file to the same place was there: go on from its chunks. */
  isResumed: boolean;
}

export interface TransferStore {
  /**
   * Share a file from `path` (absolute), written at once. A file id already shared is replaced (its path,
   * name, group and time). Returns the stored record. Throws EINVAL for a bad manifest or a relative path.
   */
  addShare(share: {manifest: Manifest; path: string; group?: string | null}): ShareRecord;
  /** Stop sharing; returns false when the file id was not shared. */
  removeShare(fileId: string): boolean;
  getShare(fileId: string): ShareRecord | undefined;
  /** Every share, oldest first. */
  listShares(): ShareRecord[];
  /**
   * Record a download of `manifest` to `destination`, state 'active'. When an unfinished one (active, paused
   * or failed) of the same file id to the same dir and name exists, it is made active again and returned
   * with its verified chunks (isResumed); if its manifest differs (another chunk size), the new one replaces
   * it and its verified chunks are cleared. Throws EINVAL for a bad manifest or a relative path.
   */
  startDownload(manifest: Manifest, destination: DownloadDestination): StartedDownload;
  /**
   * Note that chunk `index` of download `id` is verified and its bytes are written (call it only then).
   * Kept in memory and written within FLUSH_MARKS marks or FLUSH_MS. Marking a chunk twice, or a chunk of a
   * done download, does nothing. Throws ENOENT for an unknown id, EINVAL for an index out of range, and the
   * failure of a due write (the mark stays pending and the next flush tries again).
   */
  markVerified(id: number, index: number): void;
  /** The verified chunks of download `id` as a bitmap (hasChunk); a copy. Every chunk for a done download. */
  verifiedChunks(id: number): Uint8Array;
  /**
   * Replace the verified chunks of an unfinished download (after partial-file's rescan(), or a whole-file
   * mismatch that found bad chunks), written at once. Bits past the chunk count are ignored.
   */
  replaceVerified(id: number, bitmap: Uint8Array): DownloadRecord;
  /** The full manifest of download `id`, chunk hashes included. Throws ENOENT. */
  downloadManifest(id: number): Manifest;
  getDownload(id: number): DownloadRecord | undefined;
  /** Downloads, oldest first; only those in `state` when given. */
  listDownloads(filter?: {state?: DownloadState}): DownloadRecord[];
  /** Stop an unfinished download for now (state 'paused'); its chunks stay. Throws ENOENT, EINVAL when done. */
  pauseDownload(id: number): DownloadRecord;
  /** It stopped on an error (state 'failed', `reason` kept); its chunks stay, so starting it again resumes. */
  failDownload(id: number, reason: string): DownloadRecord;
  /** The file is complete and in place: state 'done', every chunk counted, the bitmap dropped. */
  finishDownload(id: number): DownloadRecord;
  /** Forget a download (any state). Returns false when there was none. The temporary file is the caller's. */
  removeDownload(id: number): boolean;
  /** Write pending marks now. Throws a TransferStoreError naming the file on failure (they stay pending). */
  flush(): void;
  /** Flush and close; later calls throw EBADF (a second close() does nothing). */
  close(): void;
}

export type TransferStoreErrorCode =
  | 'EINVAL' // a bad argument: a malformed manifest, a relative path, a chunk index out of range
  | 'ENOENT' // no such download
  | 'EBADF' // the store is closed
  | 'ENOTDB' // the file is not a SQLite database, or is corrupt
  | 'ENOTSUP' // the file was written by a newer p2pos
  | 'ENOSPC' // disk full
  | 'EROFS' // the file or its directory cannot be written
  | 'EBUSY' // another p2pos held the database longer than BUSY_TIMEOUT_MS
  | 'EIO'; // anything else SQLite or the file system reported

/** A transfer store failure; callers branch on `code`. The message is one line naming the file or the bad value. */
export class TransferStoreError extends StoreError<TransferStoreErrorCode> {
  override name = 'TransferStoreError';
}

export interface TransferStoreOptions {
  /** The clock for the stored times, epoch ms. @default Date.now */
  now?: () => number;
  /** Write pending marks after this many. @default FLUSH_MARKS */
  flushMarks?: number;
  /** Write pending marks at the latest this long after the first, ms (an unref'd timer). @default FLUSH_MS */
  flushMs?: number;
}

interface ShareRow {
  fileId: string;
  name: string;
  size: number;
  chunkSize: number;
  chunkHashes: Buffer;
  path: string;
  group: string | null;
  sharedAt: number;
}

type DownloadRow = Omit<DownloadRecord, 'chunkCount'>;

interface ManifestRow {
  name: string;
  size: number;
  chunkSize: number;
  chunkHashes: Buffer;
}

/** An unfinished download's verified chunks, in memory from its first mark until it stops. */
interface Progress {
  size: number;
  chunkSize: number;
  count: number;
  bitmap: Buffer;
  chunksDone: number;
  bytesDone: number;
  /** Pages changed since the last flush. */
  dirtyPages: Set<number>;
}

const SHARE_COLUMNS = `file_id AS fileId, name, size, chunk_size AS chunkSize, chunk_hashes AS chunkHashes,
  path, share_group AS "group", shared_at AS sharedAt`;
const DOWNLOAD_COLUMNS = `d.id, d.file_id AS fileId, d.dest_dir AS dir, d.name, d.temp_path AS tempPath,
  m.name AS manifestName, m.size, m.chunk_size AS chunkSize, d.started_at AS startedAt, d.state,
  d.chunks_done AS chunksDone, d.bytes_done AS bytesDone, d.error, d.updated_at AS updatedAt,
  d.finished_at AS finishedAt`;
const DOWNLOADS_FROM = 'downloads d JOIN download_manifests m ON m.download_id = d.id';

interface Connection {
  db: BetterSqlite3.Database;
  upsertShare: BetterSqlite3.Statement<
    [string, string, number, number, Buffer, string, string | null, number]
  >;
  deleteShare: BetterSqlite3.Statement<[fileId: string]>;
  selectShare: BetterSqlite3.Statement<[fileId: string], ShareRow>;
  selectShares: BetterSqlite3.Statement<[], ShareRow>;
  selectUnfinished: BetterSqlite3.Statement<[fileId: string, dir: string, name: string], {id: number}>;
  insertDownload: BetterSqlite3.Statement<
    [fileId: string, dir: string, name: string, tempPath: string, startedAt: number, updatedAt: number]
  >;
  insertManifest: BetterSqlite3.Statement<[id: number, string, number, number, Buffer]>;
  replaceManifest: BetterSqlite3.Statement<[string, number, number, Buffer, id: number]>;
  selectManifest: BetterSqlite3.Statement<[id: number], ManifestRow>;
  resumeDownload: BetterSqlite3.Statement<[tempPath: string, updatedAt: number, id: number]>;
  selectDownload: BetterSqlite3.Statement<[id: number], DownloadRow>;
  selectDownloads: BetterSqlite3.Statement<[], DownloadRow>;
  selectDownloadsIn: BetterSqlite3.Statement<[state: string], DownloadRow>;
  selectPages: BetterSqlite3.Statement<[id: number], {page: number; bits: Buffer}>;
  upsertPage: BetterSqlite3.Statement<[id: number, page: number, bits: Buffer]>;
  deletePages: BetterSqlite3.Statement<[id: number]>;
  updateProgress: BetterSqlite3.Statement<
    [chunksDone: number, bytesDone: number, updatedAt: number, id: number]
  >;
  updateState: BetterSqlite3.Statement<
    [state: DownloadState, error: string | null, updatedAt: number, finishedAt: number | null, id: number]
  >;
  finish: BetterSqlite3.Statement<
    [chunksDone: number, bytesDone: number, updatedAt: number, finishedAt: number, id: number]
  >;
  deleteDownload: BetterSqlite3.Statement<[id: number]>;
  deleteManifest: BetterSqlite3.Statement<[id: number]>;
}

/**
 * Open (creating if needed) the transfer database at `path` (a file path, or ':memory:'). Nothing is loaded,
 * read or written until the first call; errors from opening (a corrupt file, an unwritable directory)
 * surface there as a TransferStoreError. Throws EINVAL at once for an empty path or a bad option.
 */
export function openTransferStore(path: string, options: TransferStoreOptions = {}): TransferStore {
  if (typeof path !== 'string' || path === '')
    throw new TransferStoreError(
      'EINVAL',
      String(path),
      'Transfer database path is empty. Expected a file path or :memory:.',
    );
  const now = options.now ?? Date.now;
  const flushMarks = options.flushMarks ?? FLUSH_MARKS;
  const flushMs = options.flushMs ?? FLUSH_MS;
  if (!Number.isSafeInteger(flushMarks) || flushMarks < 1)
    throw new TransferStoreError(
      'EINVAL',
      path,
      `Option flushMarks ${flushMarks} is not allowed. Expected a whole number, 1 or more.`,
    );
  if (!Number.isFinite(flushMs) || flushMs < 0)
    throw new TransferStoreError(
      'EINVAL',
      path,
      `Option flushMs ${flushMs} is not allowed. Expected a number of ms, 0 or more.`,
    );

  let connection: Connection | undefined;
  let isClosed = false;
  const progress = new Map<number, Progress>(); // unfinished downloads touched since they started or resumed
  const dirty = new Set<number>(); // ids with marks not yet written
  let pendingMarks = 0;
  let flushTimer: NodeJS.Timeout | undefined;

  function connect(): Connection {
    if (isClosed) throw new TransferStoreError('EBADF', path, `Transfer store ${path} is closed.`);
    connection ??= openConnection(path);
    return connection;
  }

  /** Run a write or read; a SQLite failure becomes a one-line TransferStoreError naming the file. */
  function run<T>(what: string, body: (c: Connection) => T): T {
    const c = connect();
    try {
      return body(c);
    } catch (error) {
      if (error instanceof TransferStoreError) throw error;
      throw toStoreError(error, path, (reason) => `Cannot ${what} in transfer database ${path}: ${reason}.`);
    }
  }

  function flush(): void {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (dirty.size === 0) {
      connect(); // still throws EBADF when closed
      return;
    }
    const at = now();
    run('save verified chunks', ({db, upsertPage, updateProgress}) => {
      db.transaction(() => {
        for (const id of dirty) {
          const state = progress.get(id)!;
          for (const page of state.dirtyPages) upsertPage.run(id, page, pageBits(state.bitmap, page));
          updateProgress.run(state.chunksDone, state.bytesDone, at, id);
        }
      }).immediate();
    });
    // Only after the commit: a failed flush keeps everything pending for the next one.
    for (const id of dirty) progress.get(id)!.dirtyPages.clear();
    dirty.clear();
    pendingMarks = 0;
  }

  /** The in-memory progress of unfinished download `id`, loaded on first use; undefined when it is done. */
  function progressOf(id: number): Progress | undefined {
    const known = progress.get(id);
    if (known !== undefined) return known;
    return run('read download', ({selectDownload, selectPages}) => {
      const row = selectDownload.get(id);
      if (row === undefined) throw noDownload(id);
      if (row.state === 'done') return undefined;
      const count = chunkCount(row.size, row.chunkSize);
      const bitmap = Buffer.alloc(Math.ceil(count / 8));
      for (const {page, bits} of selectPages.all(id)) {
        const start = page * PAGE_BYTES;
        if (start < bitmap.length) bits.copy(bitmap, start, 0, Math.min(bits.length, bitmap.length - start));
      }
      const loaded: Progress = {
        size: row.size,
        chunkSize: row.chunkSize,
        count,
        bitmap,
        chunksDone: row.chunksDone,
        bytesDone: row.bytesDone,
        dirtyPages: new Set(),
      };
      progress.set(id, loaded);
      return loaded;
    });
  }

  function noDownload(id: number): TransferStoreError {
    return new TransferStoreError('ENOENT', path, `Download ${id} does not exist in ${path}.`);
  }

  function record(id: number): DownloadRecord {
    const row = run('read download', ({selectDownload}) => selectDownload.get(id));
    if (row === undefined) throw noDownload(id);
    return toRecord(row);
  }

  /** Write pending marks, then set download `id`'s state (not 'done'). */
  function setState(id: number, state: DownloadState, error: string | null): DownloadRecord {
    flush();
    const current = record(id);
    if (current.state === 'done')
      throw new TransferStoreError('EINVAL', path, `Download ${id} is done; it cannot be ${state} again.`);
    const at = now();
    run('update download', ({updateState}) =>
      updateState.run(state, error, at, state === 'failed' ? at : null, id),
    );
    return record(id);
  }

  return {
    addShare({manifest, path: filePath, group = null}) {
      checkManifest(manifest, path);
      checkAbsolute(filePath, 'Shared file path', path);
      if (group !== null && typeof group !== 'string')
        throw new TransferStoreError(
          'EINVAL',
          path,
          `Share group ${String(group)} is not allowed. Expected a string or null.`,
        );
      const sharedAt = now();
      run('save share', ({upsertShare}) =>
        upsertShare.run(
          manifest.fileId,
          manifest.name,
          manifest.size,
          manifest.chunkSize,
          packHashes(manifest.chunkHashes),
          filePath,
          group,
          sharedAt,
        ),
      );
      return {manifest: copyManifest(manifest), path: filePath, group, sharedAt};
    },

    removeShare(fileId) {
      return run('remove share', ({deleteShare}) => deleteShare.run(fileId).changes > 0);
    },

    getShare(fileId) {
      const row = run('read share', ({selectShare}) => selectShare.get(fileId));
      return row === undefined ? undefined : toShare(row);
    },

    listShares() {
      return run('read shares', ({selectShares}) => selectShares.all().map(toShare));
    },

    startDownload(manifest, destination) {
      checkManifest(manifest, path);
      checkAbsolute(destination.dir, 'Download directory', path);
      checkAbsolute(destination.tempPath, 'Temporary file path', path);
      const {name, tempPath} = destination;
      if (typeof name !== 'string' || name === '' || /[/\\\0]/.test(name) || name === '.' || name === '..')
        throw new TransferStoreError(
          'EINVAL',
          path,
          `Download name ${JSON.stringify(String(name))} is not a single file name.`,
        );
      const dir = nodePath.resolve(destination.dir);
      flush(); // pending marks of a download replaced below must not land after it
      const at = now();
      const hashes = packHashes(manifest.chunkHashes);
      const {id, isResumed} = run('start download', (c) =>
        c.db
          .transaction(() => {
            const existing = c.selectUnfinished.get(manifest.fileId, dir, name);
            if (existing === undefined) {
              const inserted = Number(
                c.insertDownload.run(manifest.fileId, dir, name, tempPath, at, at).lastInsertRowid,
              );
              c.insertManifest.run(inserted, manifest.name, manifest.size, manifest.chunkSize, hashes);
              return {id: inserted, isResumed: false};
            }
            const stored = c.selectManifest.get(existing.id)!;
            const isSameChunks =
              stored.size === manifest.size &&
              stored.chunkSize === manifest.chunkSize &&
              stored.chunkHashes.equals(hashes);
            if (!isSameChunks || stored.name !== manifest.name)
              c.replaceManifest.run(manifest.name, manifest.size, manifest.chunkSize, hashes, existing.id);
            if (!isSameChunks) {
              // Chunks cut another way: the old bitmap means nothing for the new ones (rescan() can find them).
              c.deletePages.run(existing.id);
              c.updateProgress.run(0, 0, at, existing.id);
            }
            c.resumeDownload.run(tempPath, at, existing.id);
            return {id: existing.id, isResumed: true};
          })
          .immediate(),
      );
      progress.delete(id); // reloaded from the file on the next mark
      return {download: record(id), isResumed};
    },

    markVerified(id, index) {
      const state = progressOf(id);
      if (state === undefined) return; // done: every chunk counts already
      if (!Number.isSafeInteger(index) || index < 0 || index >= state.count) {
        throw new TransferStoreError(
          'EINVAL',
          path,
          `Chunk ${index} is out of range for download ${id}. Expected 0 to ${state.count - 1}.`,
        );
      }
      if (hasChunk(state.bitmap, index)) return;
      setChunk(state.bitmap, index);
      const [start, end] = chunkRange(state, index);
      state.chunksDone += 1;
      state.bytesDone += end - start;
      state.dirtyPages.add(Math.floor(index / PAGE_CHUNKS));
      dirty.add(id);
      pendingMarks += 1;
      if (pendingMarks >= flushMarks) flush();
      else if (flushTimer === undefined) {
        // unref: the timer never keeps the process up. A failed write stays pending for the next flush.
        flushTimer = setTimeout(() => {
          flushTimer = undefined;
          try {
            flush();
          } catch {
            // The next markVerified or flush() writes them again and reports the failure.
          }
        }, flushMs).unref();
      }
    },

    verifiedChunks(id) {
      const state = progressOf(id);
      if (state !== undefined) return Uint8Array.from(state.bitmap);
      const {chunkCount: count} = record(id);
      const all = emptyChunkBitmap(count).fill(0xff);
      return fitChunkBitmap(all, count);
    },

    replaceVerified(id, bitmap) {
      const state = progressOf(id);
      if (state === undefined)
        throw new TransferStoreError('EINVAL', path, `Download ${id} is done; its chunks cannot change.`);
      const fitted = fitChunkBitmap(bitmap, state.count);
      state.bitmap = Buffer.from(fitted.buffer, fitted.byteOffset, fitted.byteLength);
      state.chunksDone = 0;
      state.bytesDone = 0;
      for (let index = 0; index < state.count; index += 1) {
        if (!hasChunk(fitted, index)) continue;
        const [start, end] = chunkRange(state, index);
        state.chunksDone += 1;
        state.bytesDone += end - start;
      }
      state.dirtyPages = new Set(
        Array.from({length: Math.ceil(state.count / PAGE_CHUNKS)}, (_, page) => page),
      );
      dirty.add(id);
      flush();
      return record(id);
    },

    downloadManifest(id) {
      const row = run('read download', ({selectManifest}) => selectManifest.get(id));
      if (row === undefined) throw noDownload(id);
      const {fileId} = record(id);
      return {
        fileId,
        name: row.name,
        size: row.size,
        chunkSize: row.chunkSize,
        chunkHashes: unpackHashes(row.chunkHashes),
      };
    },

    getDownload(id) {
      flush();
      const row = run('read download', ({selectDownload}) => selectDownload.get(id));
      return row === undefined ? undefined : toRecord(row);
    },

    listDownloads(filter = {}) {
      flush();
      const {state} = filter;
      if (state !== undefined && !DOWNLOAD_STATES.includes(state))
        throw new TransferStoreError(
          'EINVAL',
          path,
          `Download state ${String(state)} is not allowed. Expected one of: ${DOWNLOAD_STATES.join(', ')}.`,
        );
      return run('read downloads', ({selectDownloads, selectDownloadsIn}) =>
        (state === undefined ? selectDownloads.all() : selectDownloadsIn.all(state)).map(toRecord),
      );
    },

    pauseDownload(id) {
      return setState(id, 'paused', null);
    },

    failDownload(id, reason) {
      return setState(id, 'failed', cutText(String(reason), MAX_ERROR_CHARS));
    },

    finishDownload(id) {
      flush();
      const current = record(id);
      if (current.state === 'done') return current;
      const at = now();
      run('finish download', ({db, finish, deletePages}) =>
        db.transaction(() => {
          finish.run(current.chunkCount, current.size, at, at, id);
          deletePages.run(id); // done means every chunk: no bitmap to keep
        })(),
      );
      progress.delete(id);
      return record(id);
    },

    removeDownload(id) {
      flush();
      progress.delete(id);
      return run('remove download', ({db, deleteDownload, deleteManifest, deletePages}) =>
        db.transaction(() => {
          deletePages.run(id);
          deleteManifest.run(id);
          return deleteDownload.run(id).changes > 0;
        })(),
      );
    },

    flush,

    close() {
      // Idempotent, so an exit path and a signal handler can both call it.
      if (isClosed) return;
      try {
        if (dirty.size > 0) flush(); // a store that never opened stays off the disk
      } finally {
        // Close even when the last flush failed: the process is going away (those chunks are fetched again).
        clearTimeout(flushTimer);
        isClosed = true;
        progress.clear();
        dirty.clear();
        connection?.db.close();
        connection = undefined;
      }
    },
  };
}

/** Open `path` (creating it and its directory), switch it to WAL and bring its schema up to date. */
function openConnection(path: string): Connection {
  const isMemory = path === ':memory:';
  let db: BetterSqlite3.Database | undefined;
  try {
    if (!isMemory) fs.mkdirSync(nodePath.dirname(path), {recursive: true, mode: DATA_DIR_MODE});
    const Database = loadSqlite();
    db = new Database(path, {timeout: BUSY_TIMEOUT_MS});
    // The first statement reads the header, so a file that is not SQLite fails here.
    if (!isMemory) db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit survives the process being killed, not a power cut (see markVerified).
    db.pragma('synchronous = NORMAL');
    migrateSchema(
      db,
      MIGRATIONS,
      (version, known) =>
        new TransferStoreError(
          'ENOTSUP',
          path,
          newerSchemaMessage('Transfer database', path, version, known),
        ),
    );
    const selectDownloads = `SELECT ${DOWNLOAD_COLUMNS} FROM ${DOWNLOADS_FROM}`;
    return {
      db,
      upsertShare: db.prepare(
        `INSERT INTO shares (file_id, name, size, chunk_size, chunk_hashes, path, share_group, shared_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (file_id) DO UPDATE SET name = excluded.name, size = excluded.size,
           chunk_size = excluded.chunk_size, chunk_hashes = excluded.chunk_hashes, path = excluded.path,
           share_group = excluded.share_group, shared_at = excluded.shared_at`,
      ),
      deleteShare: db.prepare('DELETE FROM shares WHERE file_id = ?'),
      selectShare: db.prepare(`SELECT ${SHARE_COLUMNS} FROM shares WHERE file_id = ?`),
      selectShares: db.prepare(`SELECT ${SHARE_COLUMNS} FROM shares ORDER BY shared_at, id`),
      selectUnfinished: db.prepare(
        `SELECT id FROM downloads WHERE file_id = ? AND dest_dir = ? AND name = ? AND state <> 'done'`,
      ),
      insertDownload: db.prepare(
        `INSERT INTO downloads (file_id, dest_dir, name, temp_path, started_at, state, chunks_done, bytes_done, updated_at)
         VALUES (?, ?, ?, ?, ?, 'active', 0, 0, ?)`,
      ),
      insertManifest: db.prepare(
        'INSERT INTO download_manifests (download_id, name, size, chunk_size, chunk_hashes) VALUES (?, ?, ?, ?, ?)',
      ),
      replaceManifest: db.prepare(
        'UPDATE download_manifests SET name = ?, size = ?, chunk_size = ?, chunk_hashes = ? WHERE download_id = ?',
      ),
      selectManifest: db.prepare(
        'SELECT name, size, chunk_size AS chunkSize, chunk_hashes AS chunkHashes FROM download_manifests WHERE download_id = ?',
      ),
      resumeDownload: db.prepare(
        `UPDATE downloads SET state = 'active', error = NULL, finished_at = NULL, temp_path = ?, updated_at = ? WHERE id = ?`,
      ),
      selectDownload: db.prepare(`${selectDownloads} WHERE d.id = ?`),
      selectDownloads: db.prepare(`${selectDownloads} ORDER BY d.id`),
      selectDownloadsIn: db.prepare(`${selectDownloads} WHERE d.state = ? ORDER BY d.id`),
      selectPages: db.prepare('SELECT page, bits FROM download_chunks WHERE download_id = ?'),
      upsertPage: db.prepare(
        `INSERT INTO download_chunks (download_id, page, bits) VALUES (?, ?, ?)
         ON CONFLICT (download_id, page) DO UPDATE SET bits = excluded.bits`,
      ),
      deletePages: db.prepare('DELETE FROM download_chunks WHERE download_id = ?'),
      updateProgress: db.prepare(
        'UPDATE downloads SET chunks_done = ?, bytes_done = ?, updated_at = ? WHERE id = ?',
      ),
      updateState: db.prepare(
        'UPDATE downloads SET state = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ?',
      ),
      finish: db.prepare(
        `UPDATE downloads SET state = 'done', error = NULL, chunks_done = ?, bytes_done = ?, updated_at = ?, finished_at = ?
         WHERE id = ?`,
      ),
      deleteDownload: db.prepare('DELETE FROM downloads WHERE id = ?'),
      deleteManifest: db.prepare('DELETE FROM download_manifests WHERE download_id = ?'),
    };
  } catch (error) {
    db?.close();
    if (error instanceof TransferStoreError) throw error;
    throw toStoreError(error, path, (reason) => `Cannot open transfer database ${path}: ${reason}.`);
  }
}

function checkManifest(manifest: Manifest, path: string): void {
  const problem = manifestProblem(manifest);
  if (problem !== undefined) throw new TransferStoreError('EINVAL', path, problem);
}

function checkAbsolute(value: string, what: string, path: string): void {
  if (typeof value !== 'string' || !nodePath.isAbsolute(value)) {
    throw new TransferStoreError(
      'EINVAL',
      path,
      `${what} ${JSON.stringify(String(value))} is not absolute. Expected an absolute path (a restarted peer may run elsewhere).`,
    );
  }
}

/** Bytes of bitmap page `page` (a view, not a copy). */
function pageBits(bitmap: Buffer, page: number): Buffer {
  return bitmap.subarray(page * PAGE_BYTES, Math.min(bitmap.length, (page + 1) * PAGE_BYTES));
}

function packHashes(hashes: readonly string[]): Buffer {
  return Buffer.from(hashes.join(''), 'hex');
}

function unpackHashes(packed: Buffer): string[] {
  return Array.from({length: packed.length / HASH_BYTES}, (_, index) =>
    packed.toString('hex', index * HASH_BYTES, (index + 1) * HASH_BYTES),
  );
}

function copyManifest(manifest: Manifest): Manifest {
  const {fileId, name, size, chunkSize, chunkHashes} = manifest;
  return {fileId, name, size, chunkSize, chunkHashes: [...chunkHashes]};
}

function toShare(row: ShareRow): ShareRecord {
  return {
    manifest: {
      fileId: row.fileId,
      name: row.name,
      size: row.size,
      chunkSize: row.chunkSize,
      chunkHashes: unpackHashes(row.chunkHashes),
    },
    path: row.path,
    group: row.group,
    sharedAt: row.sharedAt,
  };
}

function toRecord(row: DownloadRow): DownloadRecord {
  return {...row, chunkCount: chunkCount(row.size, row.chunkSize)};
}

/** Wrap a SQLite or fs error as one line naming the file. */
function toStoreError(
  error: unknown,
  path: string,
  describe: (reason: string) => string,
): TransferStoreError {
  const {code, reason} = describeFailure(error);
  const storeError = new TransferStoreError(code, path, describe(reason));
  storeError.cause = error;
  return storeError;
}
