// Replication between twin trackers (src/net/replication.ts, change-log.ts, tracker-replication.ts):
// apply idempotence, per-origin ordering, last-writer-wins, catch-up from a cursor, ids that survive a
// restart, a twin taken on by TWIN and kept; then two in-process trackers on 127.0.0.1 replicating peers and files over real TCP.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {test, type TestContext} from 'node:test';
import {connect, type Connection, type Reply} from '../../src/net/connection.js';
import {openFileRegistry} from '../../src/net/file-registry.js';
import type {WireChange} from '../../src/net/messages.js';
import {openRegistry} from '../../src/net/registry.js';
import {openReplication, type Change, type Replication} from '../../src/net/replication.js';
import {startTracker, type Tracker} from '../../src/net/tracker.js';
import {fileStore, peerStore} from '../../src/net/tracker-replication.js';
import {freePort} from '../support/free-port.js';

/** A store of notes: key -> text, null deletes; counts the applies that changed something. */
function noteStore(kind = 'notes') {
  const notes = new Map<string, string>();
  let applied = 0;
  return {
    notes,
    applied: () => applied,
    store: {
      kind,
      keyOf: (change: {key: string; text: string | null}) => change.key,
      apply(change: {key: string; text: string | null}) {
        applied += 1;
        if (change.text === null) return notes.delete(change.key);
        const changed = notes.get(change.key) !== change.text;
        notes.set(change.key, change.text);
        return changed;
      },
    },
  };
}

function open(t: TestContext, file = ':memory:', now = () => 1_000): Replication {
  const replication = openReplication({path: file, now});
  t.after(() => replication.close());
  return replication;
}

/** Two trackers' replications, a with notes `local` (changes made with `record`) and b with `remote`. */
function twoWithNotes(t: TestContext, now?: () => number) {
  const a = open(t, ':memory:', now);
  const b = open(t);
  const local = noteStore();
  const remote = noteStore();
  const record = a.plug(local.store);
  b.plug(remote.store);
  return {a, b, local, remote, record};
}

function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2pos-replication-'));
  t.after(() => fs.rmSync(dir, {recursive: true, force: true}));
  return dir;
}

/** Stands in for the twin's connection in serve(): a tracker's HELLO. */
const twinConnection = {
  remote: {type: 'HELLO', v: 1, peer: 'tracker-twin', role: 'tracker', name: 't'},
} as unknown as Connection;

test('a change applied twice, or an older one after a newer, leaves the same state', (t) => {
  const clock = {time: 1_000};
  const {a, b, local, remote, record} = twoWithNotes(t, () => clock.time);

  const first = record({key: 'k', text: 'one'});
  clock.time += 10;
  const second = record({key: 'k', text: 'two'});
  assert.deepEqual([first.seq, second.seq], [1, 2]);
  assert.ok(second.at > first.at);

  assert.deepEqual(b.applyBatch([first, second]), {[a.id]: 2});
  assert.equal(remote.notes.get('k'), 'two');
  assert.deepEqual(b.applyBatch([first, second]), {[a.id]: 2}, 'a batch again is skipped');
  assert.equal(remote.applied(), 2);
  assert.equal(remote.notes.get('k'), 'two');

  // Another origin's older change to the same record is logged but loses (last writer wins).
  const stale: Change = {
    origin: 'tracker-old',
    seq: 1,
    kind: 'notes',
    key: 'k',
    at: first.at,
    data: {key: 'k', text: 'stale'},
  };
  b.applyBatch([stale]);
  assert.equal(remote.notes.get('k'), 'two');
  assert.equal(b.changeLog.cursor('tracker-old'), 1);
  // A tie on time goes to the greater origin id.
  const tie = {...stale, seq: 1, origin: 'tracker-zzz', at: second.at, data: {key: 'k', text: 'tie'}};
  b.applyBatch([tie]);
  assert.equal(remote.notes.get('k'), 'tie');
});

test('changes of one origin apply in the order made: one after a gap waits for those before it', (t) => {
  const {a, b, local, remote, record} = twoWithNotes(t);
  const changes = ['x', 'y', 'z'].map((key) => record({key, text: key.toUpperCase()}));

  assert.deepEqual(b.applyBatch([changes[1]!, changes[2]!]), {[a.id]: 0}, 'nothing past the gap');
  assert.equal(remote.notes.size, 0);
  assert.deepEqual(b.applyBatch([changes[0]!, changes[2]!]), {[a.id]: 1}, 'stops at the new gap');
  assert.deepEqual(b.applyBatch(changes), {[a.id]: 3});
  assert.deepEqual(
    [...remote.notes],
    [
      ['x', 'X'],
      ['y', 'Y'],
      ['z', 'Z'],
    ],
  );
});

