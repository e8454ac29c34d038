// better-sqlite3 for the stores that persist (process history, the tracker's registry, transfers):
// loaded on first use, not at import, so a run that stores nothing never loads the native module;
// and the one way a store brings its file's schema up to date.

import fs from 'node:fs';
import {createRequire} from 'node:module';
import nodePath from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';

const requireCommonJs = createRequire(import.meta.url);
let sqlite: typeof BetterSqlite3 | undefined;

export function loadSqlite(): typeof BetterSqlite3 {
  sqlite ??= requireCommonJs('better-sqlite3') as typeof BetterSqlite3;
  return sqlite;
}

/**
 * Bring the schema to version `migrations.length` (PRAGMA user_version), where `migrations[n]` takes
 * it from version n to n + 1, all in one IMMEDIATE transaction. The version is read inside the write
 * lock, so two processes opening a new file together do not both create its tables. A file written
 * by a newer p2pos throws what `newer(version, known)` returns.
 */
export function migrateSchema(
  db: BetterSqlite3.Database,
  migrations: readonly string[],
  newer: (version: number, known: number) => Error,
): void {
  const known = migrations.length;
  db.transaction(() => {
    const version = db.pragma('user_version', {simple: true}) as number;
    if (version > known) throw newer(version, known);
    for (let step = version; step < known; step += 1) db.exec(migrations[step]!);
    if (version !== known) db.pragma(`user_version = ${known}`);
  }).immediate();
}

/** A second process on the same file waits this long for the write lock. */
const BUSY_TIMEOUT_MS = 2_000;
const DATA_DIR_MODE = 0o700;

/**
 * Open a store's file (creating its directory, owner-only) or ':memory:', in WAL mode with
 * synchronous = NORMAL (every committed transaction survives a crash of the process; a power cut can
 * lose the last few), and bring its schema up to date (migrateSchema). The caller closes it on a
 * later failure; on one here it is closed and the error thrown.
 */
export function openSqliteFile(
  path: string,
  migrations: readonly string[],
  newer: (version: number, known: number) => Error,
): BetterSqlite3.Database {
  if (path !== ':memory:') fs.mkdirSync(nodePath.dirname(path), {recursive: true, mode: DATA_DIR_MODE});
  const Database = loadSqlite();
  const db = new Database(path, {timeout: BUSY_TIMEOUT_MS});
  try {
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrateSchema(db, migrations, newer);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** What a SQLite or file-system failure means to a store: the codes its errors carry. */
export type SqliteFailureCode = 'ENOTDB' | 'ENOSPC' | 'EROFS' | 'EBUSY' | 'EIO';

// SQLite primary result codes (better-sqlite3 puts the extended code, e.g. SQLITE_READONLY_DBMOVED, in
// `code`) and fs errno codes, mapped to ours.
const FAILURE_CODES: Readonly<Record<string, SqliteFailureCode>> = {
  SQLITE_NOTADB: 'ENOTDB',
  SQLITE_CORRUPT: 'ENOTDB',
  SQLITE_FULL: 'ENOSPC',
  SQLITE_READONLY: 'EROFS',
  SQLITE_CANTOPEN: 'EROFS',
  SQLITE_PERM: 'EROFS',
  SQLITE_BUSY: 'EBUSY',
  SQLITE_LOCKED: 'EBUSY',
  ENOSPC: 'ENOSPC',
  EACCES: 'EROFS',
  EPERM: 'EROFS',
  EROFS: 'EROFS',
  ENOTDIR: 'EROFS',
  EEXIST: 'EROFS',
};

/** Why a store file written by a newer p2pos is refused: `what` names the store ("Registry"). */
export function newerSchemaMessage(what: string, path: string, version: number, known: number): string {
  return `${what} ${path} has schema version ${version}; this p2pos understands up to ${known}. Upgrade p2pos or move the file away.`;
}

/** A SQLite or fs error as a store's code and a one-line reason (no trailing period), for its own message. */
export function describeFailure(error: unknown): {code: SqliteFailureCode; reason: string} {
  const cause = error instanceof Error ? error.message : String(error);
  const rawCode = (error as {code?: unknown} | null)?.code;
  const primaryCode = typeof rawCode === 'string' ? rawCode.replace(/^(SQLITE_[A-Z]+)_.*$/, '$1') : '';
  return {
    code: FAILURE_CODES[primaryCode] ?? 'EIO',
    reason: cause.replace(/\s+/g, ' ').replace(/\.$/, ''),
  };
}

/** A store's failure; callers branch on `code`. The message is one line naming the file. */
export class StoreError<Code extends string> extends Error {
  readonly code: Code;
  readonly path: string;

  constructor(code: Code, path: string, message: string) {
    super(message);
    this.code = code;
    this.path = path;
  }
}

/** `text` cut to at most `max` characters, ending with … when cut: for a column with a bound. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text[max - 2] ?? '') ? max - 2 : max - 1; // keep surrogate pairs whole
  return `${text.slice(0, end)}…`;
}
