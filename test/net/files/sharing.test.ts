// Disk sharing between peers in this process over real loopback TCP, with real files and SQLite:
// a tracker, seeders that upload, and a downloader fetching from all of them. (The multi-process tests,
// with peers killed midway, are in test/net/files-network.test.ts.)

import assert from 'node:assert/strict';
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import type {Peer} from '../../../src/net/peer.js';
import {connect} from '../../../src/net/connection.js';
import {generateSecret} from '../../../src/net/network-secret.js';
import {createSandboxPool, type SandboxPool} from '../../../src/net/sandbox/pool.js';
import {startTracker, type Tracker} from '../../../src/net/tracker.js';
import {randomFile as randomBytesFile, startSharingPeer} from '../../support/sharing-peer.js';

let dir: string;
let tracker: Tracker;
let sandbox: SandboxPool;
const peers: Peer[] = [];
/** Every link here is TLS, as in a real network. */
const secret = generateSecret();

async function peer(
  name: string,
  options: {maxUploadRate?: number; downloadStallMs?: number} = {},
): Promise<Peer> {
  const started = await startSharingPeer({
    name,
    tracker,
    sandbox,
    maxUploadRate: options.maxUploadRate,
    downloadStallMs: options.downloadStallMs,
    secret,
  });
  peers.push(started);
  return started;
}

function randomFile(name: string, bytes: number): string {
  return randomBytesFile(dir, name, bytes);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'p2pos-sharing-'));
  sandbox = createSandboxPool();
  tracker = await startTracker({host: '127.0.0.1', port: 0, dbPath: ':memory:', secret});
});

after(async () => {
  await Promise.all(peers.map((p) => p.close()));
  await tracker.close();
  await sandbox.close();
  rmSync(dir, {recursive: true, force: true});
});

test(
  'a file uploaded on one peer downloads byte-identical on another, from every seeder at once',
  {timeout: 30_000},
  async () => {
    const [a, b, c] = await Promise.all([peer('a'), peer('b'), peer('c')]);
    const source = randomFile('data.bin', 3 * 1024 * 1024 + 123);
    const up = await a.sharing.upload(source, {chunkSize: 64 * 1024});
    assert.equal(up.chunkCount, 49);
    await b.sharing.upload(source, {chunkSize: 64 * 1024});
    const listed = await c.sharing.files({});
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.seeders, 2);
    const out = mkdtempSync(join(dir, 'out-'));
    const run = await c.sharing.download(up.fileId.slice(0, 8), {dest: out});
    const path = await run.done;
    assert.equal(path, join(out, 'data.bin'));
    assert.deepEqual(readFileSync(path), readFileSync(source));
    assert.deepEqual(readdirSync(out), ['data.bin']); // no temporary file left
    const view = c.sharing.downloads()[0]!;
    assert.equal(view.state, 'done');
    assert.equal(view.bytesDone, up.size);
    // Done, c seeds it too.
    const after = await c.sharing.files({});
    assert.equal(after[0]!.seeders, 3);
  },
);

test(
  "a download whose only seeder's file changed on disk fails saying so, not only that no peer has it",
  {timeout: 30_000},
  async () => {
    const [seeder, downloader] = await Promise.all([
      peer('changing'),
      peer('asking', {downloadStallMs: 500}),
    ]);
    const source = randomFile('changing.bin', 512 * 1024);
    const up = await seeder.sharing.upload(source, {chunkSize: 64 * 1024});
    writeFileSync(source, 'edited after it was shared\n', {flag: 'a'});
    await new Promise((resolve) => setTimeout(resolve, 150)); // past the seeder's size-and-time check period
    const out = mkdtempSync(join(dir, 'out-'));
    const run = await downloader.sharing.download(up.fileId, {dest: out});
    await assert.rejects(run.done, (error: Error & {code?: string}) => {
      assert.equal(error.code, 'ENOPEER');
      assert.match(error.message, /No live peer has the 8 missing chunks of changing\.bin/);
      assert.match(
        error.message,
        new RegExp(`Dropped: ${seeder.id} \\(changing\\.bin changed on disk at its sharer`),
      );
      return true;
    });
    assert.ok(
      !readdirSync(out).includes('changing.bin'),
      'nothing under the final name (the .part stays, to resume)',
    );
  },
);

test('CHUNK with a count answers that many consecutive chunks in one body; a run past the end or over the body limit is EINVAL; a count of 0 closes the connection', async () => {
  const a = await peer('runs');
  const source = randomFile('runs.bin', 10 * 4096 + 7);
  const up = await a.sharing.upload(source, {chunkSize: 4096});
  const bytes = readFileSync(source);
  const client = await connect({
    host: '127.0.0.1',
    port: a.port,
    hello: {peer: 'run-client', role: 'client', name: 'run-client'},
    secret,
  });
  try {
    const run = await client.request({type: 'CHUNK', fileId: up.fileId, index: 8, count: 3});
    assert.equal(run.index, 8);
    assert.equal(run.count, 3);
    assert.deepEqual(Buffer.from(run.body!), bytes.subarray(8 * 4096)); // the last chunk is short
    const one = await client.request({type: 'CHUNK', fileId: up.fileId, index: 2, count: 1});
    assert.deepEqual(Buffer.from(one.body!), bytes.subarray(2 * 4096, 3 * 4096));
    await assert.rejects(client.request({type: 'CHUNK', fileId: up.fileId, index: 9, count: 3}), {
      code: 'EINVAL',
      message: /out of range/,
    });
    const big = await a.sharing.upload(randomFile('big-runs.bin', 9 * 1024 * 1024), {chunkSize: 256 * 1024});
    await assert.rejects(client.request({type: 'CHUNK', fileId: big.fileId, index: 0, count: 33}), {
      code: 'EINVAL',
      message: /over the 8388608-byte answer limit/,
    });
    // A count that is not 1 to 64 is not a valid message: the connection is closed, the peer goes on.
    await assert.rejects(client.request({type: 'CHUNK', fileId: up.fileId, index: 0, count: 0}), {
      code: 'ECLOSED',
    });
    assert.ok((await a.sharing.files({})).some((file) => file.fileId === big.fileId));
  } finally {
    client.close('test done');
  }
});