test('a local change is stamped past the version it replaces, so it wins on a lagging clock', (t) => {
  const a = open(t, ':memory:', () => 500);
  const notes = noteStore();
  const record = a.plug(notes.store);
  a.applyBatch([
    {origin: 'tracker-fast', seq: 1, kind: 'notes', key: 'k', at: 9_000, data: {key: 'k', text: 'theirs'}},
  ]);
  assert.equal(notes.notes.get('k'), 'theirs');
  const mine = record({key: 'k', text: 'mine'});
  assert.equal(mine.at, 9_001, "just past the twin's version, not the lagging 500");
  assert.deepEqual(a.changeLog.version('notes', 'k'), {at: 9_001, origin: a.id});
  assert.equal(record({key: 'other', text: 'x'}).at, 500, 'a record with no version: the clock');
});

test('CHANGES answers a twin from its cursor, blobs in the body; the twin catches up from it', (t) => {
  const {a, b, local, remote, record} = twoWithNotes(t);
  for (let index = 1; index <= 5; index += 1)
    record({key: `k${index}`, text: `v${index}`}, index === 4 ? Buffer.from('blob-4') : undefined);

  const answer = a.serve(
    {type: 'CHANGES', id: 1, origin: a.id, since: 2, limit: 100},
    twinConnection,
    Buffer.alloc(0),
  ) as Reply;
  const header = answer.fields.changes as WireChange[];
  assert.deepEqual(
    header.map((change) => change.seq),
    [3, 4, 5],
  );
  assert.deepEqual(
    header.map((change) => change.blobBytes),
    [0, 6, 0],
  );
  assert.equal(Buffer.from(answer.body).toString(), 'blob-4');
  assert.deepEqual(answer.fields.cursors, {[a.id]: 5});

  // The twin has 1 and 2 already; REPLICATE with the rest brings it to 5.
  b.applyBatch(a.changeLog.since(a.id, 0, {maxChanges: 2, maxBlobBytes: 1e6}));
  const reply = b.serve(
    {type: 'REPLICATE', id: 2, origin: a.id, changes: header, soft: []},
    twinConnection,
    Buffer.from(answer.body),
  ) as Record<string, unknown>;
  assert.deepEqual(reply, {cursor: 5});
  assert.equal(remote.notes.size, 5);
  assert.equal(b.changeLog.since(a.id, 3, {maxChanges: 1, maxBlobBytes: 0})[0]?.blob?.toString(), 'blob-4');
});

test('only a tracker may send REPLICATE or CHANGES', (t) => {
  const a = open(t);
  const peer = {remote: {type: 'HELLO', v: 1, peer: 'p-1', role: 'peer', name: 'p'}} as unknown as Connection;
  assert.throws(
    () => a.serve({type: 'CHANGES', id: 1, origin: a.id, since: 0, limit: 10}, peer, Buffer.alloc(0)),
    {code: 'EPERM'},
  );
});

test('the tracker id and every cursor survive a restart of the change log', (t) => {
  const file = path.join(tempDir(t), 'tracker-changes.sqlite');
  const first = openReplication({path: file});
  const id = first.id;
  const record = first.plug(noteStore().store);
  record({key: 'a', text: 'A'});
  first.applyBatch([
    {origin: 'tracker-twin', seq: 1, kind: 'notes', key: 'b', at: 1, data: {key: 'b', text: 'B'}},
  ]);
  first.close();

  const again = open(t, file);
  assert.equal(again.id, id);
  assert.deepEqual(again.changeLog.cursors(), {[id]: 1, 'tracker-twin': 1});
  const recordAgain = again.plug(noteStore().store);
  assert.equal(recordAgain({key: 'c', text: 'C'}).seq, 2, 'numbering goes on');
});

