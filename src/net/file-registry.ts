// The tracker's registry of shared files and who holds them (disk sharing, issue 5), in a SQLite file of
// its own. The first manifest shared under a file id wins; peers then hold it whole (SHARE) or in part
// (HAVE). Lookups run on indexes in memory; every change is written through before it is applied.
// Interface:
//   - openFileRegistry(path, {now}) loads the file (or ':memory:'); close() closes it.
//   - share, unshare, have, dropPeer: who holds what, written at once.
//   - list() for FILES; resolve(ref) + holders(fileId) for FILE. Liveness is the caller's (isAlive).
// Chunk hashes stay in the file and are read by resolve(): the tracker's memory does not grow with chunks.

import {createHash} from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import {openSqliteFile} from '../sqlite.js';
import {chunkCount as countChunks, MAX_CHUNK_SIZE, MAX_CHUNKS, MIN_CHUNK_SIZE} from './files/manifest.js';
import type {FileSummary} from './messages.js';
import {NetError, newerSchema, storeFailure} from './net-error.js';

// Field limits, the same as the protocol's (messages.ts), so anything that arrived in a valid message fits.
const MAX_PEER_ID_LENGTH = 64;
const MAX_OWNER_LENGTH = 64; // a peer name
const MAX_FILE_NAME_LENGTH = 255;
const MAX_GROUP_LENGTH = 64;
const MAX_REF_LENGTH = 255;
/** An id prefix shorter than this is too likely to be a name, or to match half the files. */
export const MIN_PREFIX_LENGTH = 4;
/** Candidates an EAMBIG message lists; the rest are counted. */
export const MAX_LISTED_CANDIDATES = 5;
const SHOWN_ID_LENGTH = 12;
const HASH_BYTES = 32; // SHA-256
const FILE_ID = /^[0-9a-f]{64}$/;
const HEX_PREFIX = /^[0-9a-f]+$/;
/** Sorts after every hex digit: the ids starting with p are those from p up to (not including) p + 'g'. */
const AFTER_HEX = 'g';
const EMPTY_FILE_ID = createHash('sha256').digest('hex');

