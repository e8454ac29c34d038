// The tracker's change log (issue 6, replication.ts uses it): every state change this tracker made or
// applied from its twin, numbered per origin (the tracker that made it: 1, 2, 3, ...), in a SQLite file
// of its own. It also holds this tracker's id, its twin's address (so a restart keeps the pair) and,
// per replicated record, the version (at, origin) of the change that last set it, for last-writer-wins.
// Interface:
//   - openChangeLog(path) loads the file (or ':memory:'); close() closes it.
//   - id: this tracker's id, made once and kept in the file (so cursors held by the twin stay valid).
//   - append(change, version?) stores a change (and the record's new version) in one transaction.
//   - cursor(origin): the highest seq stored of that origin; since(origin, seq, limits): what follows.
//   - version(kind, key): the (at, origin) that last set a record.
//   - setting(name) / keep(name, value): small facts kept with the log (the twin's address).
// The id lives here, not in the registry, on purpose: seqs and id go together. A tracker that lost its
// log starts a new origin rather than number its changes from 1 again under an id the twin has seen.

import {randomBytes} from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import {openSqliteFile} from '../sqlite.js';
import type {JsonValue} from './json.js';
import {NetError, newerSchema, storeFailure} from './net-error.js';

// MIGRATIONS[n] takes the schema from version n to n + 1; a file's PRAGMA user_version says how far it is.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE changes (
     origin TEXT NOT NULL, -- the id of the tracker that made it
     seq INTEGER NOT NULL, -- 1, 2, 3, ... per origin, in the order it made them
     kind TEXT NOT NULL, -- the store: peers, files, accounts
     key TEXT NOT NULL, -- the record it sets; '' when the store settles conflicts itself
     at REAL NOT NULL, -- ms on the origin's clock
     data TEXT NOT NULL, -- the store's change, JSON
     blob BLOB, -- bytes that go with it (a file's chunk hashes), or null
     PRIMARY KEY (origin, seq)
   ) WITHOUT ROWID;
   CREATE TABLE versions (
     kind TEXT NOT NULL,
     key TEXT NOT NULL,
     at REAL NOT NULL, -- the change that last set the record
     origin TEXT NOT NULL,
     PRIMARY KEY (kind, key)
   ) WITHOUT ROWID;`,
];

/** One state change as it is logged and travels between trackers. */
export interface Change {
  // who made it and where it stands in that tracker's sequence
  origin: string;
  seq: number;
  // what it sets: the store, the record (for last-writer-wins; '' when the store orders its own)
  kind: string;
  key: string;
  /** When it was made, ms on the origin's clock. */
  at: number;
  /** The store's own change record. */
  data: JsonValue;
  /** Bytes that go with it (a file's chunk hashes); they travel in the frame body. */
  blob?: Buffer;
}

/** Facts kept in the log's meta table beside the id. */
export type LogSetting = 'twin';

/** Which of two changes to one record wins: the later `at`, then the greater origin id. */
export interface Version {
  at: number;
  origin: string;
}

export interface ChangeLog {
  /** This tracker's id: `tracker-` and 8 hex digits, made when the file was created. */
  readonly id: string;
  /**
   * Store `change` (and, when given, its record's new version), in one transaction. Throws EEXIST when
   * (origin, seq) is already there, EIO when the write fails.
   */
  append(change: Change, version?: boolean): void;
  /** The highest seq stored of `origin`; 0 for none. */
  cursor(origin: string): number;
  /** Every origin with its cursor. */
  cursors(): Record<string, number>;
  /**
   * The changes of `origin` after `seq`, in order: at most `maxChanges`, and past the first, no more
   * than `maxBlobBytes` of blobs in all.
   */
  since(origin: string, seq: number, limits: {maxChanges: number; maxBlobBytes: number}): Change[];
  /** The version of the change that last set (kind, key), or undefined. */
  version(kind: string, key: string): Version | undefined;
  /** A fact kept with the log (`twin`: the twin tracker's HOST:PORT), or undefined. */
  setting(name: LogSetting): string | undefined;
  /** Keep `value` as setting `name` (undefined forgets it). Throws EIO when the write fails. */
  keep(name: LogSetting, value: string | undefined): void;
  close(): void;
}

interface ChangeRow {
  origin: string;
  seq: number;
  kind: string;
  key: string;
  at: number;
  data: string;
  blob: Buffer | null;
}

/** Whether version `a` beats `b`: a later time, or the same time and a greater origin id. */
export function isNewer(a: Version, b: Version | undefined): boolean {
  if (b === undefined) return true;
  return a.at > b.at || (a.at === b.at && a.origin > b.origin);
}

/**
 * Open (creating if needed) the change log at `path` (a file path, or ':memory:'). Throws ENOTSUP for a
 * file from a newer p2pos, EIO naming the file when it cannot be opened.
 */
export function openChangeLog(path: string): ChangeLog {
  let db: BetterSqlite3.Database;
  try {
    db = openSqliteFile(path, MIGRATIONS, newerSchema('Change log', path));
  } catch (error) {
    if (error instanceof NetError) throw error;
    throw storeFailure(error, `Cannot open change log ${path}`);
  }
  const sql = {
    selectMeta: db.prepare<[string], {value: string}>('SELECT value FROM meta WHERE key = ?'),
    insertMeta: db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?)'),
    upsertMeta: db.prepare<[string, string]>(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
    deleteMeta: db.prepare<[string]>('DELETE FROM meta WHERE key = ?'),
    insertChange: db.prepare<[string, number, string, string, number, string, Buffer | null]>(
      'INSERT INTO changes (origin, seq, kind, key, at, data, blob) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    selectCursors: db.prepare<[], {origin: string; seq: number}>(
      'SELECT origin, max(seq) AS seq FROM changes GROUP BY origin',
    ),
    selectSince: db.prepare<[string, number, number], ChangeRow>(
      'SELECT origin, seq, kind, key, at, data, blob FROM changes WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
    selectVersion: db.prepare<[string, string], Version>(
      'SELECT at, origin FROM versions WHERE kind = ? AND key = ?',
    ),
    upsertVersion: db.prepare<[string, string, number, string]>(
      `INSERT INTO versions (kind, key, at, origin) VALUES (?, ?, ?, ?)
       ON CONFLICT (kind, key) DO UPDATE SET at = excluded.at, origin = excluded.origin`,
    ),
  };
  let id: string;
  const cursors = new Map<string, number>();
  try {
    id = db
      .transaction(() => {
        const stored = sql.selectMeta.get('id')?.value;
        if (stored !== undefined) return stored;
        const made = `tracker-${randomBytes(4).toString('hex')}`;
        sql.insertMeta.run('id', made);
        return made;
      })
      .immediate();
    for (const row of sql.selectCursors.all()) cursors.set(row.origin, row.seq);
  } catch (error) {
    db.close();
    throw storeFailure(error, `Cannot read change log ${path}`);
  }
  let isClosed = false;

  const checkOpen = () => {
    if (isClosed) throw new NetError('EBADF', `Change log ${path} is closed.`);
  };

  return {
    id,

    append(change, version = false) {
      checkOpen();
      const {origin, seq, kind, key, at} = change;
      if (seq <= (cursors.get(origin) ?? 0))
        throw new NetError('EEXIST', `Change ${seq} of ${origin} is already in change log ${path}.`);
      const data = JSON.stringify(change.data);
      try {
        db.transaction(() => {
          sql.insertChange.run(origin, seq, kind, key, at, data, change.blob ?? null);
          if (version) sql.upsertVersion.run(kind, key, at, origin);
        }).immediate();
      } catch (error) {
        throw storeFailure(error, `Cannot save change ${seq} of ${origin} in change log ${path}`);
      }
      cursors.set(origin, seq);
    },

    cursor(origin) {
      return cursors.get(origin) ?? 0;
    },

    cursors() {
      return Object.fromEntries(cursors);
    },

    since(origin, seq, {maxChanges, maxBlobBytes}) {
      checkOpen();
      const rows = sql.selectSince.all(origin, seq, maxChanges);
      const changes: Change[] = [];
      let blobBytes = 0;
      for (const row of rows) {
        blobBytes += row.blob?.length ?? 0;
        if (changes.length > 0 && blobBytes > maxBlobBytes) break;
        changes.push({
          origin: row.origin,
          seq: row.seq,
          kind: row.kind,
          key: row.key,
          at: row.at,
          data: JSON.parse(row.data) as JsonValue,
          ...(row.blob === null ? {} : {blob: row.blob}),
        });
      }
      return changes;
    },

    version(kind, key) {
      checkOpen();
      return sql.selectVersion.get(kind, key);
    },

    setting(name) {
      checkOpen();
      return sql.selectMeta.get(name)?.value;
    },

    keep(name, value) {
      checkOpen();
      try {
        if (value === undefined) sql.deleteMeta.run(name);
        else sql.upsertMeta.run(name, value);
      } catch (error) {
        throw storeFailure(error, `Cannot keep the ${name} in change log ${path}`);
      }
    },

    close() {
      if (isClosed) return;
      isClosed = true;
      db.close();
    },
  };
}
