import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {test} from 'node:test';
import {NetError} from '../../src/net/net-error.js';
import {createResultCache, taskCacheKey, type ResultCacheOptions} from '../../src/net/result-cache.js';

/** A clock the test moves by hand. */
function fakeClock(start = 0): {now: () => number; advance: (ms: number) => void} {
  let time = start;
  return {now: () => time, advance: (ms) => (time += ms)};
}

/** A distinct valid key for each number. */
function key(n: number): string {
  return createHash('sha256').update(String(n)).digest('hex');
}

function cache(options: Partial<ResultCacheOptions> = {}) {
  const clock = fakeClock();
  return {
    clock,
    cache: createResultCache({ttlMs: 1_000, maxEntries: 3, maxBytes: 100, now: clock.now, ...options}),
  };
}

test('the task key is the SHA-256 of canonical JSON [code, fn, args]', () => {
  const expected = createHash('sha256').update('["f=>1","f",[1,{"a":2,"b":3}]]').digest('hex');
  assert.equal(taskCacheKey('f=>1', 'f', [1, {b: 3, a: 2}]), expected);
  assert.equal(taskCacheKey('f=>1', 'f', [1, {a: 2, b: 3}]), expected, 'key order does not matter');
  assert.match(expected, /^[0-9a-f]{64}$/);
});

test('task keys do not collide when text moves between code, fn and args', () => {
  const keys = [
    taskCacheKey('ab', 'c', []),
    taskCacheKey('a', 'bc', []),
    taskCacheKey('a","b', 'c', []),
    taskCacheKey('a', 'b","c', []),
    taskCacheKey('a', 'b', ['c']),
    taskCacheKey('a', 'b', [['c']]),
    taskCacheKey('a', 'b', [null]),
    taskCacheKey('a', 'b', [0]),
    taskCacheKey('a', 'b', ['0']),
  ];
  assert.equal(new Set(keys).size, keys.length);
});

test('arguments JSON would blur (undefined, NaN) are refused instead of hashing like null', () => {
  for (const args of [[undefined], [Number.NaN], [() => 1], [new Date(0)]]) {
    assert.throws(
      () => taskCacheKey('c', 'f', args),
      (error: unknown) => error instanceof NetError && error.code === 'EINVAL',
    );
  }
  assert.throws(() => taskCacheKey('c', 'f', 'x' as unknown as unknown[]), /Expected an array/);
});

test('get returns what set stored and counts hits and misses', () => {
  const {cache: results} = cache();
  assert.equal(results.get(key(1)), undefined);
  assert.equal(results.set(key(1), '{"ok":1}'), true);
  assert.equal(results.get(key(1)), '{"ok":1}');
  assert.equal(results.get(key(1)), '{"ok":1}');
  assert.deepEqual(results.stats(), {entries: 1, bytes: 8, hits: 2, misses: 1, evictions: 0, expirations: 0});
});

test('a result expires ttlMs after it was set, and counts as a miss', () => {
  const {clock, cache: results} = cache();
  results.set(key(1), '1');
  clock.advance(999);
  assert.equal(results.get(key(1)), '1', 'hits do not extend the lifetime');
  clock.advance(1);
  assert.equal(results.get(key(1)), undefined);
  assert.deepEqual(results.stats(), {entries: 0, bytes: 0, hits: 1, misses: 1, evictions: 0, expirations: 1});
});

test('setting a key again replaces its result and restarts its lifetime', () => {
  const {clock, cache: results} = cache();
  results.set(key(1), '"old"');
  clock.advance(800);
  results.set(key(1), '"newer"');
  clock.advance(800);
  assert.equal(results.get(key(1)), '"newer"');
  assert.deepEqual(results.stats().bytes, 7);
});