// MIGRATIONS[n] takes the schema from version n to n + 1; a file's PRAGMA user_version says how far it is.
// hashes is the last column of files, so loading the other columns never reads its overflow pages.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE files (
     file_id TEXT PRIMARY KEY, -- hex SHA-256 of the whole file
     name TEXT NOT NULL,
     size INTEGER NOT NULL,
     chunk_size INTEGER NOT NULL,
     owner TEXT NOT NULL, -- the name of the peer that shared it first
     share_group TEXT, -- null: shared with everyone
     shared_at REAL NOT NULL, -- ms on the tracker's clock
     hashes BLOB NOT NULL -- 32 bytes per chunk, in order
   );
   CREATE TABLE holders (
     file_id TEXT NOT NULL,
     peer_id TEXT NOT NULL,
     have INTEGER NOT NULL, -- verified chunks; the file's chunk count for a complete holder
     PRIMARY KEY (file_id, peer_id)
   ) WITHOUT ROWID;
   CREATE INDEX holders_by_peer ON holders (peer_id);`,
];

/** A shared file as the first SHARE registered it. */
export interface SharedFile {
  /** SHA-256 of the whole file, 64 lowercase hex digits. */
  fileId: string;
  name: string;
  /** Bytes. */
  size: number;
  /** Bytes per chunk; the last chunk holds the rest. */
  chunkSize: number;
  chunkCount: number;
  /** SHA-256 of each chunk, 32 raw bytes each, in order. */
  hashes: Buffer;
  /** The name of the peer that shared it first. */
  owner: string;
  /** The group it is shared with; null for everyone. */
  group: string | null;
  /** When it was first shared, ms on the tracker's clock. */
  sharedAt: number;
}

/** A shared file as FILES lists it: the protocol's own type. */
export type {FileSummary} from './messages.js';

/** A peer's holding of one file. */
export interface Holding {
  peerId: string;
  /** It has every chunk (have === chunkCount). */
  complete: boolean;
  /** Verified chunks it has. */
  have: number;
}

export interface FileRegistryOptions {
  /** The clock for sharedAt, ms. */
  now: () => number;
}

/**
 * A change to the file registry as it travels to the twin tracker (replication.ts), one record each:
 * the file (by id), or one peer's holding of it (by file and peer).
 */
export type FileChange =
  // file: {op, file} + the chunk hashes as the blob - a file registered (the first manifest wins)
  | {op: 'file'; file: Omit<SharedFile, 'hashes' | 'sharedAt'>}
  // holding: {op, fileId, peerId, have} - the verified chunks a peer holds; null: none (unshared, gone)
  | {op: 'holding'; fileId: string; peerId: string; have: number | null};

export interface FileRegistry {
  /**
   * Register the file if its id is new (the first manifest wins: a later SHARE keeps its name, group and
   * owner) and peerId as a complete holder of it. Returns whether the file record was created, and the
   * name and group the network knows it by (a known file's, not the ones this SHARE asked for). Throws
   * EINVAL for a bad field, EEXIST when the id is known with another size, chunk size or chunk hashes,
   * EIO when the write fails (nothing changes then).
   */
  share(
    peerId: string,
    file: Omit<SharedFile, 'sharedAt'>,
  ): {created: boolean; name: string; group: string | null};
  /** Drop peerId as a holder of fileId; false when it held nothing. The file stays (listed with `all`). Throws EIO. */
  unshare(peerId: string, fileId: string): boolean;
  /**
   * peerId holds `have` verified chunks of fileId, exactly as it says (have === chunkCount makes it a
   * seeder; a lower count makes a seeder partial again). Throws ENOENT for an unknown file, EINVAL for a
   * count that is not a whole number from 1 to chunkCount, EIO.
   */
  have(peerId: string, fileId: string, have: number): void;
  /** Forget every holding of a peer (it unregistered). Throws EIO. */
  dropPeer(peerId: string): void;
  /**
   * Summaries, newest first (sharedAt descending, then fileId ascending), counting only the holders for
   * which isAlive(peerId). Without `all`, only files with a live holder. `group` (when given, null too)
   * keeps only the files of exactly that group. `canSee` (when given) hides the files of groups for which it is
   * false (accounts: a group's files are its members').
   */
  list(options: {
    all?: boolean;
    group?: string | null;
    isAlive: (peerId: string) => boolean;
    canSee?: (group: string | null) => boolean;
  }): FileSummary[];
  /**
   * The file `ref` names, tried in this order: a full id (any case), a unique exact name, a unique id
   * prefix of MIN_PREFIX_LENGTH or more hex digits (any case). Throws ENOENT when nothing matches, EAMBIG
   * (listing up to MAX_LISTED_CANDIDATES as `id12 name`) when several files do (by name, by prefix, or
   * one by each),
   * EINVAL for a ref that is not a string of 1 to 255 characters, EIO when the hashes cannot be read.
   * The hashes Buffer is the caller's. Files for whose group `canSee` is false are not there: they neither
   * match nor make a ref ambiguous.
   */
  resolve(ref: string, canSee?: (group: string | null) => boolean): SharedFile;
  /**
   * The holders of fileId for which isAlive(peerId): complete first, then by more chunks, then by peer
   * id. Throws ENOENT for an unknown file.
   */
  holders(fileId: string, isAlive: (peerId: string) => boolean): Holding[];
  /** Whether a file of that id is registered (whatever its group or holders). */
  has(fileId: string): boolean;
  /** The verified chunks peerId holds of fileId; undefined when it holds none (or the file is unknown). */
  holding(fileId: string, peerId: string): number | undefined;
  /** The ids of the files peerId holds, in no order. */
  heldBy(peerId: string): string[];
  /**
   * Apply a change the twin tracker made `at` ms (its clock); a file change brings its chunk hashes.
   * A file already known is kept (the first manifest wins); its sharedAt is `at`. Returns whether
   * anything changed. Throws EINVAL for a change that is not well formed, ENOENT for a holding of an
   * unknown file, EIO when the write fails.
   */
  apply(change: FileChange, at: number, hashes?: Uint8Array): boolean;
  /** Close the file; later calls throw EBADF (a second close() does nothing). */
  close(): void;
}

/** A file as the registry holds it in memory: everything but its hashes, and who holds it. */
interface FileState {
  // fixed by the first SHARE
  fileId: string;
  name: string;
  size: number;
  chunkSize: number;
  chunkCount: number;
  owner: string;
  group: string | null;
  sharedAt: number;
  // changed by SHARE, UNSHARE, HAVE and dropPeer: peer id -> verified chunks (chunkCount = complete)
  holders: Map<string, number>;
}

/** A file as a SHARE or a replicated change brings it, before it has a time or holders. */
type NewFile = Omit<SharedFile, 'hashes' | 'sharedAt'>;

/** A file's record as it starts: its fields (no hashes: they stay in SQLite) and no holders. */
function newFileState(file: NewFile, sharedAt: number): FileState {
  const {fileId, name, size, chunkSize, chunkCount, owner, group} = file;
  return {fileId, name, size, chunkSize, chunkCount, owner, group, sharedAt, holders: new Map()};
}

interface FileRow {
  fileId: string;
  name: string;
  size: number;
  chunkSize: number;
  owner: string;
  group: string | null;
  sharedAt: number;
  hashBytes: number;
}

interface HolderRow {
  fileId: string;
  peerId: string;
  have: number;
}

type InsertFileParams = [
  fileId: string,
  name: string,
  size: number,
  chunkSize: number,
  owner: string,
  group: string | null,
  sharedAt: number,
  hashes: Buffer,
];

interface Statements {
  insertFile: BetterSqlite3.Statement<InsertFileParams>;
  selectHashes: BetterSqlite3.Statement<[fileId: string], {hashes: Buffer}>;
  upsertHolder: BetterSqlite3.Statement<[fileId: string, peerId: string, have: number]>;
  deleteHolder: BetterSqlite3.Statement<[fileId: string, peerId: string]>;
  deletePeer: BetterSqlite3.Statement<[peerId: string]>;
}

/**
 * Open (creating if needed) the file registry at `path` (a file path, or ':memory:') and load its files
 * and holders. Throws EINVAL for a bad option, ENOTSUP for a file from a newer p2pos, EIO naming the
 * file when it cannot be opened, is not a file registry, or holds a row that does not add up.
 */
export function openFileRegistry(path: string, options: FileRegistryOptions): FileRegistry {
  if (typeof path !== 'string' || path === '')
    throw new NetError('EINVAL', 'File registry path is empty. Expected a file path or :memory:.');
  if (typeof options?.now !== 'function')
    throw new NetError(
      'EINVAL',
      'File registry option now is missing. Expected a clock function returning ms.',
    );

  const {db, statements, fileRows, holderRows} = connect(path);
  const files = new Map<string, FileState>();
  /** name -> the id of the one file of that name, or the ids of several (a Set for a name shared often). */
  const idsByName = new Map<string, string | Set<string>>();
  /** Every file id, sorted: an id prefix is a range found by binary search. */
  const sortedIds: string[] = [];
  /** Every file, oldest first (sharedAt ascending, then fileId descending): list() reads it backwards. */
  const byAge: FileState[] = [];
  /** peer id -> the ids of the files it holds, so dropPeer does not scan every file. */
  const filesByPeer = new Map<string, Set<string>>();
  let isClosed = false;

  try {
    for (const row of fileRows) {
      const problem = fileProblem(row, row.hashBytes);
      if (problem !== undefined) throw new Error(problem);
      const file = newFileState({...row, chunkCount: countChunks(row.size, row.chunkSize)}, row.sharedAt);
      files.set(file.fileId, file);
      addName(file);
      sortedIds.push(file.fileId);
      byAge.push(file);
    }
    for (const {fileId, peerId, have} of holderRows) {
      const file = files.get(fileId);
      if (file === undefined) throw new Error(`peer ${peerId} holds file ${fileId}, which it does not list`);
      if (!isHaveCount(have, file.chunkCount, true))
        throw new Error(
          `peer ${peerId} holds ${String(have)} of the ${file.chunkCount} chunks of file ${fileId}`,
        );
      addHolding(file, peerId, have);
    }
  } catch (error) {
    db.close();
    throw new NetError('EIO', `File registry ${path} is broken: ${(error as Error).message}.`);
  }
  sortedIds.sort(compareStrings);
  byAge.sort(compareAge);

  function assertOpen(): void {
    if (isClosed) throw new NetError('EBADF', `File registry ${path} is closed.`);
  }

  function known(fileId: string): FileState {
    const file = typeof fileId === 'string' ? files.get(fileId) : undefined;
    if (file === undefined) throw new NetError('ENOENT', `No shared file has id ${quote(fileId)}.`);
    return file;
  }

  function addName(file: FileState): void {
    // Most names are unique: a plain string for those saves a Set per file.
    const ids = idsByName.get(file.name);
    if (ids === undefined) idsByName.set(file.name, file.fileId);
    else if (typeof ids === 'string') idsByName.set(file.name, new Set([ids, file.fileId]));
    else ids.add(file.fileId);
  }

  function addHolding(file: FileState, peerId: string, have: number): void {
    file.holders.set(peerId, have);
    let held = filesByPeer.get(peerId);
    if (held === undefined) filesByPeer.set(peerId, (held = new Set()));
    held.add(file.fileId);
  }

  function removeHolding(file: FileState, peerId: string): void {
    file.holders.delete(peerId);
    const held = filesByPeer.get(peerId);
    held?.delete(file.fileId);
    if (held?.size === 0) filesByPeer.delete(peerId);
  }

  function readHashes(fileId: string): Buffer {
    let row: {hashes: Buffer} | undefined;
    try {
      row = statements.selectHashes.get(fileId);
    } catch (error) {
      throw storeFailure(error, `Cannot read the chunk hashes of file ${fileId} in file registry ${path}`);
    }
    if (row === undefined)
      throw new NetError('EIO', `File registry ${path} lost the row of file ${fileId} while it was open.`);
    return row.hashes;
  }

  /** The index of the first id not below `id`. */
  function lowerBound(id: string): number {
    let low = 0;
    let high = sortedIds.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (sortedIds[middle]! < id) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Insert into byAge at its place: usually the end, since the clock mostly moves forward. */
  function insertByAge(file: FileState): void {
    let low = 0;
    let high = byAge.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareAge(byAge[middle]!, file) < 0) low = middle + 1;
      else high = middle;
    }
    byAge.splice(low, 0, file);
  }

  /** Run a write; a SQLite or fs failure becomes a one-line EIO naming the file. */
  function write(what: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      throw storeFailure(error, `Cannot ${what} in file registry ${path}`);
    }
  }

  /** A new file's row: its fields and the bytes of its chunk hashes (SQLite copies them). */
  function insertFileRow(file: NewFile, sharedAt: number, hashes: Uint8Array): void {
    statements.insertFile.run(
      file.fileId,
      file.name,
      file.size,
      file.chunkSize,
      file.owner,
      file.group,
      sharedAt,
      Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength),
    );
  }

  /** A new file's record, put in every index (by id, by name, in id order, by age); no holders yet. */
  function indexFile(file: NewFile, sharedAt: number): FileState {
    const created = newFileState(file, sharedAt);
    files.set(created.fileId, created);
    addName(created);
    sortedIds.splice(lowerBound(created.fileId), 0, created.fileId);
    insertByAge(created);
    return created;
  }

  function toSharedFile(file: FileState): SharedFile {
    const {fileId, name, size, chunkSize, chunkCount, owner, group, sharedAt} = file;
    return {fileId, name, size, chunkSize, chunkCount, hashes: readHashes(fileId), owner, group, sharedAt};
  }

  return {
    share(peerId, file) {
      assertOpen();
      checkPeerId(peerId);
      checkSharedFile(file);
      const {fileId, hashes} = file;
      const existing = files.get(fileId);
      if (existing !== undefined) {
        if (existing.size !== file.size || existing.chunkSize !== file.chunkSize)
          throw new NetError(
            'EEXIST',
            `File ${fileId} is already shared as ${existing.size} bytes in chunks of ${existing.chunkSize}, not ${file.size} in chunks of ${file.chunkSize}.`,
          );
        if (!readHashes(fileId).equals(hashes))
          throw new NetError(
            'EEXIST',
            `File ${fileId} is already shared with other chunk hashes; the first manifest shared wins.`,
          );
        const known = {created: false, name: existing.name, group: existing.group};
        if (existing.holders.get(peerId) === existing.chunkCount) return known;
        write(`save peer ${quote(peerId)} as a holder of file ${fileId}`, () =>
          statements.upsertHolder.run(fileId, peerId, existing.chunkCount),
        );
        addHolding(existing, peerId, existing.chunkCount);
        return known;
      }
      const sharedAt = options.now();
      write(`save file ${fileId}`, () =>
        db.transaction(() => {
          insertFileRow(file, sharedAt, hashes);
          statements.upsertHolder.run(fileId, peerId, file.chunkCount);
        })(),
      );
      const created = indexFile(file, sharedAt);
      addHolding(created, peerId, created.chunkCount);
      return {created: true, name: file.name, group: file.group};
    },

    unshare(peerId, fileId) {
      assertOpen();
      const file = typeof fileId === 'string' ? files.get(fileId) : undefined;
      if (file === undefined || !file.holders.has(peerId)) return false;
      write(`remove peer ${quote(peerId)} as a holder of file ${fileId}`, () =>
        statements.deleteHolder.run(fileId, peerId),
      );
      removeHolding(file, peerId);
      return true;
    },

    have(peerId, fileId, have) {
      assertOpen();
      checkPeerId(peerId);
      const file = known(fileId);
      if (!isHaveCount(have, file.chunkCount, false))
        throw new NetError(
          'EINVAL',
          `Peer ${quote(peerId)} has ${quote(have)} chunks of file ${fileId}. Expected a whole number from 1 to ${file.chunkCount}.`,
        );
      if (file.holders.get(peerId) === have) return;
      write(`save peer ${quote(peerId)} as a holder of file ${fileId}`, () =>
        statements.upsertHolder.run(fileId, peerId, have),
      );
      addHolding(file, peerId, have);
    },

    dropPeer(peerId) {
      assertOpen();
      const held = filesByPeer.get(peerId);
      if (held === undefined) return;
      write(`remove the holdings of peer ${quote(peerId)}`, () => statements.deletePeer.run(peerId));
      for (const fileId of held) files.get(fileId)?.holders.delete(peerId);
      filesByPeer.delete(peerId);
    },

    list({all = false, group, isAlive, canSee}) {
      assertOpen();
      if (typeof isAlive !== 'function')
        throw new NetError(
          'EINVAL',
          'File list option isAlive is missing. Expected a function of a peer id.',
        );
      const summaries: FileSummary[] = [];
      for (let index = byAge.length - 1; index >= 0; index -= 1) {
        const file = byAge[index]!;
        if (group !== undefined && file.group !== group) continue;
        if (canSee !== undefined && !canSee(file.group)) continue;
        let seeders = 0;
        let partial = 0;
        for (const [peerId, have] of file.holders) {
          if (!isAlive(peerId)) continue;
          if (have === file.chunkCount) seeders += 1;
          else partial += 1;
        }
        if (!all && seeders + partial === 0) continue;
        const {fileId, name, size, chunkSize, chunkCount, owner, sharedAt} = file;
        summaries.push({
          fileId,
          name,
          size,
          chunkSize,
          chunkCount,
          owner,
          group: file.group,
          sharedAt,
          seeders,
          partial,
        });
      }
      return summaries;
    },

    resolve(ref, canSee = () => true) {
      assertOpen();
      if (typeof ref !== 'string' || ref.length < 1 || ref.length > MAX_REF_LENGTH)
        throw new NetError(
          'EINVAL',
          `File reference ${quote(ref)} is not allowed. Expected a file id, an id prefix or a name of 1 to ${MAX_REF_LENGTH} characters.`,
        );
      const lower = ref.toLowerCase();
      const isVisible = (id: string) => canSee(files.get(id)!.group);
      const byId = files.get(lower);
      if (byId !== undefined && canSee(byId.group)) return toSharedFile(byId);
      const ids = idsByName.get(ref);
      if (typeof ids === 'string' && isVisible(ids)) return toSharedFile(files.get(ids)!);
      const named = new Set<string>();
      for (const id of typeof ids === 'string' ? [ids] : (ids ?? [])) if (isVisible(id)) named.add(id);
      let start = 0;
      let end = 0;
      if (lower.length >= MIN_PREFIX_LENGTH && HEX_PREFIX.test(lower)) {
        start = lowerBound(lower);
        end = lowerBound(lower + AFTER_HEX);
      }
      // A prefix's hidden files are skipped; the range is a prefix's few ids, not the registry.
      const visible: string[] = [];
      for (let index = start; index < end; index += 1)
        if (isVisible(sortedIds[index]!)) visible.push(sortedIds[index]!);
      const nameCount = named.size;
      if (nameCount === 0 && visible.length === 1) return toSharedFile(files.get(visible[0]!)!);
      if (nameCount === 0 && visible.length === 0)
        throw new NetError(
          'ENOENT',
          `No shared file matches ${quote(ref)}. Expected a file id, a unique id prefix of ${MIN_PREFIX_LENGTH} or more hex digits, or an exact name.`,
        );
      // Several match: the name's files, then the prefix's, each in id order.
      const candidates = [...named].sort(compareStrings);
      for (const id of visible)
        if (candidates.length < MAX_LISTED_CANDIDATES && !named.has(id)) candidates.push(id);
      let total = nameCount + visible.length;
      // A file matching both ways counts once.
      if (visible.length > 0) for (const id of named) if (id.startsWith(lower)) total -= 1;
      const shown = candidates
        .slice(0, MAX_LISTED_CANDIDATES)
        .map((id) => `${id.slice(0, SHOWN_ID_LENGTH)} ${showName(files.get(id)!.name)}`);
      const more = total > shown.length ? `, and ${total - shown.length} more` : '';
      throw new NetError(
        'EAMBIG',
        `${quote(ref)} matches ${total} shared files: ${shown.join(', ')}${more}; give more of the id.`,
      );
    },

    holders(fileId, isAlive) {
      assertOpen();
      const file = known(fileId);
      if (typeof isAlive !== 'function')
        throw new NetError('EINVAL', 'Holders option isAlive is missing. Expected a function of a peer id.');
      const holdings: Holding[] = [];
      for (const [peerId, have] of file.holders) {
        if (isAlive(peerId)) holdings.push({peerId, complete: have === file.chunkCount, have});
      }
      return holdings.sort((a, b) => b.have - a.have || compareStrings(a.peerId, b.peerId));
    },

    has(fileId) {
      assertOpen();
      return files.has(fileId);
    },

    holding(fileId, peerId) {
      assertOpen();
      return files.get(fileId)?.holders.get(peerId);
    },

    heldBy(peerId) {
      assertOpen();
      return [...(filesByPeer.get(peerId) ?? [])];
    },

    apply(change, at, hashes) {
      assertOpen();
      if (change?.op === 'file') {
        const {file} = change;
        if (typeof file !== 'object' || file === null)
          throw new NetError('EINVAL', 'File change has no file. Expected {fileId, name, size, ...}.');
        if (files.has(file.fileId)) return false;
        if (!Number.isFinite(at))
          throw new NetError('EINVAL', `File change time ${quote(at)} is not a number of ms.`);
        const withHashes = {...file, hashes: hashes ?? Buffer.alloc(0)} as Omit<SharedFile, 'sharedAt'>;
        checkSharedFile(withHashes);
        write(`save file ${file.fileId}`, () => insertFileRow(file, at, withHashes.hashes));
        indexFile(file, at);
        return true;
      }
      if (change?.op !== 'holding')
        throw new NetError(
          'EINVAL',
          `File change ${quote((change as {op?: unknown})?.op)} is not known. Expected file or holding.`,
        );
      const {fileId, peerId, have} = change;
      checkPeerId(peerId);
      const file = known(fileId);
      if (have === null) {
        if (!file.holders.has(peerId)) return false;
        write(`remove peer ${quote(peerId)} as a holder of file ${fileId}`, () =>
          statements.deleteHolder.run(fileId, peerId),
        );
        removeHolding(file, peerId);
        return true;
      }
      if (!isHaveCount(have, file.chunkCount, true))
        throw new NetError(
          'EINVAL',
          `Peer ${quote(peerId)} has ${quote(have)} chunks of file ${fileId}. Expected a whole number from 1 to ${file.chunkCount}.`,
        );
      if (file.holders.get(peerId) === have) return false;
      write(`save peer ${quote(peerId)} as a holder of file ${fileId}`, () =>
        statements.upsertHolder.run(fileId, peerId, have),
      );
      addHolding(file, peerId, have);
      return true;
    },

    close() {
      if (isClosed) return; // idempotent, so an exit path and a signal handler can both call it
      isClosed = true;
      db.close();
    },
  };
}

/** Open the file, bring its schema up to date, and read everything it holds but the hashes. */
function connect(path: string): {
  db: BetterSqlite3.Database;
  statements: Statements;
  fileRows: FileRow[];
  holderRows: HolderRow[];
} {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = openSqliteFile(path, MIGRATIONS, newerSchema('File registry', path));
    const statements: Statements = {
      insertFile: db.prepare<InsertFileParams>(
        `INSERT INTO files (file_id, name, size, chunk_size, owner, share_group, shared_at, hashes)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      selectHashes: db.prepare<[string], {hashes: Buffer}>('SELECT hashes FROM files WHERE file_id = ?'),
      upsertHolder: db.prepare<[string, string, number]>(
        `INSERT INTO holders (file_id, peer_id, have) VALUES (?, ?, ?)
         ON CONFLICT (file_id, peer_id) DO UPDATE SET have = excluded.have`,
      ),
      deleteHolder: db.prepare<[string, string]>('DELETE FROM holders WHERE file_id = ? AND peer_id = ?'),
      deletePeer: db.prepare<[string]>('DELETE FROM holders WHERE peer_id = ?'),
    };
    const fileRows = db
      .prepare<[], FileRow>(
        `SELECT file_id AS fileId, name, size, chunk_size AS chunkSize, owner, share_group AS "group",
           shared_at AS sharedAt, length(hashes) AS hashBytes FROM files`,
      )
      .all();
    const holderRows = db
      .prepare<[], HolderRow>('SELECT file_id AS fileId, peer_id AS peerId, have FROM holders')
      .all();
    return {db, statements, fileRows, holderRows};
  } catch (error) {
    db?.close();
    if (error instanceof NetError) throw error;
    throw storeFailure(error, `Cannot open file registry ${path}`);
  }
}