test('a tracker with no twin takes the one that says TWIN, keeps it across restarts, and refuses a third', async (t) => {
  const file = path.join(tempDir(t), 'tracker-changes.sqlite');
  const closed = {host: '127.0.0.1', port: await freePort()}; // dialled, never answered: nothing listens
  const taken: unknown[] = [];
  const first = openReplication({path: file, onTwin: (twin) => taken.push(twin)});
  assert.equal(first.twin, undefined);
  const twin = (request: {host: string; port: number}, connection = twinConnection) =>
    first.serve({type: 'TWIN', id: 1, ...request}, connection, Buffer.alloc(0));
  assert.deepEqual(twin(closed), {twin: `127.0.0.1:${closed.port}`, isNew: true});
  assert.deepEqual(first.twin, closed);
  assert.deepEqual(taken, [closed], 'the tracker is told, to print a join line naming both');
  assert.deepEqual(twin({host: 'localhost', port: closed.port}), {
    twin: `127.0.0.1:${closed.port}`,
    isNew: false,
  });
  const third = {
    remote: {type: 'HELLO', v: 1, peer: 'tracker-third', role: 'tracker', name: 't'},
  } as unknown as Connection;
  assert.throws(() => twin({host: '127.0.0.1', port: closed.port + 1}, third), {
    code: 'EEXIST',
    message: new RegExp(
      `twin at 127\\.0\\.0\\.1:${closed.port}.*--peer-tracker 127\\.0\\.0\\.1:${closed.port + 1}`,
    ),
  });
  const peer = {remote: {type: 'HELLO', v: 1, peer: 'p-1', role: 'peer', name: 'p'}} as unknown as Connection;
  assert.throws(() => twin(closed, peer), {code: 'EPERM'});
  first.close();

  const again = openReplication({path: file});
  assert.deepEqual(again.twin, closed, 'kept in the change log');
  again.close();
  const alone = openReplication({path: file, twin: null});
  assert.equal(alone.twin, undefined, 'null forgets it');
  alone.close();
  assert.equal(open(t, file).twin, undefined);
});

