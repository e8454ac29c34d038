import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {test, type TestContext} from 'node:test';
import Database from 'better-sqlite3';
import {chunkCount, type Manifest} from '../../../src/net/files/manifest.js';
import {
  countChunks,
  emptyChunkBitmap,
  hasChunk,
  openTransferStore,
  PAGE_CHUNKS,
  setChunk,
  TRANSFERS_DB_FILE,
  TransferStoreError,
  type DownloadDestination,
  type TransferStore,
  type TransferStoreErrorCode,
  type TransferStoreOptions,
} from '../../../src/net/files/transfer-store.js';

/** A fresh directory under the OS temp dir, removed when the test ends. */
function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2pos-transfers-'));
  t.after(() => fs.rmSync(dir, {recursive: true, force: true}));
  return dir;
}

function tempFile(t: TestContext): string {
  return path.join(tempDir(t), 'data', TRANSFERS_DB_FILE);
}

/** A clock the test moves by hand. */
function fakeClock(start = 1_000): {now: () => number; advance: (ms: number) => void} {
  let time = start;
  return {now: () => time, advance: (ms) => (time += ms)};
}

function open(t: TestContext, file = ':memory:', options: TransferStoreOptions = {}): TransferStore {
  const store = openTransferStore(file, options);
  t.after(() => store.close());
  return store;
}

/** A manifest for a file of `size` bytes; the hashes are made up (the store never sees the bytes). */
function manifest(size: number, chunkSize = 1024, name = 'file.bin'): Manifest {
  const hex = () => crypto.randomBytes(32).toString('hex');
  return {
    fileId: hex(),
    name,
    size,
    chunkSize,
    chunkHashes: Array.from({length: chunkCount(size, chunkSize)}, hex),
  };
}

function destination(dir = '/downloads', name = 'file.bin'): DownloadDestination {
  return {dir, name, tempPath: path.join(dir, `.${name}.part`)};
}