/** A SHARE's file, checked field by field; throws EINVAL naming the first bad one. */
function checkSharedFile(file: Omit<SharedFile, 'sharedAt'>): void {
  if (typeof file !== 'object' || file === null)
    throw new NetError(
      'EINVAL',
      'Shared file is missing. Expected {fileId, name, size, chunkSize, chunkCount, hashes, owner, group}.',
    );
  const {hashes} = file;
  if (!(hashes instanceof Uint8Array))
    throw new NetError(
      'EINVAL',
      `File ${quote(file.fileId)} has hashes ${quote(hashes)}. Expected a Buffer of 32 bytes per chunk.`,
    );
  const problem = fileProblem(file, hashes.byteLength);
  if (problem !== undefined) throw new NetError('EINVAL', `${problem}.`);
  if (file.chunkCount !== countChunks(file.size, file.chunkSize))
    throw new NetError(
      'EINVAL',
      `File ${file.fileId} has chunk count ${quote(file.chunkCount)}. Expected ${countChunks(file.size, file.chunkSize)} (${file.size} bytes in chunks of ${file.chunkSize}).`,
    );
  // As checkManifest (manifest.ts) insists, so no downloader is handed a manifest it would refuse.
  if (
    file.chunkCount === 1 &&
    Buffer.from(hashes.buffer, hashes.byteOffset, HASH_BYTES).toString('hex') !== file.fileId
  )
    throw new NetError(
      'EINVAL',
      `File ${file.fileId} is one chunk, but its chunk hash differs from its id. Expected them equal.`,
    );
}

