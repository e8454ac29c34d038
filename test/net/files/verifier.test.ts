// The download thread that checks, writes and hashes: chunk checks against the manifest, runs of chunks in
// one buffer, writes into the temporary file, and the whole-file SHA-256 built from chunks written in any
// order (near the prefix from memory, others read back from the file).

import assert from 'node:assert/strict';
import {createHash, randomFillSync} from 'node:crypto';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {bodyBuffers} from '../../../src/net/buffer-pool.js';
import type {Manifest} from '../../../src/net/files/manifest.js';
import {emptyChunkBitmap, setChunk} from '../../../src/net/files/transfer-store.js';
import {startVerifier} from '../../../src/net/files/verifier.js';

const dir = mkdtempSync(join(tmpdir(), 'p2pos-verifier-'));
after(() => rmSync(dir, {recursive: true, force: true}));

const CHUNK = 4096;
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function fixture(name: string, size: number) {
  const bytes = randomFillSync(Buffer.alloc(size));
  const chunks: Buffer[] = [];
  for (let start = 0; start < size; start += CHUNK)
    chunks.push(bytes.subarray(start, Math.min(size, start + CHUNK)));
  const manifest: Manifest = {fileId: sha(bytes), name, size, chunkSize: CHUNK, chunkHashes: chunks.map(sha)};
  const tempPath = join(dir, `.${name}.part`);
  writeFileSync(tempPath, Buffer.alloc(size)); // zeros until the verifier writes the chunks
  const stat = statSync(tempPath, {bigint: true});
  const identity = {dev: String(stat.dev), ino: String(stat.ino)};
  return {bytes, chunks, manifest, tempPath, identity};
}

/** A copy of `bytes` over an ArrayBuffer of its own, as a frame body is: the verifier may take it. */
const own = (bytes: Uint8Array) => Buffer.from(Uint8Array.from(bytes).buffer);

test('a chunk that matches is written and gives its hash; a wrong one, a short one or one out of range is not written', async () => {
  const {chunks, manifest, tempPath, identity} = fixture('a.bin', 3 * CHUNK + 100);
  const verifier = startVerifier({manifest, tempPath, identity, written: emptyChunkBitmap(4)});
  try {
    assert.deepEqual(await verifier.store(1, 1, own(chunks[1]!)), [
      {digest: manifest.chunkHashes[1], wrote: true},
    ]);
    assert.deepEqual(await verifier.store(1, 1, own(chunks[1]!)), [
      {digest: manifest.chunkHashes[1], wrote: false},
    ]);
    const bad = own(chunks[2]!);
    bad[7] = bad[7]! ^ 1;
    assert.deepEqual(await verifier.store(2, 1, bad), [undefined]);
    assert.deepEqual(await verifier.store(2, 1, own(chunks[2]!.subarray(1))), [undefined]);
    assert.deepEqual(await verifier.store(9, 1, own(chunks[0]!)), [undefined]);
    const file = readFileSync(tempPath);
    assert.deepEqual(file.subarray(CHUNK, 2 * CHUNK), chunks[1]);
    assert.ok(
      file.subarray(2 * CHUNK, 3 * CHUNK).every((byte) => byte === 0),
      'the bad chunk was not written',
    );
  } finally {
    await verifier.close();
  }
});

test('a run of chunks in one buffer: the good ones are written, a bad one in the middle is not', async () => {
  const {bytes, chunks, manifest, tempPath, identity} = fixture('run.bin', 6 * CHUNK + 10);
  const verifier = startVerifier({manifest, tempPath, identity, written: emptyChunkBitmap(7)});
  try {
    const run = own(bytes.subarray(CHUNK, 7 * CHUNK + 10)); // chunks 1-6, the last one short
    run[CHUNK * 2 + 5] = run[CHUNK * 2 + 5]! ^ 0xff; // chunk 3 is bad
    const results = await verifier.store(1, 6, run);
    assert.deepEqual(
      results.map((result) => result?.wrote ?? null),
      [true, true, null, true, true, true],
    );
    assert.equal(run.byteLength, 0, 'the buffer went to the thread (transferred, not copied)');
    const file = readFileSync(tempPath);
    for (const index of [1, 2, 4, 5, 6])
      assert.deepEqual(file.subarray(index * CHUNK, index * CHUNK + chunks[index]!.length), chunks[index]);
    assert.ok(file.subarray(3 * CHUNK, 4 * CHUNK).every((byte) => byte === 0));
    // A run whose length does not add up is refused whole.
    assert.deepEqual(await verifier.store(0, 2, own(bytes.subarray(0, CHUNK))), [undefined, undefined]);
  } finally {
    await verifier.close();
  }
});