test('registry and file registry apply replicated changes idempotently, unregistration and unsharing too', (t) => {
  const now = () => 10_000;
  const registry = openRegistry(':memory:', {now, heartbeatMs: 1_000});
  const files = openFileRegistry(':memory:', {now});
  t.after(() => {
    registry.close();
    files.close();
  });
  const peers = peerStore(registry);
  const shared = fileStore(files);
  const peer = {id: 'p-1', name: 'alpha', host: '127.0.0.1', port: 9001, version: 1};
  assert.equal(peers.apply({op: 'registered', peer}, 9_500, undefined), true);
  assert.equal(peers.apply({op: 'registered', peer}, 9_500, undefined), false);
  assert.equal(registry.get('p-1')?.alive, true, 'registered 500 ms ago: alive');
  assert.equal(peers.apply({op: 'registered', peer: {...peer, id: 'p-old'}}, 1_000, undefined), true);
  assert.equal(registry.get('p-old')?.alive, false, 'registered long ago: not alive until it beats');

  const hashes = Buffer.alloc(32, 7);
  const fileId = hashes.toString('hex');
  const file = {
    fileId,
    name: 'one.bin',
    size: 100,
    chunkSize: 4096,
    chunkCount: 1,
    owner: 'alpha',
    group: null,
  };
  assert.equal(shared.apply({op: 'file', file}, 9_000, hashes), true);
  assert.equal(shared.apply({op: 'file', file}, 9_000, hashes), false);
  assert.equal(files.resolve(fileId).sharedAt, 9_000, "the origin's time");
  assert.equal(shared.apply({op: 'holding', fileId, peerId: 'p-1', have: 1}, 9_000, undefined), true);
  assert.equal(shared.apply({op: 'holding', fileId, peerId: 'p-1', have: 1}, 9_000, undefined), false);
  assert.equal(files.holding(fileId, 'p-1'), 1);
  assert.equal(shared.apply({op: 'holding', fileId, peerId: 'p-1', have: null}, 9_100, undefined), true);
  assert.equal(shared.apply({op: 'holding', fileId, peerId: 'p-1', have: null}, 9_100, undefined), false);
  assert.equal(peers.apply({op: 'unregistered', peerId: 'p-1'}, 9_200, undefined), true);
  assert.equal(peers.apply({op: 'unregistered', peerId: 'p-1'}, 9_200, undefined), false);
  assert.equal(registry.get('p-1'), undefined);
  assert.throws(
    () => shared.apply({op: 'holding', fileId: 'f'.repeat(64), peerId: 'p-1', have: 1}, 1, undefined),
    {
      code: 'ENOENT',
    },
  );
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`Waited ${timeoutMs} ms for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test(
  'two trackers replicate registrations and files over TCP, and a restarted one catches up',
  {timeout: 30_000},
  async (t) => {
    const dir = tempDir(t);
    const portB = await freePort();
    const options = (name: string) => ({
      host: '127.0.0.1',
      dbPath: path.join(dir, name, 'tracker.sqlite'),
      heartbeatMs: 200,
    });
    const a = await startTracker({...options('a'), port: 0, peerTracker: {host: '127.0.0.1', port: portB}});
    let b: Tracker = await startTracker({
      ...options('b'),
      port: portB,
      peerTracker: {host: '127.0.0.1', port: a.port},
    });
    const idB = b.id;
    t.after(async () => {
      await a.close();
      await b.close();
    });

    /** REGISTER (and SHARE one file) at A as peer `id`, the way a peer does. */
    const join = async (id: string, byte: number) => {
      const link = await connect({host: a.host, port: a.port, hello: {peer: id, role: 'peer', name: id}});
      t.after(() => link.close('done'));
      await link.request({type: 'REGISTER', peer: {id, name: id, host: '127.0.0.1', port: 9000 + byte}});
      const hashes = Buffer.alloc(32, byte);
      const fileId = hashes.toString('hex');
      await link.request(
        {
          type: 'SHARE',
          peerId: id,
          file: {fileId, name: `${id}.bin`, size: 10, chunkSize: 4096, chunkCount: 1, group: null},
        },
        undefined,
        hashes,
      );
      return fileId;
    };

    const first = await join('p-first', 1);
    await waitFor(
      () => b.registry.get('p-first')?.alive === true,
      'B to list the peer registered at A, alive',
    );
    await waitFor(() => b.files.holding(first, 'p-first') === 1, 'B to know who holds the file');
    assert.equal(b.files.resolve(first).name, 'p-first.bin');

    await b.close();
    const second = await join('p-second', 2);
    b = await startTracker({...options('b'), port: portB, peerTracker: {host: '127.0.0.1', port: a.port}});
    assert.equal(b.id, idB, 'the restarted tracker keeps its id');
    assert.ok(b.registry.get('p-first'), 'and what it knew (SQLite)');
    await waitFor(() => b.files.holding(second, 'p-second') === 1, 'B to catch up with what A did meanwhile');
    assert.equal(b.replication.changeLog.cursor(a.id), a.replication.changeLog.cursor(a.id));
  },
);

test(
  'accounts replicate: a user, a group and its members made at one tracker are known at the other, sessions too',
  {timeout: 30_000},
  async (t) => {
    const dir = tempDir(t);
    const portB = await freePort();
    const secret = Buffer.alloc(32, 7); // both trackers sign and check sessions with the network's secret
    const options = (name: string) => ({
      host: '127.0.0.1',
      dbPath: path.join(dir, name, 'tracker.sqlite'),
      heartbeatMs: 200,
      secret,
      accounts: {scrypt: {N: 1024}},
    });
    const a = await startTracker({...options('a'), port: 0, peerTracker: {host: '127.0.0.1', port: portB}});
    let b: Tracker = await startTracker({
      ...options('b'),
      port: portB,
      peerTracker: {host: '127.0.0.1', port: a.port},
    });
    t.after(async () => {
      await a.close();
      await b.close();
    });

    await a.accounts.addUser('alice', 'alice-password');
    await a.accounts.addUser('bob', 'bob-password');
    a.accounts.createGroup('lab', 'alice');
    a.accounts.requestJoin('lab', 'bob');
    a.accounts.accept('lab', 'alice', 'bob');
    await waitFor(() => b.accounts.isMember('lab', 'bob'), "B to know bob joined A's group lab");
    assert.equal(b.accounts.listGroups('alice')[0]?.relation, 'owner');
    // The password hash travelled: alice logs in at B, and a session from A is good at B.
    await b.accounts.checkPassword('alice', 'alice-password', '127.0.0.1');
    const session = await a.accounts.login('bob', 'bob-password', '127.0.0.1');
    assert.equal(b.accounts.verifySession(session.token).user, 'bob');

    // Made while B is down, caught up when it is back.
    await b.close();
    a.accounts.leave('lab', 'bob');
    b = await startTracker({...options('b'), port: portB, peerTracker: {host: '127.0.0.1', port: a.port}});
    await waitFor(() => !b.accounts.isMember('lab', 'bob'), 'B to learn bob left lab while it was down');
  },
);