/**
 * What is wrong with a file's fields (hashes counted in bytes), as a sentence without its period, or
 * undefined when they add up. Shared by SHARE and by loading, so the file holds only what SHARE accepts.
 */
function fileProblem(
  file: Pick<SharedFile, 'fileId' | 'name' | 'size' | 'chunkSize' | 'owner' | 'group'>,
  hashBytes: number,
): string | undefined {
  const {fileId, name, size, chunkSize, owner, group} = file;
  if (typeof fileId !== 'string' || !FILE_ID.test(fileId))
    return `File id ${quote(fileId)} is not allowed. Expected 64 lowercase hex digits (a SHA-256)`;
  if (
    typeof name !== 'string' ||
    name.length < 1 ||
    name.length > MAX_FILE_NAME_LENGTH ||
    name.includes('\0')
  )
    return `File ${fileId} has name ${quote(name)}. Expected 1 to ${MAX_FILE_NAME_LENGTH} characters without NUL`;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    return `File ${fileId} has size ${quote(size)}. Expected a whole number of bytes, 0 or more`;
  if (size === 0 && fileId !== EMPTY_FILE_ID)
    return `File ${fileId} is empty, but an empty file's id is ${EMPTY_FILE_ID}`;
  if (
    typeof chunkSize !== 'number' ||
    !Number.isSafeInteger(chunkSize) ||
    chunkSize < MIN_CHUNK_SIZE ||
    chunkSize > MAX_CHUNK_SIZE
  )
    return `File ${fileId} has chunk size ${quote(chunkSize)}. Expected a whole number of bytes from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}`;
  const count = countChunks(size, chunkSize);
  if (count > MAX_CHUNKS)
    return `File ${fileId} of ${size} bytes in chunks of ${chunkSize} has ${count} chunks. Expected at most ${MAX_CHUNKS}`;
  if (hashBytes !== count * HASH_BYTES)
    return `File ${fileId} has ${hashBytes} bytes of chunk hashes. Expected ${count * HASH_BYTES} (${HASH_BYTES} for each of its ${count} chunks)`;
  if (typeof owner !== 'string' || owner.length < 1 || owner.length > MAX_OWNER_LENGTH)
    return `File ${fileId} has owner ${quote(owner)}. Expected a peer name of 1 to ${MAX_OWNER_LENGTH} characters`;
  if (group !== null && (typeof group !== 'string' || group.length < 1 || group.length > MAX_GROUP_LENGTH))
    return `File ${fileId} has group ${quote(group)}. Expected null or 1 to ${MAX_GROUP_LENGTH} characters`;
  return undefined;
}

