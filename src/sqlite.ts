// better-sqlite3 for the stores that persist (process history, the tracker's registry, transfers):
// loaded on first use, not at import, so a run that stores nothing never loads the native module;
// and the one way a store brings its file's schema up to date.

import {createRequire} from 'node:module';
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
