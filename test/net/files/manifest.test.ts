import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {createHash, randomBytes} from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {FileError, type FileErrorCode} from '../../../src/net/files/errors.js';
import {
  checkManifest,
  chunkCount,
  chunkRange,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_MAX_FILE_BYTES,
  hashFile,
  MAX_CHUNK_SIZE,
  MAX_CHUNKS,
  MIN_CHUNK_SIZE,
  verifyChunk,
  type Manifest,
} from '../../../src/net/files/manifest.js';

const MiB = 1024 * 1024;
const directory = mkdtempSync(join(tmpdir(), 'p2pos-manifest-'));
after(() => rmSync(directory, {recursive: true, force: true}));

let files = 0;
/** A new file in the test directory holding `bytes`. */
function tempFile(bytes: Uint8Array, name = `file-${(files += 1)}.bin`): string {
  const path = join(directory, name);
  writeFileSync(path, bytes);
  return path;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The manifest computed the plain way, all in memory: what hashFile must agree with. */
function expectedManifest(bytes: Buffer, chunkSize: number, name: string): Manifest {
  const chunkHashes: string[] = [];
  for (let start = 0; start < bytes.length; start += chunkSize)
    chunkHashes.push(sha256(bytes.subarray(start, start + chunkSize)));
  return {fileId: sha256(bytes), name, size: bytes.length, chunkSize, chunkHashes};
}

async function assertRejects(promise: Promise<unknown>, code: FileErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof FileError, `expected a FileError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

function assertThrows(run: () => unknown, code: FileErrorCode, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof FileError, `expected a FileError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

const K = MIN_CHUNK_SIZE;
// [what, size in bytes, chunk size]; 1 MiB is the read block, so the last rows cross block boundaries.
const SHAPES: [string, number, number][] = [
  ['an empty file', 0, K],
  ['a 1-byte file', 1, K],
  ['exactly one chunk', K, K],
  ['one chunk and 1 byte', K + 1, K],
  ['several chunks, the last one short', 3 * K + 100, K],
  ['several read blocks of small chunks', 2 * MiB + 5, K],
  ['chunks that do not divide the read block', 2_500_000, 300_000],
  ['default chunks', 3 * DEFAULT_CHUNK_SIZE + 7, DEFAULT_CHUNK_SIZE],
  ['one chunk larger than a read block', MAX_CHUNK_SIZE + 1, MAX_CHUNK_SIZE],
];

for (const [what, size, chunkSize] of SHAPES) {
  test(`hashFile: ${what}, in this thread and with the worker, agrees with hashing in memory`, async () => {
    const bytes = randomBytes(size);
    const path = tempFile(bytes);
    const name = path.slice(directory.length + 1);
    const expected = expectedManifest(bytes, chunkSize, name);
    assert.equal(expected.chunkHashes.length, chunkCount(size, chunkSize));
    for (const worker of [false, true]) {
      const manifest = await hashFile(path, {chunkSize, worker});
      assert.deepEqual(manifest, expected, `worker: ${worker}`);
      assert.deepEqual(checkManifest(manifest), manifest);
    }
  });
}

test('an empty file has the SHA-256 of nothing as its id and no chunks', async () => {
  const manifest = await hashFile(tempFile(Buffer.alloc(0)));
  assert.equal(manifest.fileId, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.deepEqual(manifest.chunkHashes, []);
  assert.equal(manifest.chunkSize, DEFAULT_CHUNK_SIZE);
});

test('hashFile reports its progress block by block, up to the size', async () => {
  const path = tempFile(randomBytes(2 * MiB + 1));
  for (const worker of [false, true]) {
    const seen: number[] = [];
    await hashFile(path, {chunkSize: K, worker, onProgress: (hashed, size) => seen.push(hashed, size)});
    assert.deepEqual(seen, [MiB, 2 * MiB + 1, 2 * MiB, 2 * MiB + 1, 2 * MiB + 1, 2 * MiB + 1]);
  }
});

test('the name defaults to the file name made safe, and a given name is made safe', async () => {
  const path = tempFile(Buffer.from('x'), '.hidden notes.txt');
  assert.equal((await hashFile(path)).name, 'hidden notes.txt');
  assert.equal((await hashFile(path, {name: '../../etc/passwd'})).name, '_.._etc_passwd');
  await assertRejects(hashFile(path, {name: '..'}), 'EINVAL', /names a directory/);
});

for (const chunkSize of [K - 1, MAX_CHUNK_SIZE + 1, 0, -K, 4096.5, Number.NaN]) {
  test(`hashFile refuses chunk size ${chunkSize}, naming it and the range`, async () => {
    const path = tempFile(Buffer.from('x'));
    await assertRejects(
      hashFile(path, {chunkSize}),
      'EINVAL',
      new RegExp(`Chunk size is ${chunkSize}; expected a whole number of bytes from 4096 to 4194304`),
    );
  });
}

test('hashFile refuses a chunk size that is not a number', async () => {
  const path = tempFile(Buffer.from('x'));
  await assertRejects(
    hashFile(path, {chunkSize: '4096' as unknown as number}),
    'EINVAL',
    /Chunk size is "4096"/,
  );
});

test('hashFile refuses a file over maxBytes before reading any of it', async () => {
  const path = tempFile(randomBytes(100));
  let progressCalls = 0;
  const onProgress = () => (progressCalls += 1);
  await assertRejects(
    hashFile(path, {maxBytes: 99, onProgress}),
    'EFBIG',
    /is 100 bytes, over the 99-byte limit for a shared file/,
  );
  assert.equal(progressCalls, 0);
  assert.equal((await hashFile(path, {maxBytes: 100, onProgress})).size, 100);
  assert.equal(progressCalls, 1);
});

test('hashFile refuses a maxBytes that is not a whole number of bytes', async () => {
  const path = tempFile(Buffer.from('x'));
  await assertRejects(hashFile(path, {maxBytes: -1}), 'EINVAL', /Maximum file size is -1/);
  await assertRejects(hashFile(path, {maxBytes: 1.5}), 'EINVAL', /Maximum file size is 1\.5/);
});

test('the default maximum file size is 4 GiB', () => {
  assert.equal(DEFAULT_MAX_FILE_BYTES, 4 * 1024 ** 3);
});

test('hashFile refuses a directory with EISDIR', async () => {
  const path = join(directory, 'a-directory');
  mkdirSync(path);
  await assertRejects(hashFile(path), 'EISDIR', /a-directory" is a directory, not a file/);
});

test('hashFile refuses a missing file with ENOENT', async () => {
  await assertRejects(hashFile(join(directory, 'missing.bin')), 'ENOENT', /No such file: ".*missing\.bin"/);
  const file = tempFile(Buffer.from('x'));
  await assertRejects(hashFile(join(file, 'inside')), 'ENOENT', /No such file/);
});

test('hashFile refuses a FIFO at once instead of waiting for a writer', async () => {
  const path = join(directory, 'a-fifo');
  const made = spawnSync('mkfifo', [path]);
  assert.equal(made.status, 0, `mkfifo failed: ${made.stderr}`);
  await assertRejects(hashFile(path), 'EINVAL', /a-fifo" is not a regular file/);
});

test(
  'hashFile refuses a file it may not read with EACCES',
  {skip: process.getuid?.() === 0 ? 'root may read any file' : false},
  async () => {
    const path = tempFile(Buffer.from('secret'));
    chmodSync(path, 0o000);
    await assertRejects(hashFile(path), 'EACCES', /Permission denied reading/);
  },
);

for (const worker of [false, true]) {
  const where = worker ? 'with the worker' : 'in this thread';

  test(`hashFile notices a file that grows while it is hashed (${where})`, async () => {
    const path = tempFile(randomBytes(3 * MiB));
    const onProgress = (hashed: number) => {
      if (hashed === MiB) appendFileSync(path, 'more');
    };
    await assertRejects(
      hashFile(path, {chunkSize: K, worker, onProgress}),
      'ECHANGED',
      /changed while it was hashed: its size went from 3145728 to 3145732 bytes/,
    );
  });

  test(`hashFile notices a file that shrinks while it is hashed (${where})`, async () => {
    const path = tempFile(randomBytes(3 * MiB));
    const onProgress = (hashed: number) => {
      if (hashed === MiB) truncateSync(path, MiB + 10);
    };
    // With the worker the next block is already being read: it may be the one that ends early, or
    // the one after it, so only the start of the message is fixed.
    await assertRejects(
      hashFile(path, {chunkSize: K, worker, onProgress}),
      'ECHANGED',
      /changed while it was hashed: (it ended at \d+ bytes, not 3145728|its size went from 3145728 to 1048586 bytes)/,
    );
  });

  test(`hashFile notices a same-size write while it is hashed (${where})`, async () => {
    const path = tempFile(randomBytes(3 * MiB));
    // An hour back, so the write below moves the modification time whatever the clock's granularity.
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(path, anHourAgo, anHourAgo);
    const onProgress = (hashed: number) => {
      if (hashed !== MiB) return;
      const fd = openSync(path, 'r+');
      writeSync(fd, Buffer.from('overwritten'), 0, 11, 0);
      closeSync(fd);
    };
    await assertRejects(
      hashFile(path, {chunkSize: K, worker, onProgress}),
      'ECHANGED',
      /changed while it was hashed: its modification time moved/,
    );
  });

  test(`hashFile stops with ECANCELED when its signal fires (${where})`, async () => {
    const path = tempFile(randomBytes(3 * MiB));
    const controller = new AbortController();
    const reason = new Error('the user pressed Ctrl-C');
    const onProgress = () => controller.abort(reason);
    await assert.rejects(
      hashFile(path, {worker, onProgress, signal: controller.signal}),
      (error: unknown) => {
        assert.ok(error instanceof FileError);
        assert.equal(error.code, 'ECANCELED');
        assert.match(error.message, /Hashing ".*" was canceled/);
        assert.equal(error.cause, reason);
        return true;
      },
    );
  });
}

test('hashFile does not open the file when its signal has already fired', async () => {
  await assertRejects(
    hashFile(join(directory, 'missing.bin'), {signal: AbortSignal.abort()}),
    'ECANCELED',
    /canceled/,
  );
});

test('verifyChunk accepts each chunk, the short last one too', async () => {
  const bytes = randomBytes(3 * K + 100);
  const manifest = await hashFile(tempFile(bytes), {chunkSize: K});
  for (let index = 0; index < manifest.chunkHashes.length; index += 1) {
    const [start, end] = chunkRange(manifest, index);
    assert.equal(verifyChunk(manifest, index, bytes.subarray(start, end)), true, `chunk ${index}`);
  }
  assert.deepEqual(chunkRange(manifest, 3), [3 * K, 3 * K + 100]);
});

test('verifyChunk refuses a changed byte, a wrong length, another chunk and a bad index', async () => {
  const bytes = randomBytes(3 * K + 100);
  const manifest = await hashFile(tempFile(bytes), {chunkSize: K});
  const first = Buffer.from(bytes.subarray(0, K));
  first[100]! ^= 1;
  assert.equal(verifyChunk(manifest, 0, first), false, 'one bit flipped');
  assert.equal(verifyChunk(manifest, 0, bytes.subarray(0, K - 1)), false, 'one byte short');
  assert.equal(
    verifyChunk(manifest, 3, Buffer.concat([bytes.subarray(3 * K), Buffer.from([0])])),
    false,
    'one byte long',
  );
  assert.equal(verifyChunk(manifest, 3, bytes.subarray(3 * K, 3 * K + 99)), false, 'the last chunk short');
  assert.equal(verifyChunk(manifest, 1, bytes.subarray(0, K)), false, 'chunk 0 sent as chunk 1');
  for (const index of [-1, 4, 1.5, Number.NaN])
    assert.equal(verifyChunk(manifest, index, bytes.subarray(0, K)), false, `index ${index}`);
});

test('verifyChunk checks the length even when the hash would match', () => {
  // A manifest whose last chunk is 10 bytes, with the hash of 11 bytes: the length must decide.
  const eleven = Buffer.alloc(11, 1);
  const manifest: Manifest = {
    fileId: '0'.repeat(64),
    name: 'x',
    size: K + 10,
    chunkSize: K,
    chunkHashes: [sha256(Buffer.alloc(K)), sha256(eleven)],
  };
  assert.equal(verifyChunk(manifest, 1, eleven), false);
});

/** A valid manifest of a 3-chunk file, for the rejections below to spoil one field at a time. */
function validManifest(): Manifest {
  const bytes = Buffer.alloc(2 * K + 1, 7);
  return expectedManifest(bytes, K, 'three chunks.bin');
}

test('checkManifest returns a clean copy of a valid manifest', () => {
  const sent = {...validManifest(), extra: 'ignored', owner: {evil: true}};
  const checked = checkManifest(sent);
  assert.deepEqual(checked, validManifest());
  assert.ok(!('extra' in checked));
  assert.notEqual(checked.chunkHashes, sent.chunkHashes, 'the hashes are copied');
});

const HASH = 'ab'.repeat(32);
// [what, the manifest (a function of a valid one), code, message]
const REJECTIONS: [string, (manifest: Manifest) => unknown, FileErrorCode, RegExp][] = [
  ['null', () => null, 'EINVAL', /A manifest must be an object; got null/],
  ['an array', () => [], 'EINVAL', /must be an object; got an array of 0/],
  ['a string', () => 'manifest', 'EINVAL', /must be an object; got "manifest"/],
  [
    'a missing fileId',
    (m) => ({...m, fileId: undefined}),
    'EINVAL',
    /`fileId` is missing; expected 64 lowercase hex/,
  ],
  [
    'an uppercase fileId',
    (m) => ({...m, fileId: m.fileId.toUpperCase()}),
    'EINVAL',
    /`fileId` is "[0-9A-F]+…; expected 64 lowercase hex/,
  ],
  ['a short fileId', (m) => ({...m, fileId: 'abc'}), 'EINVAL', /`fileId` is "abc"; expected 64/],
  ['a fileId that is not hex', (m) => ({...m, fileId: 'g'.repeat(64)}), 'EINVAL', /`fileId` is "ggg/],
  [
    'a name that is a path',
    (m) => ({...m, name: '../../etc/passwd'}),
    'EINVAL',
    /`name` is "\.\.\/\.\.\/etc\/passwd", not a safe file name \(that would be "_\.\._etc_passwd"\)/,
  ],
  [
    'a name with a control character',
    (m) => ({...m, name: 'a\u001b[2J'}),
    'EINVAL',
    /`name` .* not a safe file name/,
  ],
  ['an empty name', (m) => ({...m, name: ''}), 'EINVAL', /`name`: File name is empty/],
  ['a name with NUL', (m) => ({...m, name: 'a\0b'}), 'EINVAL', /`name`: File name .* contains a NUL byte/],
  ['a name that is not a string', (m) => ({...m, name: 7}), 'EINVAL', /`name` is 7; expected a string/],
  ['a negative size', (m) => ({...m, size: -1}), 'EINVAL', /`size` is -1; expected a whole number of bytes/],
  ['a fractional size', (m) => ({...m, size: 1.5}), 'EINVAL', /`size` is 1\.5/],
  ['a size as a string', (m) => ({...m, size: '8193'}), 'EINVAL', /`size` is "8193"/],
  ['an unsafe integer size', (m) => ({...m, size: 2 ** 53}), 'EINVAL', /`size` is 9007199254740992/],
  [
    'a size over 4 GiB',
    (m) => ({...m, size: 4 * 1024 ** 3 + 1}),
    'EFBIG',
    /`size` is 4294967297 bytes, over the 4294967296-byte limit/,
  ],
  [
    'a chunk size under the minimum',
    (m) => ({...m, chunkSize: 4095}),
    'EINVAL',
    /`chunkSize` is 4095; expected a whole number of bytes from 4096 to 4194304/,
  ],
  ['a chunk size over the maximum', (m) => ({...m, chunkSize: 8 * MiB}), 'EINVAL', /`chunkSize` is 8388608/],
  ['a missing chunk size', (m) => ({...m, chunkSize: undefined}), 'EINVAL', /`chunkSize` is missing/],
  [
    'chunkHashes that is not an array',
    (m) => ({...m, chunkHashes: HASH}),
    'EINVAL',
    /`chunkHashes` is "abab.*; expected an array/,
  ],
  [
    'one hash too few',
    (m) => ({...m, chunkHashes: m.chunkHashes.slice(1)}),
    'EINVAL',
    /`chunkHashes` has 2 hashes; a 8193-byte file in 4096-byte chunks has 3/,
  ],
  [
    'one hash too many',
    (m) => ({...m, chunkHashes: [...m.chunkHashes, HASH]}),
    'EINVAL',
    /has 4 hashes; .* has 3/,
  ],
  [
    'a bad hash in the middle',
    (m) => ({...m, chunkHashes: [HASH, 42, HASH]}),
    'EINVAL',
    /`chunkHashes\[1\]` is 42; expected 64 lowercase hex/,
  ],
  [
    'an empty file whose id is not the SHA-256 of nothing',
    (m) => ({...m, size: 0, chunkHashes: []}),
    'EINVAL',
    /an empty file's id is e3b0c442/,
  ],
  [
    'a one-chunk file whose id differs from its chunk',
    (m) => ({...m, size: 10, chunkHashes: [HASH]}),
    'EINVAL',
    /`chunkHashes\[0\]` differs from `fileId`/,
  ],
];

for (const [what, spoil, code, message] of REJECTIONS) {
  test(`checkManifest refuses ${what}`, () =>
    assertThrows(() => checkManifest(spoil(validManifest())), code, message));
}

test('checkManifest takes a smaller maxBytes', () => {
  assertThrows(
    () => checkManifest(validManifest(), {maxBytes: 8192}),
    'EFBIG',
    /`size` is 8193 bytes, over the 8192-byte limit/,
  );
  assert.equal(checkManifest(validManifest(), {maxBytes: 8193}).size, 8193);
});

test('checkManifest accepts a manifest of MAX_CHUNKS chunks, and the largest file in chunks that fit', () => {
  const most = {
    ...validManifest(),
    size: MAX_CHUNKS * K,
    chunkHashes: new Array<string>(MAX_CHUNKS).fill(HASH),
  };
  assert.equal(checkManifest(most).chunkHashes.length, MAX_CHUNKS);
  const size = DEFAULT_MAX_FILE_BYTES;
  const chunkSize = size / MAX_CHUNKS;
  const largest = {
    ...validManifest(),
    size,
    chunkSize,
    chunkHashes: new Array<string>(MAX_CHUNKS).fill(HASH),
  };
  assert.equal(checkManifest(largest).chunkHashes.length, MAX_CHUNKS);
});

test('a file or manifest over MAX_CHUNKS chunks is refused with EFBIG, naming a chunk size that fits', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'p2pos-maxchunks-'));
  t.after(() => rmSync(dir, {recursive: true, force: true}));
  const file = join(dir, 'sparse.bin');
  const size = (MAX_CHUNKS + 1) * MIN_CHUNK_SIZE;
  writeFileSync(file, '');
  truncateSync(file, size); // sparse: no disk used
  await assert.rejects(hashFile(file, {chunkSize: MIN_CHUNK_SIZE}), (error: unknown) => {
    assert.equal((error as {code?: string}).code, 'EFBIG');
    assert.match(
      (error as Error).message,
      new RegExp(`chunks of ${Math.ceil(size / MAX_CHUNKS)} bytes or more`),
    );
    return true;
  });
  const hash = '0'.repeat(64);
  assert.throws(
    () =>
      checkManifest({
        fileId: hash,
        name: 'big',
        size,
        chunkSize: MIN_CHUNK_SIZE,
        chunkHashes: new Array(MAX_CHUNKS + 1).fill(hash),
      }),
    (error: unknown) => (error as {code?: string}).code === 'EFBIG',
  );
});