test('the whole-file hash comes out right whatever order the chunks come in, resumed chunks included', async () => {
  const {bytes, chunks, manifest, tempPath, identity} = fixture('b.bin', 40 * CHUNK + 17);
  // Chunks 0-4 were written in an earlier session: on disk already.
  const resumed = emptyChunkBitmap(chunks.length);
  const file = Buffer.alloc(bytes.length);
  for (let index = 0; index < 5; index += 1) {
    setChunk(resumed, index);
    chunks[index]!.copy(file, index * CHUNK);
  }
  writeFileSync(tempPath, file);
  const verifier = startVerifier({manifest, tempPath, identity, written: resumed});
  try {
    // The rest in a scrambled order: some far ahead of the prefix (read back), some near it (kept).
    const order = Array.from({length: chunks.length - 5}, (_, i) => i + 5).sort(
      (a, b) => ((a * 7919) % 41) - ((b * 7919) % 41),
    );
    for (const index of order) assert.ok((await verifier.store(index, 1, own(chunks[index]!)))[0]?.wrote);
    assert.equal(await verifier.digest(), manifest.fileId);
    assert.deepEqual(readFileSync(tempPath), bytes);
  } finally {
    await verifier.close();
  }
});

test('buffers come back to the frame body pool once written and hashed', async () => {
  const {chunks, manifest, tempPath, identity} = fixture('pool.bin', 4 * CHUNK);
  const verifier = startVerifier({manifest, tempPath, identity, written: emptyChunkBitmap(4)});
  try {
    const before = bodyBuffers.heldBytes;
    for (let index = 0; index < 4; index += 1) await verifier.store(index, 1, own(chunks[index]!));
    assert.equal(await verifier.digest(), manifest.fileId);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the last buffer's message
    assert.equal(bodyBuffers.heldBytes - before, 4 * CHUNK);
    for (let index = 0; index < 4; index += 1) bodyBuffers.take(CHUNK); // leave the pool as it was
  } finally {
    await verifier.close();
  }
});

test('a temporary file replaced by a link (or another file) is never written through', async () => {
  const {chunks, manifest, tempPath, identity} = fixture('swap.bin', CHUNK);
  // The download holds its temporary file open (so its inode cannot be reused) while it is moved away.
  const held = openSync(tempPath, 'r');
  renameSync(tempPath, join(dir, 'moved.part'));
  const victim = join(dir, 'victim.txt');
  writeFileSync(victim, 'keep me');
  symlinkSync(victim, tempPath);
  const verifier = startVerifier({manifest, tempPath, identity, written: emptyChunkBitmap(1)});
  try {
    await assert.rejects(verifier.store(0, 1, own(chunks[0]!)), {code: 'ELOOP'});
    rmSync(tempPath);
    writeFileSync(tempPath, Buffer.alloc(CHUNK)); // a new file under the name: another inode
    await assert.rejects(verifier.store(0, 1, own(chunks[0]!)), /replaced/);
    assert.equal(readFileSync(victim, 'utf8'), 'keep me');
    assert.ok(readFileSync(tempPath).every((byte) => byte === 0));
  } finally {
    closeSync(held);
    await verifier.close();
  }
});

test('after close, stores fail with EBADF instead of hanging', async () => {
  const {chunks, manifest, tempPath, identity} = fixture('c.bin', CHUNK);
  const verifier = startVerifier({manifest, tempPath, identity, written: emptyChunkBitmap(1)});
  await verifier.close();
  await assert.rejects(verifier.store(0, 1, own(chunks[0]!)), {code: 'EBADF'});
});

test('many runs stored at once all come back right, and the prefix hasher keeps up with them', async () => {
  // 64 runs in flight is far more than the prefix hasher may queue: stores wait for it instead.
  const {bytes, chunks, manifest, tempPath, identity} = fixture('many.bin', 256 * CHUNK);
  const verifier = startVerifier({manifest, tempPath, identity, written: emptyChunkBitmap(chunks.length)});
  try {
    const runs = Array.from({length: 64}, (_, run) =>
      verifier.store(run * 4, 4, own(bytes.subarray(run * 4 * CHUNK, (run + 1) * 4 * CHUNK))),
    );
    for (const results of await Promise.all(runs)) assert.ok(results.every((result) => result?.wrote));
    assert.equal(await verifier.digest(), manifest.fileId);
    assert.deepEqual(readFileSync(tempPath), bytes);
  } finally {
    await verifier.close();
  }
});