function assertStoreError(run: () => unknown, code: TransferStoreErrorCode, mentions: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof TransferStoreError, `expected a TransferStoreError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.ok(error.message.includes(mentions), `message should name ${mentions}: ${error.message}`);
    assert.ok(!error.message.includes('\n'), `message should be one line: ${error.message}`);
    return true;
  });
}

/** The chunk indexes in a bitmap of `count` chunks. */
function indexes(bitmap: Uint8Array, count: number): number[] {
  return Array.from({length: count}, (_, index) => index).filter((index) => hasChunk(bitmap, index));
}

test('opening the store touches nothing on disk until it is used', (t) => {
  const file = tempFile(t);
  const store = openTransferStore(file);
  assert.equal(fs.existsSync(path.dirname(file)), false);
  assert.deepEqual(store.listShares(), []);
  assert.equal(fs.existsSync(file), true);
  store.close();
  store.close(); // a second close does nothing
  assertStoreError(() => store.listShares(), 'EBADF', file);
});

test('shares survive a reopen, and sharing a file again replaces its record', (t) => {
  const file = tempFile(t);
  const clock = fakeClock();
  const big = manifest(5_000_000, 256 * 1024, 'big.iso');
  const small = manifest(10, 1024, 'notes.txt');
  let store = openTransferStore(file, {now: clock.now});
  store.addShare({manifest: big, path: '/home/me/big.iso', group: 'lab'});
  clock.advance(5);
  store.addShare({manifest: small, path: '/home/me/notes.txt'});
  store.close();

  store = open(t, file, {now: clock.now});
  assert.deepEqual(store.listShares(), [
    {manifest: big, path: '/home/me/big.iso', group: 'lab', sharedAt: 1_000},
    {manifest: small, path: '/home/me/notes.txt', group: null, sharedAt: 1_005},
  ]);
  clock.advance(5);
  store.addShare({manifest: {...small, name: 'renamed.txt'}, path: '/elsewhere/notes.txt', group: 'g'});
  assert.deepEqual(store.getShare(small.fileId), {
    manifest: {...small, name: 'renamed.txt'},
    path: '/elsewhere/notes.txt',
    group: 'g',
    sharedAt: 1_010,
  });
  assert.equal(store.removeShare(big.fileId), true);
  assert.equal(store.removeShare(big.fileId), false);
  assert.equal(store.getShare(big.fileId), undefined);
  assert.equal(store.listShares().length, 1);
});

test('shares with a relative path or a malformed manifest are refused', (t) => {
  const store = open(t);
  const good = manifest(3000);
  assertStoreError(() => store.addShare({manifest: good, path: 'relative/file'}), 'EINVAL', 'relative/file');
  assertStoreError(
    () => store.addShare({manifest: {...good, chunkHashes: good.chunkHashes.slice(1)}, path: '/f'}),
    'EINVAL',
    'Expected 3',
  );
  assertStoreError(() => store.addShare({manifest: {...good, fileId: 'xyz'}, path: '/f'}), 'EINVAL', 'xyz');
  assert.deepEqual(store.listShares(), []);
});

test('verified chunks survive a reopen, for a chunk count that is not a multiple of 8', (t) => {
  const file = tempFile(t);
  const file13 = manifest(12 * 1024 + 100); // 13 chunks, the last 100 bytes
  let store = openTransferStore(file);
  const {download, isResumed} = store.startDownload(file13, destination());
  assert.equal(isResumed, false);
  assert.equal(download.chunkCount, 13);
  for (const index of [0, 7, 8, 12, 7]) store.markVerified(download.id, index);
  store.close(); // writes the pending marks

  store = open(t, file);
  const bitmap = store.verifiedChunks(download.id);
  assert.deepEqual([...bitmap], [0b1000_0001, 0b0001_0001]);
  assert.deepEqual(indexes(bitmap, 13), [0, 7, 8, 12]);
  const record = store.getDownload(download.id)!;
  assert.equal(record.chunksDone, 4);
  assert.equal(record.bytesDone, 3 * 1024 + 100);
  assertStoreError(() => store.markVerified(download.id, 13), 'EINVAL', 'Expected 0 to 12');
  assertStoreError(() => store.markVerified(999, 0), 'ENOENT', 'Download 999');
});

test('starting the same download again resumes it; another name or a finished one starts afresh', (t) => {
  const clock = fakeClock();
  const store = open(t, ':memory:', {now: clock.now});
  const file = manifest(4096);
  const first = store.startDownload(file, destination());
  store.markVerified(first.download.id, 1);
  store.failDownload(first.download.id, 'No space left on /downloads.');
  assert.equal(store.getDownload(first.download.id)!.error, 'No space left on /downloads.');

  clock.advance(10);
  const again = store.startDownload(file, destination());
  assert.equal(again.isResumed, true);
  assert.equal(again.download.id, first.download.id);
  assert.equal(again.download.state, 'active');
  assert.equal(again.download.error, null);
  assert.equal(again.download.startedAt, 1_000, 'a resume keeps its start');
  assert.deepEqual(indexes(store.verifiedChunks(again.download.id), 4), [1]);

  const elsewhere = store.startDownload(file, destination('/downloads', 'copy.bin'));
  assert.equal(elsewhere.isResumed, false);
  assert.notEqual(elsewhere.download.id, first.download.id);

  store.pauseDownload(first.download.id);
  assert.equal(store.startDownload(file, destination()).isResumed, true, 'a paused one resumes');
  const done = store.finishDownload(first.download.id);
  assert.equal(done.state, 'done');
  assert.equal(done.chunksDone, 4);
  assert.equal(done.bytesDone, 4096);
  assert.equal(done.finishedAt, 1_010);
  assert.deepEqual(indexes(store.verifiedChunks(done.id), 4), [0, 1, 2, 3]);
  store.markVerified(done.id, 2); // nothing to do
  assertStoreError(() => store.pauseDownload(done.id), 'EINVAL', 'done');

  const fresh = store.startDownload(file, destination());
  assert.equal(fresh.isResumed, false);
  assert.deepEqual(
    store.listDownloads({state: 'active'}).map((record) => record.id),
    [elsewhere.download.id, fresh.download.id],
  );
  assert.deepEqual(
    store.listDownloads().map((record) => record.state),
    ['done', 'active', 'active'],
  );
  assert.equal(store.removeDownload(done.id), true);
  assert.equal(store.getDownload(done.id), undefined);
});

test('a resume with a manifest cut into other chunks starts its bitmap afresh', (t) => {
  const store = open(t);
  const file = manifest(8192, 1024);
  const {download} = store.startDownload(file, destination());
  store.markVerified(download.id, 3);
  const recut = {...manifest(8192, 4096), fileId: file.fileId};
  const resumed = store.startDownload(recut, destination());
  assert.equal(resumed.isResumed, true);
  assert.equal(resumed.download.chunkCount, 2);
  assert.equal(resumed.download.chunksDone, 0);
  assert.deepEqual(store.downloadManifest(download.id), recut);
  assert.deepEqual(indexes(store.verifiedChunks(download.id), 2), []);
});

test('replaceVerified sets the verified chunks after a rescan', (t) => {
  const store = open(t);
  const file = manifest(10 * 1024 + 1); // 11 chunks
  const {download} = store.startDownload(file, destination());
  store.markVerified(download.id, 0);
  const found = emptyChunkBitmap(11);
  for (const index of [2, 10]) setChunk(found, index);
  found[1]! |= 0xf0; // bits past the chunk count are ignored
  const record = store.replaceVerified(download.id, found);
  assert.equal(record.chunksDone, 2);
  assert.equal(record.bytesDone, 1024 + 1);
  assert.deepEqual(indexes(store.verifiedChunks(download.id), 11), [2, 10]);
  assert.equal(countChunks(store.verifiedChunks(download.id)), 2);
});

test('marks are written in batches: every flushMarks marks, or flushMs after the first', (t) => {
  t.mock.timers.enable({apis: ['setTimeout']});
  const file = tempFile(t);
  const store = open(t, file, {flushMarks: 4, flushMs: 100});
  const {download} = store.startDownload(manifest(64 * 1024), destination());
  const reader = new Database(file, {readonly: true});
  t.after(() => reader.close());
  const stored = () =>
    (reader.prepare('SELECT chunks_done AS n FROM downloads WHERE id = ?').get(download.id) as {n: number}).n;

  for (const index of [0, 1, 2]) store.markVerified(download.id, index);
  assert.equal(stored(), 0, 'three marks are still in memory');
  store.markVerified(download.id, 3);
  assert.equal(stored(), 4, 'the fourth writes the batch');

  store.markVerified(download.id, 4);
  t.mock.timers.tick(99);
  assert.equal(stored(), 4);
  t.mock.timers.tick(1);
  assert.equal(stored(), 5, 'written flushMs after the first pending mark');
});

test('a killed peer loses only the marks not yet written, never marks a chunk it was not told', (t) => {
  const file = tempFile(t);
  const storeUrl = new URL('../../../src/net/files/transfer-store.ts', import.meta.url).href;
  const file300 = manifest(300 * 1024);
  // Marks 0..199 (written in batches of 64, the last 8 of them only in memory), then SIGKILL.
  const script = `
    import {openTransferStore} from ${JSON.stringify(storeUrl)};
    const [file, manifestJson] = process.argv.slice(1);
    const store = openTransferStore(file, {flushMarks: 64, flushMs: 60_000});
    const {download} = store.startDownload(JSON.parse(manifestJson), {dir: '/d', name: 'f', tempPath: '/d/.f.part'});
    for (let index = 0; index < 200; index += 1) store.markVerified(download.id, index);
    process.kill(process.pid, 'SIGKILL');
  `;
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script, file, JSON.stringify(file300)],
    {encoding: 'utf8', timeout: 30_000},
  );
  assert.equal(child.signal, 'SIGKILL', child.stderr);

  const store = open(t, file);
  const [download] = store.listDownloads();
  assert.ok(download !== undefined);
  assert.equal(download.state, 'active', 'a killed download is still active: resume it');
  const verified = indexes(store.verifiedChunks(download.id), 300);
  assert.deepEqual(
    verified,
    Array.from({length: 192}, (_, index) => index),
  );
  assert.equal(download.chunksDone, 192);
});

test('marking 100,000 chunks costs about the same per mark as marking 1,000', (t) => {
  // Each flush writes only the bitmap pages it changed (PAGE_CHUNKS chunks, 128 bytes each), never the whole
  // bitmap: the cost of a mark must not grow with the file.
  const file = tempFile(t);
  const store = open(t, file);
  const perMarkUs = (count: number): number => {
    const {download} = store.startDownload(manifest(count * 4096, 4096), destination('/d', `f${count}`));
    // Rarest-first order: spread over the file, so most flushes touch many pages.
    const order = Array.from({length: count}, (_, index) => (index * 7919) % count);
    const started = performance.now();
    for (const index of order) store.markVerified(download.id, index);
    store.flush();
    const elapsed = performance.now() - started;
    assert.equal(store.getDownload(download.id)!.chunksDone, count);
    return (elapsed * 1000) / count;
  };
  perMarkUs(1_000); // warm up: statements, pages
  const small = perMarkUs(1_000);
  const large = perMarkUs(100_000);
  t.diagnostic(
    `per mark: ${small.toFixed(2)} µs with 1,000 chunks, ${large.toFixed(2)} µs with 100,000 (pages of ${PAGE_CHUNKS} chunks)`,
  );
  assert.ok(large < 50, `a mark costs ${large.toFixed(1)} µs with 100,000 chunks`);
  assert.ok(large < small * 5 + 5, `${large.toFixed(2)} µs per mark vs ${small.toFixed(2)} µs`);
});

test('a file that is not a transfer database, or from a newer p2pos, is refused naming it', (t) => {
  const dir = tempDir(t);
  const junk = path.join(dir, 'junk.sqlite');
  fs.writeFileSync(junk, 'not a database, just text that is long enough to have a header'.repeat(20));
  const store = openTransferStore(junk);
  assertStoreError(() => store.listShares(), 'ENOTDB', junk);
  store.close();

  const newer = path.join(dir, 'newer.sqlite');
  const db = new Database(newer);
  db.pragma('user_version = 99');
  db.close();
  const later = openTransferStore(newer);
  assertStoreError(() => later.listDownloads(), 'ENOTSUP', newer);
  later.close();

  assertStoreError(() => openTransferStore(''), 'EINVAL', 'empty');
  assertStoreError(() => openTransferStore(':memory:', {flushMarks: 0}), 'EINVAL', 'flushMarks');
});

test('downloads with a relative directory or a name that is a path are refused', (t) => {
  const store = open(t);
  const file = manifest(100);
  assertStoreError(
    () => store.startDownload(file, {...destination(), dir: 'downloads'}),
    'EINVAL',
    'downloads',
  );
  assertStoreError(() => store.startDownload(file, destination('/d', '../etc/passwd')), 'EINVAL', 'passwd');
  assert.deepEqual(store.listDownloads(), []);
  assertStoreError(() => store.listDownloads({state: 'lost' as never}), 'EINVAL', 'lost');
});
