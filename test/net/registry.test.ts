import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {test, type TestContext} from 'node:test';
import Database from 'better-sqlite3';
import {NetError, type NetErrorCode} from '../../src/net/net-error.js';
import {
  openRegistry,
  type PeerRecord,
  type PeerRegistration,
  type Registry,
  type RegistryOptions,
} from '../../src/net/registry.js';

/** A clock the test moves by hand. */
function fakeClock(start = 0): {now: () => number; advance: (ms: number) => void; set: (ms: number) => void} {
  let time = start;
  return {now: () => time, advance: (ms) => (time += ms), set: (ms) => (time = ms)};
}

function tempFile(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2pos-registry-'));
  t.after(() => fs.rmSync(dir, {recursive: true, force: true}));
  return path.join(dir, 'tracker', 'registry.sqlite');
}

function open(
  t: TestContext,
  file = ':memory:',
  options: Partial<RegistryOptions> = {},
): {registry: Registry; clock: ReturnType<typeof fakeClock>} {
  const clock = fakeClock(1_000);
  const registry = openRegistry(file, {now: clock.now, heartbeatMs: 3_000, ...options});
  t.after(() => registry.close());
  return {registry, clock};
}

function peer(id: string, port = 9000): PeerRegistration {
  return {id, name: `name-${id}`, host: '127.0.0.1', port, version: 1};
}

function beat(ready: number, tasks = 0, queue = 0, tasksDone = 0) {
  return {ready, tasks, queue, tasksDone};
}

