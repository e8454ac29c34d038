// Accounts between real processes on 127.0.0.1 (test/support/cluster.ts): a tracker, and clients that
// create users, log in, make a group and share files with it. A group's file is listed and served only
// to its members' sessions; a peer refuses a chunk request without one; leaving takes access away at
// once. Wrong passwords are refused with one answer, and repeated failures are made to wait.

import assert from 'node:assert/strict';
import {randomFillSync} from 'node:crypto';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {connect} from '../../src/net/connection.js';
import {ensureBuilt} from '../support/binary.js';
import {Cluster, dataOf, type Session} from '../support/cluster.js';

const TEST_TIMEOUT_MS = 60_000;

describe('accounts and groups across processes', {timeout: TEST_TIMEOUT_MS}, () => {
  const cluster = new Cluster();
  let dir: string;
  let alice: Session;
  let bob: Session;
  let secretFile: string;
  let publicFile: string;
  let alicePeer: {id: string; host: string; port: number};

  before(async () => {
    ensureBuilt();
    dir = cluster.dataDir();
    await cluster.startTracker();
    writeFileSync(join(dir, 'alice.pw'), 'correct horse battery\n');
    writeFileSync(join(dir, 'bob.pw'), 'bobs password 123\n');
    secretFile = join(dir, 'plans.bin');
    writeFileSync(secretFile, randomFillSync(Buffer.alloc(200_000)));
    publicFile = join(dir, 'readme.txt');
    writeFileSync(publicFile, 'for everyone\n');
    [alice, bob] = await Promise.all([cluster.session(), cluster.session()]);
    const pw = (who: string) => `--password-file ${join(dir, `${who}.pw`)}`;
    for (const [session, who] of [
      [alice, 'alice'],
      [bob, 'bob'],
    ] as const) {
      assert.equal((await session.send(`useradd ${who} ${pw(who)}`)).ok, true);
      assert.equal((await session.send(`login ${who} ${pw(who)}`)).ok, true);
    }
    const address = dataOf<{id: string; address: string}>(await alice.send('net'), 'net');
    const [host, port] = address.address.split(':') as [string, string];
    alicePeer = {id: address.id, host, port: Number(port)};
  });
  after(() => cluster.close());

  let labFileId: string;

  test('a group file is listed only to members; a public one to everyone', async () => {
    assert.equal((await alice.send('group create lab')).ok, true);
    labFileId = dataOf<{fileId: string}>(
      await alice.send(`upload ${secretFile} --group lab --chunk-size 16K`),
      'upload',
    ).fileId;
    assert.equal((await alice.send(`upload ${publicFile}`)).ok, true);

    const aliceSees = dataOf<{files: {name: string}[]}>(await alice.send('files'), 'files').files;
    assert.deepEqual(aliceSees.map((file) => file.name).sort(), ['plans.bin', 'readme.txt']);
    const bobSees = dataOf<{files: {name: string}[]}>(await bob.send('files'), 'files').files;
    assert.deepEqual(
      bobSees.map((file) => file.name),
      ['readme.txt'],
    );
    const refused = await bob.send(`download ${labFileId} ${join(dir, 'bob-1')}`);
    assert.equal(refused.ok, false);
    assert.equal(refused.code, 'ENOENT', refused.error); // not even its existence is told
  });

  test('a peer refuses chunks of a group file to a request without a member session', async () => {
    const connection = await connect({
      host: alicePeer.host,
      port: alicePeer.port,
      hello: {peer: 'test-prober', role: 'client', name: 'prober'},
      secret: cluster.secret,
    });
    try {
      await assert.rejects(
        connection.request({type: 'CHUNK', fileId: labFileId, index: 0, count: 1}),
        (error: {code?: string}) => error.code === 'EACCES',
      );
      await assert.rejects(
        connection.request({type: 'CHUNK', fileId: labFileId, index: 0, count: 1, token: 'v1.forged.token'}),
        (error: {code?: string}) => error.code === 'EAUTH',
      );
    } finally {
      connection.close('test done');
    }
  });

  test('a member downloads the group file, and loses access at once on leaving', async () => {
    assert.equal((await bob.send('group join lab')).ok, true);
    const pending = dataOf<{requests: {user: string}[]}>(await alice.send('group requests lab'), 'requests');
    assert.deepEqual(
      pending.requests.map((request) => request.user),
      ['bob'],
    );
    assert.equal((await alice.send('group accept lab bob')).ok, true);

    const listed = dataOf<{files: {name: string}[]}>(await bob.send('files'), 'files').files;
    assert.ok(listed.some((file) => file.name === 'plans.bin'));
    const got = await bob.send(`download ${labFileId} ${join(dir, 'bob-2.bin')}`, 30_000);
    assert.equal(got.ok, true, got.error);
    assert.deepEqual(readFileSync(join(dir, 'bob-2.bin')), readFileSync(secretFile));

    assert.equal((await bob.send('group leave lab')).ok, true);
    const after = dataOf<{files: {name: string}[]}>(await bob.send('files'), 'files').files;
    assert.ok(!after.some((file) => file.name === 'plans.bin'));
    const again = await bob.send(`download ${labFileId} ${join(dir, 'bob-3.bin')}`);
    assert.equal(again.ok, false);
    assert.equal(again.code, 'ENOENT', again.error);
  });

  test('a download under way stops with EACCES when its user leaves the group', async () => {
    assert.equal((await bob.send('group join lab')).ok, true);
    assert.equal((await alice.send('group accept lab bob')).ok, true);
    // A seeder capped at 512 KiB/s shares a 4 MiB group file as alice: the download takes seconds.
    const big = join(dir, 'dataset.bin');
    writeFileSync(big, randomFillSync(Buffer.alloc(4 * 1024 * 1024)));
    const script = join(dir, 'vault.txt');
    writeFileSync(
      script,
      `login alice --password-file ${join(dir, 'alice.pw')}\nupload ${big} --group lab --chunk-size 16K\n`,
    );
    await cluster.serve({name: 'vault', run: script, args: ['--max-upload', '512K']});
    let fileId: string | undefined;
    for (const until = Date.now() + 10_000; fileId === undefined && Date.now() < until;) {
      const listed = dataOf<{files: {fileId: string; name: string}[]}>(
        await bob.send('files'),
        'files',
      ).files;
      fileId = listed.find((file) => file.name === 'dataset.bin')?.fileId;
      if (fileId === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(fileId, 'the vault shared dataset.bin with lab');
    const started = await bob.send(`download ${fileId} ${join(dir, 'bob-dataset.bin')} --bg`);
    assert.equal(started.ok, true, started.error);
    const progress = async () =>
      dataOf<{downloads: {fileId: string; state: string; bytesDone: number; error: string | null}[]}>(
        await bob.send('downloads'),
        'downloads',
      ).downloads.find((download) => download.fileId === fileId)!;
    const deadline = Date.now() + 10_000;
    while ((await progress()).bytesDone === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok((await progress()).bytesDone > 0, 'the download got going');

    assert.equal((await bob.send('group leave lab')).ok, true);
    let view = await progress();
    while (view.state !== 'failed' && Date.now() < deadline + 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      view = await progress();
    }
    assert.equal(view.state, 'failed');
    assert.match(view.error ?? '', /^EACCES: .*not a member of group lab/);
    assert.ok(view.bytesDone < 4 * 1024 * 1024, 'it stopped part-way');
  });

  test('tasks and memory keys record the user who made them', async () => {
    const bobNet = dataOf<{id: string}>(await bob.send('net'), 'net');
    const ran = await alice.send(
      `exec -e 'function main(x) { return x * 2 }' 21 --peer ${bobNet.id} --no-cache`,
    );
    assert.equal(ran.ok, true, ran.error);
    const history = dataOf<{tasks: {user: string | null; peer: string}[]}>(
      await alice.send('history --tasks'),
      'history',
    );
    assert.equal(history.tasks.at(-1)?.user, 'alice');
    assert.equal((await alice.send(`kv set plan "{\\"v\\":1}" --peer ${bobNet.id}`)).ok, true);
    const entries = dataOf<{entries: {key: string; owner: string}[]}>(
      await bob.send('kv ls'),
      'kv ls',
    ).entries;
    assert.equal(entries.find((entry) => entry.key === 'plan')?.owner, 'user:alice');
  });

  test('a peer started with --no-remote-exec runs no tasks for others and is never placed on', async () => {
    const lazy = await cluster.serve({name: 'lazy', args: ['--no-remote-exec']});
    const refused = await alice.send(`exec -e 'function main() { return 1 }' --peer ${lazy.id}`);
    assert.equal(refused.ok, false);
    assert.equal(refused.code, 'EPERM', refused.error);
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const placed = dataOf<{peer: string}>(
        await alice.send(`exec -e 'function main() { return 2 }' --no-cache`),
        'exec',
      );
      assert.notEqual(placed.peer, lazy.id);
    }
  });

  test('wrong passwords get one answer, and repeated failures must wait', async () => {
    const wrong = await bob.send('login alice --password not-the-password');
    const unknown = await bob.send('login mallory --password not-the-password');
    assert.equal(wrong.code, 'EAUTH');
    assert.equal(unknown.code, 'EAUTH');
    assert.equal(wrong.error, unknown.error);
    let last = wrong;
    for (let attempt = 0; attempt < 6 && last.code !== 'EAGAIN'; attempt += 1)
      last = await bob.send('login alice --password not-the-password');
    assert.equal(last.code, 'EAGAIN', last.error);
    assert.match(last.error ?? '', /wait|try again/i);
    // Bob's own session is untouched by the failures.
    assert.equal(dataOf<{user: string}>(await bob.send('whoami'), 'whoami').user, 'bob');
  });
});
