import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {test, type TestContext} from 'node:test';
import {chunkCount, chunkRange, type Manifest} from '../../../src/net/files/manifest.js';
import {
  openPartial,
  partialName,
  partialPath,
  PartialFileError,
  type OpenPartialOptions,
  type PartialFile,
  type PartialFileErrorCode,
} from '../../../src/net/files/partial-file.js';
import {hasChunk, openTransferStore} from '../../../src/net/files/transfer-store.js';

const CHUNK = 4096;

/** A fresh directory under the OS temp dir, removed when the test ends. */
function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2pos-partial-'));
  t.after(() => fs.rmSync(dir, {recursive: true, force: true}));
  return dir;
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** `size` random bytes and their manifest (hashed here, independently of the code under test). */
function sample(size: number, chunkSize = CHUNK, name = 'file.bin'): {bytes: Buffer; manifest: Manifest} {
  const bytes = crypto.randomBytes(size);
  const chunkHashes = Array.from({length: chunkCount(size, chunkSize)}, (_, index) => {
    const start = index * chunkSize;
    return sha256(bytes.subarray(start, Math.min(size, start + chunkSize)));
  });
  return {bytes, manifest: {fileId: sha256(bytes), name, size, chunkSize, chunkHashes}};
}

function chunkOf(bytes: Buffer, manifest: Manifest, index: number): Buffer {
  const [start, end] = chunkRange(manifest, index);
  return bytes.subarray(start, end);
}

/** Open a partial file that the test closes (keeping the temporary file) when it ends. */
async function open(t: TestContext, options: OpenPartialOptions): Promise<PartialFile> {
  const partial = await openPartial(options);
  t.after(() => partial.abandon());
  return partial;
}