function assertNetError(run: () => unknown, code: NetErrorCode, mentions: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof NetError, `expected a NetError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.ok(error.message.includes(mentions), `message should mention ${mentions}: ${error.message}`);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

test('register returns the stored record, alive, with no load yet', (t) => {
  const {registry} = open(t);
  const record = registry.register(peer('p1'));
  assert.deepEqual(record, {
    id: 'p1',
    name: 'name-p1',
    host: '127.0.0.1',
    port: 9000,
    version: 1,
    registeredAt: 1_000,
    lastHeartbeat: 1_000,
    load: {ready: 0, tasks: 0},
    queue: 0,
    tasksDone: 0,
    rttMs: null,
    assigned: 0,
    alive: true,
  } satisfies PeerRecord);
  assert.deepEqual(registry.get('p1'), record);
  assert.equal(registry.get('nobody'), undefined);
});

test('the least loaded live peer is chosen: load, then response time (unknown last), then id', (t) => {
  const {registry} = open(t);
  for (const id of ['d', 'c', 'b', 'a']) registry.register(peer(id));
  registry.heartbeat('a', beat(2, 1, 0)); // load 3
  registry.heartbeat('b', beat(0, 1, 1)); // load 2
  registry.heartbeat('c', beat(1, 0, 1)); // load 2
  registry.heartbeat('d', beat(0, 0, 2)); // load 2: queue counts too
  assert.equal(registry.leastLoaded()?.id, 'b', 'equal load, no response times: lower id');
  registry.recordResponseTime('d', 50);
  assert.equal(registry.leastLoaded()?.id, 'd', 'a known response time beats an unknown one');
  registry.recordResponseTime('c', 20);
  assert.equal(registry.leastLoaded()?.id, 'c', 'the lower response time wins');
  registry.heartbeat('a', beat(0, 0, 1)); // load 1
  assert.equal(registry.leastLoaded()?.id, 'a', 'load first, whatever the response time');
  assert.equal(registry.leastLoaded({exclude: new Set(['a'])})?.id, 'c');
  assert.equal(registry.leastLoaded({exclude: new Set(['a', 'c', 'x'])})?.id, 'd');
  assert.equal(registry.leastLoaded({exclude: new Set(['a', 'b', 'c', 'd'])}), undefined);
});

test('response times are a moving average weighted 1/8 on the new sample', (t) => {
  const {registry} = open(t);
  registry.register(peer('p'));
  registry.recordResponseTime('p', 100);
  assert.equal(registry.get('p')?.rttMs, 100);
  registry.recordResponseTime('p', 200);
  assert.equal(registry.get('p')?.rttMs, 112.5);
  registry.heartbeat('p', {...beat(0), rttMs: 12.5}); // a peer-reported sample goes into the same average
  assert.equal(registry.get('p')?.rttMs, 100);
  registry.heartbeat('p', {...beat(0), rttMs: null});
  assert.equal(registry.get('p')?.rttMs, 100);
});

test('assign counts a task against a peer until its next heartbeat', (t) => {
  const {registry} = open(t);
  registry.register(peer('a'));
  registry.register(peer('b'));
  assert.equal(registry.leastLoaded()?.id, 'a');
  registry.assign('a');
  assert.equal(registry.leastLoaded()?.id, 'b');
  registry.assign('b');
  registry.assign('b');
  assert.equal(registry.leastLoaded()?.id, 'a');
  assert.equal(registry.get('b')?.assigned, 2);
  registry.heartbeat('b', beat(0));
  assert.equal(registry.get('b')?.assigned, 0);
  assert.equal(registry.leastLoaded()?.id, 'b');
  assertNetError(() => registry.assign('nobody'), 'ENOENT', '"nobody"');
});

test('a peer is dead after three missed beats, is never chosen, and revives on a heartbeat', (t) => {
  const {registry, clock} = open(t);
  registry.register(peer('a'));
  registry.register(peer('b'));
  registry.heartbeat('b', beat(5)); // a is the less loaded
  clock.advance(3_000);
  registry.heartbeat('b', beat(5));
  clock.advance(6_000); // a: 9 s since its last sign of life, exactly three beats
  assert.deepEqual(registry.sweep(), []);
  clock.advance(1);
  assert.deepEqual(registry.sweep(), ['a']);
  assert.deepEqual(registry.sweep(), [], 'only newly dead peers are reported');
  assert.equal(registry.get('a')?.alive, false);
  assert.equal(registry.leastLoaded()?.id, 'b');
  clock.advance(3_000);
  assert.deepEqual(registry.sweep(), ['b']);
  assert.equal(registry.leastLoaded(), undefined);
  registry.heartbeat('a', beat(0));
  assert.equal(registry.get('a')?.alive, true);
  assert.equal(registry.get('a')?.lastHeartbeat, clock.now());
  assert.equal(registry.leastLoaded()?.id, 'a');
});

test('sweep reports the longest silent first and leaves recently heard peers alone', (t) => {
  const {registry, clock} = open(t);
  for (const id of ['a', 'b', 'c', 'd']) {
    registry.register(peer(id));
    clock.advance(1_000);
  }
  registry.heartbeat('a', beat(0)); // a moves to the back of the line
  clock.advance(7_500); // t = 12.5 s: b (2 s) and c (3 s) are over 9 s silent, d (4 s) is not
  assert.deepEqual(registry.sweep(), ['b', 'c']);
  assert.deepEqual(
    registry.list().map((record) => [record.id, record.alive]),
    [
      ['a', true],
      ['b', false],
      ['c', false],
      ['d', true],
    ],
  );
});

test('re-registering updates the address, keeps the first registration time, and revives', (t) => {
  const {registry, clock} = open(t);
  registry.register(peer('p'));
  registry.heartbeat('p', beat(1, 2, 3, 4));
  clock.advance(20_000);
  assert.deepEqual(registry.sweep(), ['p']);
  const record = registry.register({id: 'p', name: 'renamed', host: '10.0.0.2', port: 9100, version: 2});
  assert.equal(record.alive, true);
  assert.equal(record.registeredAt, 1_000);
  assert.equal(record.lastHeartbeat, 21_000);
  assert.deepEqual([record.name, record.host, record.port, record.version], ['renamed', '10.0.0.2', 9100, 2]);
  assert.deepEqual(record.load, {ready: 1, tasks: 2}, 'load is kept until the next heartbeat');
  assert.equal(registry.leastLoaded()?.id, 'p');
});

test('unregister forgets a peer; its heartbeats then get ENOENT so it registers again', (t) => {
  const {registry} = open(t);
  registry.register(peer('p'));
  assert.equal(registry.unregister('p'), true);
  assert.equal(registry.unregister('p'), false);
  assert.equal(registry.get('p'), undefined);
  assert.equal(registry.leastLoaded(), undefined);
  assertNetError(() => registry.heartbeat('p', beat(0)), 'ENOENT', 'register again');
  assertNetError(() => registry.recordResponseTime('p', 1), 'ENOENT', '"p"');
});

test('bad registrations and heartbeats are EINVAL and change nothing', (t) => {
  const {registry} = open(t);
  registry.register(peer('p'));
  const before = registry.get('p');
  assertNetError(() => registry.heartbeat('p', beat(-1)), 'EINVAL', 'ready -1');
  assertNetError(() => registry.heartbeat('p', beat(0, 1.5)), 'EINVAL', 'tasks 1.5');
  assertNetError(() => registry.heartbeat('p', beat(0, 0, Number.NaN)), 'EINVAL', 'queue NaN');
  assertNetError(
    () => registry.heartbeat('p', {ready: 0, tasks: 0, queue: 0} as never),
    'EINVAL',
    'tasksDone undefined',
  );
  assertNetError(() => registry.heartbeat('p', {...beat(0), rttMs: -5}), 'EINVAL', '-5');
  assertNetError(() => registry.recordResponseTime('p', Infinity), 'EINVAL', 'Infinity');
  assert.deepEqual(registry.get('p'), before);
  assertNetError(() => registry.register({...peer(''), id: ''}), 'EINVAL', 'Peer id ""');
  assertNetError(() => registry.register(peer('x'.repeat(65))), 'EINVAL', '1 to 64 characters');
  assertNetError(() => registry.register(peer('q', 0)), 'EINVAL', 'port 0');
  assertNetError(() => registry.register(peer('q', 65_536)), 'EINVAL', 'port 65536');
  assertNetError(() => registry.register(peer('q', 80.5)), 'EINVAL', 'port 80.5');
  assertNetError(() => registry.register({...peer('q'), host: ''}), 'EINVAL', 'host ""');
  assertNetError(() => registry.register({...peer('q'), version: 0}), 'EINVAL', 'version 0');
  assert.equal(registry.get('q'), undefined);
  assertNetError(() => openRegistry(':memory:', {now: () => 0, heartbeatMs: 0}), 'EINVAL', 'heartbeatMs 0');
  assertNetError(
    () => openRegistry(':memory:', {now: () => 0, missedBeats: 2.5}),
    'EINVAL',
    'missedBeats 2.5',
  );
  assertNetError(() => openRegistry('', {now: () => 0}), 'EINVAL', 'path is empty');
});

test('peers, their load and settings survive a reopen, as not alive until they heartbeat', (t) => {
  const file = tempFile(t);
  const first = open(t, file);
  first.registry.register(peer('a', 9001));
  first.registry.register(peer('b', 9002));
  first.registry.register(peer('gone'));
  first.registry.heartbeat('a', beat(1, 2, 3, 40));
  first.registry.recordResponseTime('a', 80);
  first.registry.unregister('gone');
  first.registry.setSetting('motd', {text: 'hello', n: [1, 2]});
  first.registry.setSetting('removed', 1);
  first.registry.setSetting('removed', undefined);
  const before = first.registry.list();
  first.registry.close();

  const second = open(t, file);
  second.clock.set(50_000);
  const after = second.registry.list();
  assert.deepEqual(
    after,
    before.map((record) => ({...record, alive: false})),
  );
  assert.equal(second.registry.leastLoaded(), undefined, 'nobody is alive after a restart');
  assert.deepEqual(second.registry.setting('motd'), {text: 'hello', n: [1, 2]});
  assert.equal(second.registry.setting('removed'), undefined);
  second.registry.heartbeat('b', beat(0)); // known from the file: no need to register again
  assert.equal(second.registry.leastLoaded()?.id, 'b');
  assert.equal(second.registry.get('b')?.lastHeartbeat, 50_000);
});

test('registrations reach the file at once; heartbeats in batches, once flushMs has passed', (t) => {
  const file = tempFile(t);
  const {registry, clock} = open(t, file, {flushMs: 1_000});
  const reader = () => {
    const db = new Database(file, {readonly: true});
    try {
      return db.prepare('SELECT id, ready FROM peers ORDER BY id').all();
    } finally {
      db.close();
    }
  };
  registry.register(peer('a'));
  assert.deepEqual(reader(), [{id: 'a', ready: 0}], 'a crash now would not lose the registration');
  registry.heartbeat('a', beat(7));
  clock.advance(999);
  registry.heartbeat('a', beat(8));
  assert.deepEqual(reader(), [{id: 'a', ready: 0}], 'the batch is not due yet');
  clock.advance(1);
  registry.sweep(); // a quiet tracker's sweep writes the due batch too
  assert.deepEqual(reader(), [{id: 'a', ready: 8}]);
  registry.heartbeat('a', beat(9));
  registry.flush();
  assert.deepEqual(reader(), [{id: 'a', ready: 9}]);
});

test('a closed registry throws EBADF; closing twice is fine', (t) => {
  const {registry} = open(t);
  registry.close();
  registry.close();
  assertNetError(() => registry.register(peer('p')), 'EBADF', 'closed');
  assertNetError(() => registry.leastLoaded(), 'EBADF', 'closed');
});

test('a file that is not a registry is EIO; one from a newer p2pos is ENOTSUP', (t) => {
  const file = tempFile(t);
  fs.mkdirSync(path.dirname(file), {recursive: true});
  fs.writeFileSync(file, 'not a database, just text that is long enough to be read as a header '.repeat(10));
  assertNetError(() => openRegistry(file, {now: () => 0}), 'EIO', file);
  fs.rmSync(file);
  const db = new Database(file);
  db.pragma('user_version = 99');
  db.close();
  assertNetError(() => openRegistry(file, {now: () => 0}), 'ENOTSUP', 'schema version 99');
});

/** A small deterministic generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let value = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** The least loaded the slow way: every live peer, sorted by the same rule. */
function bruteForce(registry: Registry, exclude: ReadonlySet<string>): string | undefined {
  const candidates = registry.list().filter((record) => record.alive && !exclude.has(record.id));
  const load = (r: PeerRecord) => r.load.ready + r.load.tasks + r.queue + r.assigned;
  candidates.sort(
    (a, b) =>
      load(a) - load(b) ||
      (a.rttMs ?? Infinity) - (b.rttMs ?? Infinity) ||
      (a.rttMs === null ? 1 : 0) - (b.rttMs === null ? 1 : 0) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return candidates[0]?.id;
}

test('with 10,000 peers and random beats, deaths and exclusions the choice matches a full sort', (t) => {
  const {registry, clock} = open(t, ':memory:', {heartbeatMs: 1_000, missedBeats: 3});
  const next = random(4);
  const pick = (n: number) => Math.floor(next() * n);
  const ids = Array.from({length: 10_000}, (_, i) => `peer-${String(i).padStart(5, '0')}`);
  for (const id of ids) registry.register(peer(id));
  for (let step = 0; step < 30_000; step += 1) {
    const id = ids[pick(ids.length)]!;
    const roll = next();
    if (registry.get(id) === undefined) registry.register(peer(id));
    else if (roll < 0.6) registry.heartbeat(id, beat(pick(4), pick(3), pick(3), step));
    else if (roll < 0.75) registry.recordResponseTime(id, pick(5) * 10);
    else if (roll < 0.85) registry.assign(id);
    else if (roll < 0.86) registry.unregister(id);
    else if (roll < 0.87) registry.register(peer(id));
    if (step % 1_000 === 999) {
      clock.advance(1_100); // about three sweeps' worth of silence kills the peers that did not beat lately
      registry.sweep();
    }
    if (step % 250 === 0) {
      // The next few in line, as a tracker placing a batch would skip them, plus some random ones.
      const exclude = new Set<string>();
      for (let i = pick(30); i > 0; i -= 1) exclude.add(registry.leastLoaded({exclude})?.id ?? '');
      for (let i = 0; i < 5; i += 1) exclude.add(ids[pick(ids.length)]!);
      assert.equal(registry.leastLoaded()?.id, bruteForce(registry, new Set()), `step ${step}`);
      assert.equal(
        registry.leastLoaded({exclude})?.id,
        bruteForce(registry, exclude),
        `step ${step}, excluding`,
      );
    }
  }
  const records = registry.list();
  const alive = records.filter((record) => record.alive).length;
  assert.ok(alive > 0 && alive < records.length, `some alive, some dead (${alive} of ${records.length})`);
  assert.ok(records.length > 9_000);
});
