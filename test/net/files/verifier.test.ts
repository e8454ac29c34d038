// The download hashing thread: chunk checks against the manifest, and the whole-file SHA-256 built from
// chunks written in any order (in order from memory, out of order read back from the temporary file).

import assert from 'node:assert/strict';
import {createHash, randomFillSync} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
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
  writeFileSync(tempPath, Buffer.alloc(size)); // zeros: written chunks are copied in as the test "writes" them
  return {bytes, chunks, manifest, tempPath};
}

test('a chunk that matches gives its hash; a wrong one, a short one or an index out of range gives undefined', async () => {
  const {chunks, manifest, tempPath} = fixture('a.bin', 3 * CHUNK + 100);
  const verifier = startVerifier({manifest, tempPath, written: emptyChunkBitmap(4)});
  try {
    assert.equal(await verifier.check(1, chunks[1]!), manifest.chunkHashes[1]);
    assert.equal(await verifier.check(3, chunks[3]!), manifest.chunkHashes[3]);
    const bad = Buffer.from(chunks[2]!);
    bad[7] = bad[7]! ^ 1;
    assert.equal(await verifier.check(2, bad), undefined);
    assert.equal(await verifier.check(2, chunks[2]!.subarray(1)), undefined);
    assert.equal(await verifier.check(9, chunks[0]!), undefined);
  } finally {
    await verifier.close();
  }
});

test('the whole-file hash comes out right whatever order the chunks are written in, resumed chunks included', async () => {
  const {bytes, chunks, manifest, tempPath} = fixture('b.bin', 40 * CHUNK + 17);
  // Chunks 0-4 were written in an earlier session: on disk already.
  const resumed = emptyChunkBitmap(chunks.length);
  const file = Buffer.alloc(bytes.length);
  for (let index = 0; index < 5; index += 1) {
    setChunk(resumed, index);
    chunks[index]!.copy(file, index * CHUNK);
  }
  writeFileSync(tempPath, file);
  const verifier = startVerifier({manifest, tempPath, written: resumed});
  try {
    // The rest in a scrambled order, each written to disk before it is reported.
    const order = Array.from({length: chunks.length - 5}, (_, i) => i + 5).sort(
      (a, b) => ((a * 7919) % 41) - ((b * 7919) % 41),
    );
    for (const index of order) {
      assert.ok(await verifier.check(index, chunks[index]!));
      chunks[index]!.copy(file, index * CHUNK);
      writeFileSync(tempPath, file);
      verifier.written(index);
    }
    assert.equal(await verifier.digest(), manifest.fileId);
  } finally {
    await verifier.close();
  }
});

test('after close, checks fail with EBADF instead of hanging', async () => {
  const {chunks, manifest, tempPath} = fixture('c.bin', CHUNK);
  const verifier = startVerifier({manifest, tempPath, written: emptyChunkBitmap(1)});
  await verifier.close();
  await assert.rejects(verifier.check(0, chunks[0]!), {code: 'EBADF'});
});