test('the least recently used result is evicted first when entries run out', () => {
  const {cache: results} = cache();
  results.set(key(1), '1');
  results.set(key(2), '2');
  results.set(key(3), '3');
  results.get(key(1)); // 2 is now the least recently used
  results.set(key(4), '4');
  assert.equal(results.get(key(2)), undefined);
  assert.deepEqual(
    results.entries().map((entry) => entry.key),
    [key(4), key(1), key(3)],
  );
  assert.equal(results.stats().evictions, 1);
});

test('results are evicted by bytes too, and one larger than maxBytes is not stored', () => {
  const {cache: results} = cache({maxEntries: 10, maxBytes: 10});
  results.set(key(1), '"aaaa"'); // 6 bytes
  results.set(key(2), '"bb"'); // 4 bytes: 10 in all
  results.set(key(3), '"é"'); // 4 bytes (é is two): evicts key 1
  assert.deepEqual(
    results.entries().map((entry) => entry.key),
    [key(3), key(2)],
  );
  assert.equal(results.stats().bytes, 8);
  assert.equal(results.set(key(2), `"${'x'.repeat(9)}"`), false, 'too big to cache');
  assert.equal(results.get(key(2)), '"bb"', 'the result already there stays');
});

test('expired results are dropped before live ones are evicted', () => {
  const {clock, cache: results} = cache();
  results.set(key(1), '1');
  clock.advance(600);
  results.set(key(2), '2');
  results.set(key(3), '3');
  results.get(key(1)); // most recently used, but the oldest
  clock.advance(400); // key 1 has expired
  results.set(key(4), '4');
  assert.deepEqual(results.stats(), {entries: 3, bytes: 3, hits: 1, misses: 0, evictions: 0, expirations: 1});
  assert.equal(results.get(key(2)), '2');
});

test('entries show the short key, size, age and hits, most recently used first', () => {
  const {clock, cache: results} = cache();
  results.set(key(1), '[1,2]');
  clock.advance(250);
  results.set(key(2), 'true');
  results.get(key(1));
  results.get(key(1));
  clock.advance(100);
  assert.deepEqual(results.entries(), [
    {key: key(1), shortKey: key(1).slice(0, 12), bytes: 5, ageMs: 350, hits: 2},
    {key: key(2), shortKey: key(2).slice(0, 12), bytes: 4, ageMs: 100, hits: 0},
  ]);
});

test('clear drops every result and keeps the counters', () => {
  const {cache: results} = cache();
  results.set(key(1), '1');
  results.get(key(1));
  assert.equal(results.clear(), 1);
  assert.equal(results.get(key(1)), undefined);
  assert.deepEqual(results.stats(), {entries: 0, bytes: 0, hits: 1, misses: 1, evictions: 0, expirations: 0});
});

test('bad keys, results and options are EINVAL', () => {
  const {cache: results} = cache();
  for (const bad of ['', 'abc', key(1).toUpperCase(), `${key(1)}0`]) {
    assert.throws(
      () => results.set(bad, '1'),
      (error: unknown) =>
        error instanceof NetError && error.code === 'EINVAL' && /64 lowercase hex/.test(error.message),
    );
  }
  assert.throws(() => results.set(key(1), {} as unknown as string), /Expected JSON text/);
  const now = () => 0;
  for (const options of [{ttlMs: 0}, {ttlMs: Number.NaN}, {maxEntries: 0}, {maxBytes: 2.5}]) {
    assert.throws(
      () => createResultCache({now, ...options}),
      (error: unknown) => error instanceof NetError && error.code === 'EINVAL',
    );
  }
});

test('thousands of entries stay within the limits with O(1) work per call', () => {
  const {clock, cache: results} = cache({maxEntries: 1_000, maxBytes: 1_000_000, ttlMs: 5_000});
  for (let n = 0; n < 20_000; n += 1) {
    results.set(key(n), String(n));
    if (n % 3 === 0) results.get(key(n - 500));
    clock.advance(1);
  }
  const stats = results.stats();
  assert.equal(stats.entries, 1_000);
  assert.equal(stats.evictions, 19_000);
  assert.equal(results.get(key(19_999)), '19999');
});
