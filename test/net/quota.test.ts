import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createKvStore} from '../../src/net/kv-store.js';
import {NetError, type NetErrorCode} from '../../src/net/net-error.js';
import {createQuotas, DEFAULT_QUOTA_LIMITS} from '../../src/net/quota.js';

/** A clock the test moves by hand. */
function fakeClock(start = 0): {now: () => number; advance: (ms: number) => void; set: (ms: number) => void} {
  let time = start;
  return {now: () => time, advance: (ms) => (time += ms), set: (ms) => (time = ms)};
}

function assertNetError(run: () => unknown, code: NetErrorCode, message: string | RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof NetError, `expected a NetError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

function take(quotas: ReturnType<typeof createQuotas>, peer: string, count: number): void {
  for (let i = 0; i < count; i += 1) quotas.takeTask(peer);
}

test('the defaults are 600 tasks a minute, 1000 keys and 16 MiB', () => {
  assert.deepEqual(DEFAULT_QUOTA_LIMITS, {
    tasksPerMinute: 600,
    memoryKeys: 1_000,
    storedBytes: 16 * 1024 * 1024,
  });
  assert.deepEqual(createQuotas({tasksPerMinute: undefined}, () => 0).limits, DEFAULT_QUOTA_LIMITS);
});

test('a peer over its task rate gets EQUOTA saying when to try again', () => {
  const clock = fakeClock();
  const quotas = createQuotas({}, clock.now);
  take(quotas, 'p1', 600);
  assertNetError(
    () => quotas.takeTask('p1'),
    'EQUOTA',
    'Peer p1 is over its quota of 600 tasks per minute; try again in 60 s.',
  );
  quotas.takeTask('p2'); // other peers are not affected
  assert.equal(quotas.usage('p1').tasksLastMinute, 600, 'refused tasks are not counted');
});

test('the window slides: tasks leave it a minute after they started', () => {
  const clock = fakeClock();
  const quotas = createQuotas({tasksPerMinute: 600}, clock.now);
  take(quotas, 'p', 300);
  clock.set(30_000);
  take(quotas, 'p', 300);
  assertNetError(() => quotas.takeTask('p'), 'EQUOTA', /try again in 30 s\.$/);
  clock.set(59_999);
  assertNetError(() => quotas.takeTask('p'), 'EQUOTA', /try again in 1 s\.$/);
  assert.equal(quotas.usage('p').tasksLastMinute, 600);
  clock.set(60_000); // the first 300 have left
  assert.equal(quotas.usage('p').tasksLastMinute, 300);
  take(quotas, 'p', 300);
  assertNetError(() => quotas.takeTask('p'), 'EQUOTA', /try again in 30 s\.$/);
  clock.advance(10 * 60_000); // a long silence empties the window
  assert.equal(quotas.usage('p').tasksLastMinute, 0);
  take(quotas, 'p', 600);
});

test('the wait names the second when enough old tasks leave, not just the oldest', () => {
  const clock = fakeClock();
  const quotas = createQuotas({tasksPerMinute: 3}, clock.now);
  quotas.takeTask('p'); // t = 0
  clock.set(10_000);
  quotas.takeTask('p');
  clock.set(20_500);
  quotas.takeTask('p');
  assertNetError(() => quotas.takeTask('p'), 'EQUOTA', /quota of 3 tasks per minute; try again in 40 s\.$/);
});

test('a clock that steps back counts in the current second', () => {
  const clock = fakeClock(120_000);
  const quotas = createQuotas({tasksPerMinute: 2}, clock.now);
  quotas.takeTask('p');
  clock.set(100_000);
  quotas.takeTask('p');
  assertNetError(() => quotas.takeTask('p'), 'EQUOTA', /try again in/);
  clock.set(180_000);
  quotas.takeTask('p');
});

test('a quota of 0 refuses every task; Infinity none', () => {
  const clock = fakeClock();
  assertNetError(
    () => createQuotas({tasksPerMinute: 0}, clock.now).takeTask('p'),
    'EQUOTA',
    'Peer p may not run tasks here: its quota is 0 tasks per minute.',
  );
  const unlimited = createQuotas({tasksPerMinute: Infinity}, clock.now);
  take(unlimited, 'p', 10_000);
  assert.equal(unlimited.usage('p').tasksLastMinute, 10_000);
});

test('memory over the key or byte quota is EQUOTA; exactly at the quota is allowed', () => {
  const quotas = createQuotas({memoryKeys: 10, storedBytes: 2 * 1024 * 1024}, () => 0);
  quotas.checkMemory('p', {keys: 10, bytes: 2 * 1024 * 1024});
  assertNetError(
    () => quotas.checkMemory('p', {keys: 11, bytes: 0}),
    'EQUOTA',
    'Peer p would hold 11 keys, over its quota of 10 keys; delete some first.',
  );
  assertNetError(
    () => quotas.checkMemory('p', {keys: 1, bytes: 2 * 1024 * 1024 + 1}),
    'EQUOTA',
    'Peer p would store 2097153 bytes, over its quota of 2097152 bytes (2 MiB); delete some first.',
  );
});

test('a peer over a lowered quota may still shrink what it holds', () => {
  const quotas = createQuotas({memoryKeys: 2, storedBytes: 100}, () => 0);
  quotas.checkMemory('p', {keys: 5, bytes: 150}, {keys: 5, bytes: 200}); // smaller value, same keys
  assertNetError(
    () => quotas.checkMemory('p', {keys: 6, bytes: 150}, {keys: 5, bytes: 200}),
    'EQUOTA',
    /6 keys/,
  );
  assertNetError(
    () => quotas.checkMemory('p', {keys: 5, bytes: 201}, {keys: 5, bytes: 200}),
    'EQUOTA',
    /201 bytes/,
  );
});

test('quotas guard the key/value store through its check hook', () => {
  const store = createKvStore();
  const quotas = createQuotas({memoryKeys: 2, storedBytes: 30}, () => 0, store);
  const set = (key: string, value: unknown, peer: string) =>
    store.set(key, value, peer, {
      check: (projected, current) => quotas.checkMemory(peer, projected, current),
    });
  set('a', 1, 'p1');
  set('b', 2, 'p1');
  assertNetError(() => set('c', 3, 'p1'), 'EQUOTA', /would hold 3 keys/);
  set('c', 3, 'p2'); // p2 has its own quota
  assertNetError(() => set('a', 'x'.repeat(30), 'p1'), 'EQUOTA', /would store 35 bytes/); // 1 + 32, plus b's 2
  set('a', 'x'.repeat(25), 'p1'); // 1 + 27, plus b's 2: exactly 30
  assert.deepEqual(store.usage('p1'), {keys: 2, bytes: 30});
  assert.equal(store.get('c'), 3);
});

test('usage and list give the quota table: task rate and memory per peer, sorted', () => {
  const clock = fakeClock();
  const store = createKvStore();
  const quotas = createQuotas({tasksPerMinute: 100}, clock.now, store);
  const limits = quotas.limits;
  take(quotas, 'zed', 3);
  take(quotas, 'amy', 1);
  store.set('k', 'v', 'bob'); // 1 + 3
  assert.deepEqual(quotas.list(), [
    {peer: 'amy', tasksLastMinute: 1, keys: 0, bytes: 0, limits},
    {peer: 'bob', tasksLastMinute: 0, keys: 1, bytes: 4, limits},
    {peer: 'zed', tasksLastMinute: 3, keys: 0, bytes: 0, limits},
  ]);
  assert.deepEqual(quotas.usage('nobody'), {peer: 'nobody', tasksLastMinute: 0, keys: 0, bytes: 0, limits});
  clock.advance(60_000); // the task rows go quiet; bob still holds memory
  assert.deepEqual(
    quotas.list().map((row) => row.peer),
    ['bob'],
  );
  take(quotas, 'amy', 1);
  quotas.forget('amy');
  assert.equal(quotas.usage('amy').tasksLastMinute, 0);
  assert.deepEqual(createQuotas({}, clock.now).list(), [], 'without a store, only task rows');
});

test('bad limits, peer ids and figures are EINVAL', () => {
  const now = () => 0;
  assertNetError(() => createQuotas({tasksPerMinute: -1}, now), 'EINVAL', /tasksPerMinute -1/);
  assertNetError(() => createQuotas({memoryKeys: 1.5}, now), 'EINVAL', /memoryKeys 1\.5/);
  assertNetError(() => createQuotas({storedBytes: Number.NaN}, now), 'EINVAL', /storedBytes NaN/);
  const quotas = createQuotas({}, now);
  assertNetError(() => quotas.takeTask(''), 'EINVAL', /Peer id "" is not allowed/);
  assertNetError(() => quotas.takeTask(7 as unknown as string), 'EINVAL', /Peer id 7/);
  assertNetError(() => quotas.checkMemory('p', {keys: -1, bytes: 0}), 'EINVAL', /keys -1/);
  assertNetError(() => quotas.checkMemory('p', {keys: 0, bytes: 0.5}), 'EINVAL', /bytes 0\.5/);
});

test('a hundred busy peers over many minutes: each window holds exactly the last minute', () => {
  const clock = fakeClock();
  const quotas = createQuotas({tasksPerMinute: 50}, clock.now);
  const started = new Map<string, number[]>();
  let refused = 0;
  for (let step = 0; step < 200_000; step += 1) {
    clock.advance(step % 7); // 3 ms a step on average: about ten minutes in all
    const peer = `p${(step * 7919) % 100}`; // each peer every 100 steps: about 200 a minute
    try {
      quotas.takeTask(peer);
      started.get(peer)?.push(clock.now()) ?? started.set(peer, [clock.now()]);
    } catch (error) {
      assert.ok(error instanceof NetError && error.code === 'EQUOTA');
      refused += 1;
    }
  }
  assert.ok(refused > 0);
  const second = Math.floor(clock.now() / 1_000);
  for (const row of quotas.list()) {
    // The window is this second and the 59 before it.
    const expected = started.get(row.peer)!.filter((at) => Math.floor(at / 1_000) > second - 60).length;
    assert.equal(row.tasksLastMinute, expected, row.peer);
    assert.ok(row.tasksLastMinute <= 50);
  }
});