/** Assert that `run` rejects with a one-line PartialFileError with `code` whose message names `mentions`. */
async function assertPartialError(
  run: Promise<unknown>,
  code: PartialFileErrorCode,
  mentions: string,
): Promise<PartialFileError> {
  let caught: unknown;
  try {
    await run;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof PartialFileError, `expected a PartialFileError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(caught.message.includes(mentions), `message should name ${mentions}: ${caught.message}`);
  assert.ok(!caught.message.includes('\n'), `message should be one line: ${caught.message}`);
  return caught;
}

test('chunks written out of order make a byte-identical file under the final name', async (t) => {
  const dir = tempDir(t);
  const {bytes, manifest} = sample(5 * CHUNK + 123);
  const partial = await open(t, {dir, name: 'file.bin', manifest});
  assert.equal(partial.isResumed, false);
  for (const index of [3, 0, 5, 1, 4, 2]) {
    assert.equal(await partial.writeChunk(index, chunkOf(bytes, manifest, index)), true);
  }
  // Written twice (the endgame asks two peers): checked, not written again.
  assert.equal(await partial.writeChunk(2, chunkOf(bytes, manifest, 2)), false);

  assert.equal(await partial.complete(), path.join(dir, 'file.bin'));
  assert.deepEqual(fs.readFileSync(path.join(dir, 'file.bin')), bytes);
  assert.deepEqual(fs.readdirSync(dir), ['file.bin'], 'the temporary file is gone');
  await assertPartialError(partial.writeChunk(0, chunkOf(bytes, manifest, 0)), 'EBADF', partial.tempPath);
});

test('chunks written concurrently land at their offsets', async (t) => {
  const dir = tempDir(t);
  const {bytes, manifest} = sample(64 * CHUNK);
  const partial = await open(t, {dir, name: 'file.bin', manifest});
  const order = Array.from({length: 64}, (_, index) => (index * 37) % 64);
  await Promise.all(order.map((index) => partial.writeChunk(index, chunkOf(bytes, manifest, index))));
  await partial.complete();
  assert.deepEqual(fs.readFileSync(path.join(dir, 'file.bin')), bytes);
});

test('a chunk that fails its hash or length is refused and not written', async (t) => {
  const dir = tempDir(t);
  const {bytes, manifest} = sample(3 * CHUNK);
  const partial = await open(t, {dir, name: 'file.bin', manifest});
  const bad = Buffer.from(chunkOf(bytes, manifest, 1));
  bad[100]! ^= 0xff;

  const error = await assertPartialError(partial.writeChunk(1, bad), 'ECORRUPT', manifest.chunkHashes[1]!);
  assert.deepEqual(error.chunks, [1]);
  await assertPartialError(partial.writeChunk(1, bad.subarray(1)), 'ECORRUPT', `Expected ${CHUNK}`);
  assert.equal(partial.hasChunk(1), false);
  const onDisk = fs.readFileSync(partial.tempPath).subarray(CHUNK, 2 * CHUNK);
  assert.ok(
    onDisk.every((byte) => byte === 0),
    'nothing of the bad chunk reached the file',
  );

  await assertPartialError(partial.writeChunk(3, bad), 'EINVAL', 'Expected 0 to 2');
  await assertPartialError(partial.writeChunk(-1, bad), 'EINVAL', 'out of range');
});

test('the final name does not exist until complete() has checked the whole file', async (t) => {
  const dir = tempDir(t);
  const {bytes, manifest} = sample(4 * CHUNK + 1);
  const partial = await open(t, {dir, name: 'file.bin', manifest});
  const temp = `.file.bin.${manifest.fileId.slice(0, 16)}.part`;
  assert.equal(partial.tempPath, path.join(dir, temp));
  for (let index = 0; index < 5; index += 1) {
    await partial.writeChunk(index, chunkOf(bytes, manifest, index));
    assert.deepEqual(fs.readdirSync(dir), [temp], `only the temporary file after chunk ${index}`);
  }
  await partial.complete();
  assert.deepEqual(fs.readdirSync(dir), ['file.bin']);
});

test('an existing file is refused at open without force, and replaced with force', async (t) => {
  const dir = tempDir(t);
  const {bytes, manifest} = sample(2 * CHUNK);
  const target = path.join(dir, 'file.bin');
  fs.writeFileSync(target, 'an older file');

  await assertPartialError(openPartial({dir, name: 'file.bin', manifest}), 'EEXIST', target);
  // said before any byte is fetched, naming the way out, and no temporary file to point at
  await assert.rejects(openPartial({dir, name: 'file.bin', manifest}), {
    message: `File ${target} exists; it is replaced only when forced (download --force).`,
  });
  assert.deepEqual(fs.readdirSync(dir), ['file.bin'], 'no temporary file was made for nothing');

  const partial = await open(t, {dir, name: 'file.bin', manifest, force: true});
  await partial.writeChunk(0, chunkOf(bytes, manifest, 0));
  await partial.writeChunk(1, chunkOf(bytes, manifest, 1));
  assert.equal(fs.readFileSync(target, 'utf8'), 'an older file', 'replaced only by complete()');
  await partial.complete();
  assert.deepEqual(fs.readFileSync(target), bytes);
  assert.deepEqual(fs.readdirSync(dir), ['file.bin']);
});

test('a file that appears under the final name during the download is not replaced', async (t) => {
  const dir = tempDir(t);
  const {bytes, manifest} = sample(2 * CHUNK);
  const target = path.join(dir, 'file.bin');
  const partial = await open(t, {dir, name: 'file.bin', manifest});
  await partial.writeChunk(0, chunkOf(bytes, manifest, 0));
  await partial.writeChunk(1, chunkOf(bytes, manifest, 1));
  fs.writeFileSync(target, 'written meanwhile');

  await assertPartialError(partial.complete(), 'EEXIST', partial.tempPath);
  assert.equal(fs.readFileSync(target, 'utf8'), 'written meanwhile');
  assert.deepEqual(fs.readFileSync(partial.tempPath), bytes, 'the verified download is kept');

  await partial.remove();
  assert.deepEqual(fs.readdirSync(dir), ['file.bin']);
});

test('a directory under the final name is refused even with force', async (t) => {
  const dir = tempDir(t);
  const {manifest} = sample(CHUNK);
  fs.mkdirSync(path.join(dir, 'file.bin'));
  await assertPartialError(
    openPartial({dir, name: 'file.bin', manifest, force: true}),
    'EEXIST',
    'directory',
  );
});

test('a download resumes after closing midway: the store and the temporary file are reopened', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'data', 'transfers.sqlite');
  const {bytes, manifest} = sample(11 * CHUNK + 7); // 12 chunks, not a multiple of 8
  const count = manifest.chunkHashes.length;
  const destination = {
    dir,
    name: 'file.bin',
    tempPath: partialPath(dir, 'file.bin', manifest.fileId),
  };

  // First session: every other chunk, then the peer stops (Ctrl-C).
  let store = openTransferStore(file);
  const first = store.startDownload(manifest, destination);
  let partial = await openPartial({dir, name: 'file.bin', manifest});
  assert.equal(partial.tempPath, destination.tempPath);
  for (let index = 0; index < count; index += 2) {
    await partial.writeChunk(index, chunkOf(bytes, manifest, index));
    store.markVerified(first.download.id, index);
  }
  await partial.abandon();
  store.close();
  assert.equal(fs.existsSync(path.join(dir, 'file.bin')), false);

  // Second session: the same download resumes from the store's bitmap.
  store = openTransferStore(file);
  t.after(() => store.close());
  const second = store.startDownload(manifest, destination);
  assert.equal(second.isResumed, true);
  assert.equal(second.download.id, first.download.id);
  assert.equal(second.download.chunksDone, count / 2);
  const verified = store.verifiedChunks(second.download.id);
  partial = await open(t, {dir, name: 'file.bin', manifest, verified});
  assert.equal(partial.isResumed, true);
  const missing = Array.from({length: count}, (_, index) => index).filter(
    (index) => !partial.hasChunk(index),
  );
  assert.deepEqual(missing, [1, 3, 5, 7, 9, 11]);
  for (const index of missing) {
    await partial.writeChunk(index, chunkOf(bytes, manifest, index));
    store.markVerified(second.download.id, index);
  }
  await partial.complete();
  const done = store.finishDownload(second.download.id);
  assert.equal(done.state, 'done');
  assert.equal(done.bytesDone, manifest.size);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'file.bin')), bytes);
});

test('rescan() finds the chunks in a temporary file when the store knows none', async (t) => {
  const dir = tempDir(t);
  const {bytes, manifest} = sample(6 * CHUNK);
  let partial = await openPartial({dir, name: 'file.bin', manifest});
  for (const index of [0, 2, 5]) await partial.writeChunk(index, chunkOf(bytes, manifest, index));
  await partial.abandon();

  partial = await open(t, {dir, name: 'file.bin', manifest});
  assert.equal(partial.isResumed, true);
  assert.equal(partial.hasChunk(0), false, 'nothing is verified until it is checked');
  const found = await partial.rescan();
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].filter((index) => hasChunk(found, index)),
    [0, 2, 5],
  );
  assert.deepEqual(found, partial.verified());
});

test('complete() detects a temporary file changed on disk and names the chunks to fetch again', async (t) => {
  const dir = tempDir(t);
  const {bytes, manifest} = sample(4 * CHUNK);
  const partial = await open(t, {dir, name: 'file.bin', manifest});
  for (let index = 0; index < 4; index += 1) await partial.writeChunk(index, chunkOf(bytes, manifest, index));
  const fd = fs.openSync(partial.tempPath, 'r+');
  fs.writeSync(fd, Buffer.from([bytes[2 * CHUNK + 9]! ^ 1]), 0, 1, 2 * CHUNK + 9);
  fs.closeSync(fd);

  const error = await assertPartialError(partial.complete(), 'ECORRUPT', 'chunks 2 do not match');
  assert.deepEqual(error.chunks, [2]);
  assert.equal(fs.existsSync(path.join(dir, 'file.bin')), false, 'a corrupt file never gets the final name');
  assert.equal(fs.existsSync(partial.tempPath), true, 'kept for inspection');
  assert.equal(partial.hasChunk(2), false);
  assert.equal(partial.hasChunk(1), true);

  assert.equal(await partial.writeChunk(2, chunkOf(bytes, manifest, 2)), true);
  await partial.complete();
  assert.deepEqual(fs.readFileSync(path.join(dir, 'file.bin')), bytes);
});

test('complete() refuses a file whose chunks all match but whose file id does not', async (t) => {
  const dir = tempDir(t);
  const {bytes, manifest} = sample(2 * CHUNK);
  const lying = {...manifest, fileId: sha256(Buffer.from('another file'))};
  const partial = await open(t, {dir, name: 'file.bin', manifest: lying});
  await partial.writeChunk(0, chunkOf(bytes, manifest, 0));
  await partial.writeChunk(1, chunkOf(bytes, manifest, 1));
  const error = await assertPartialError(partial.complete(), 'ECORRUPT', 'manifest does not add up');
  assert.deepEqual(error.chunks, []);
});

test('complete() on a file with chunks missing says how many', async (t) => {
  const dir = tempDir(t);
  const {bytes, manifest} = sample(3 * CHUNK);
  const partial = await open(t, {dir, name: 'file.bin', manifest});
  await partial.writeChunk(0, chunkOf(bytes, manifest, 0));
  await assertPartialError(partial.complete(), 'ECORRUPT', '2 chunks are missing');
});

test('an empty file completes', async (t) => {
  const dir = tempDir(t);
  const {manifest} = sample(0);
  const partial = await open(t, {dir, name: 'empty', manifest});
  await partial.complete();
  assert.equal(fs.readFileSync(path.join(dir, 'empty')).length, 0);
});

test('the same temporary file cannot be open twice in one process', async (t) => {
  const dir = tempDir(t);
  const {manifest} = sample(CHUNK);
  const partial = await open(t, {dir, name: 'file.bin', manifest});
  await assertPartialError(openPartial({dir, name: 'file.bin', manifest}), 'EBUSY', partial.tempPath);
  await partial.abandon();
  const again = await open(t, {dir, name: 'file.bin', manifest});
  assert.equal(again.isResumed, true);
});

test('a symbolic link at the temporary name is not followed', async (t) => {
  const dir = tempDir(t);
  const {manifest} = sample(CHUNK);
  const victim = path.join(dir, 'victim');
  fs.writeFileSync(victim, 'keep me');
  fs.symlinkSync(victim, path.join(dir, partialName('file.bin', manifest.fileId)));
  await assertPartialError(openPartial({dir, name: 'file.bin', manifest}), 'EPERM', 'symbolic link');
  assert.equal(fs.readFileSync(victim, 'utf8'), 'keep me');
});

test('names that are not one path component and malformed manifests are refused', async (t) => {
  const dir = tempDir(t);
  const {manifest} = sample(CHUNK);
  for (const name of ['../escape', 'a/b', '..', '', 'nul\0byte']) {
    await assertPartialError(openPartial({dir, name, manifest}), 'EINVAL', 'single path component');
  }
  await assertPartialError(
    openPartial({dir, name: 'f', manifest: {...manifest, chunkHashes: []}}),
    'EINVAL',
    'Expected 1',
  );
  await assertPartialError(
    openPartial({dir: path.join(dir, 'missing'), name: 'f', manifest}),
    'ENOENT',
    'missing',
  );
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('a long name is cut to fit the temporary file name, keeping the file id', () => {
  const fileId = 'ab'.repeat(32);
  const name = `${'é'.repeat(200)}.bin`; // 404 bytes of UTF-8
  const temp = partialName(name, fileId);
  assert.ok(Buffer.byteLength(temp) <= 255, `${Buffer.byteLength(temp)} bytes`);
  assert.ok(temp.endsWith(`.${fileId.slice(0, 16)}.part`));
  assert.ok(!temp.includes('\uFFFD'), 'no character cut in half');
});

test('a full disk fails a write with ENOSPC and leaves the verified chunks intact', async (t) => {
  // Needs a small file system: a 1 MiB tmpfs, which only root can mount (skipped otherwise).
  const mount = fs.mkdtempSync(path.join(os.tmpdir(), 'p2pos-full-'));
  let partial: PartialFile | undefined;
  const mounted =
    process.platform === 'linux' &&
    process.getuid?.() === 0 &&
    spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount]).status === 0;
  // One hook, in order: close the file (an open file keeps the mount busy), unmount, remove the directory.
  t.after(async () => {
    await partial?.abandon();
    if (mounted) spawnSync('umount', [mount]);
    fs.rmdirSync(mount);
  });
  if (!mounted) {
    t.skip('needs root on Linux to mount a 1 MiB tmpfs');
    return;
  }
  const {bytes, manifest} = sample(512 * 1024, 64 * 1024);
  // Too big for the space: refused at open, before anything is written.
  const {manifest: huge} = sample(2 * 1024 * 1024, 64 * 1024, 'huge');
  await assertPartialError(openPartial({dir: mount, name: 'huge', manifest: huge}), 'ENOSPC', 'free');

  partial = await openPartial({dir: mount, name: 'file.bin', manifest});
  await partial.writeChunk(0, chunkOf(bytes, manifest, 0));
  await partial.writeChunk(1, chunkOf(bytes, manifest, 1));
  fs.writeFileSync(path.join(mount, 'filler'), Buffer.alloc(1024 * 1024 - 3 * 64 * 1024)); // leaves about one chunk
  let failedAt: number | undefined;
  for (let index = 2; index < 8; index += 1) {
    try {
      await partial.writeChunk(index, chunkOf(bytes, manifest, index));
    } catch (error) {
      assert.ok(error instanceof PartialFileError);
      assert.equal(error.code, 'ENOSPC', error.message);
      assert.ok(error.message.includes(partial.tempPath), error.message);
      failedAt = index;
      break;
    }
  }
  assert.ok(failedAt !== undefined, 'the disk filled up');
  assert.equal(partial.hasChunk(failedAt), false);
  const onDisk = fs.readFileSync(partial.tempPath);
  for (let index = 0; index < failedAt; index += 1) {
    assert.ok(partial.hasChunk(index));
    assert.deepEqual(onDisk.subarray(index * 65536, (index + 1) * 65536), chunkOf(bytes, manifest, index));
  }

  // Space again: the rest goes in and the file completes.
  fs.unlinkSync(path.join(mount, 'filler'));
  for (let index = failedAt; index < 8; index += 1)
    await partial.writeChunk(index, chunkOf(bytes, manifest, index));
  await partial.complete();
  assert.deepEqual(fs.readFileSync(path.join(mount, 'file.bin')), bytes);
});