function checkPeerId(peerId: string): void {
  if (typeof peerId !== 'string' || peerId.length < 1 || peerId.length > MAX_PEER_ID_LENGTH)
    throw new NetError(
      'EINVAL',
      `Peer id ${quote(peerId)} is not allowed. Expected a string of 1 to ${MAX_PEER_ID_LENGTH} characters.`,
    );
}

/** A count of verified chunks: 1 to chunkCount, or (as stored for a complete holder of an empty file) 0 of 0. */
function isHaveCount(have: unknown, chunkCount: number, allowEmpty: boolean): have is number {
  if (typeof have !== 'number' || !Number.isSafeInteger(have) || have > chunkCount) return false;
  return have >= 1 || (allowEmpty && have === 0 && chunkCount === 0);
}

/** Newest last: sharedAt ascending, then fileId descending (list() reads backwards, so ids come out ascending). */
function compareAge(a: FileState, b: FileState): number {
  if (a.sharedAt !== b.sharedAt) return a.sharedAt - b.sharedAt;
  return compareStrings(b.fileId, a.fileId);
}

/** UTF-16 code unit order, not the locale's: the same choice on every machine. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A file name in an EAMBIG message: as is, or JSON-quoted when it has control characters (one line). */
function showName(name: string): string {
  return /[\u0000-\u001f\u007f\u2028\u2029]/.test(name) ? JSON.stringify(name) : name;
}

/** A bad value as the message shows it: strings quoted and cut at 70 characters, objects by kind. */
function quote(value: unknown): string {
  if (typeof value === 'string') {
    const text = JSON.stringify(value);
    return text.length > 70 ? `${text.slice(0, 67)}…` : text;
  }
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? `an array of ${value.length}` : `a ${value.constructor?.name ?? 'object'}`;
}
