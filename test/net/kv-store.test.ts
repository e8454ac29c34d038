import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createKvStore, MAX_KEY_BYTES, MAX_VALUE_BYTES} from '../../src/net/kv-store.js';
import {NetError, type NetErrorCode} from '../../src/net/net-error.js';

function assertNetError(run: () => unknown, code: NetErrorCode, mentions: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof NetError, `expected a NetError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.ok(error.message.includes(mentions), `message should mention ${mentions}: ${error.message}`);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

test('set, get, delete, and sizes are key bytes plus JSON text bytes', () => {
  const store = createKvStore();
  assert.deepEqual(store.set('a', {x: [1, 2]}, 'p1'), {created: true, bytes: 1 + '{"x":[1,2]}'.length});
  assert.deepEqual(store.get('a'), {x: [1, 2]});
  assert.deepEqual(store.set('a', 'é', 'p1'), {created: false, bytes: 1 + 4}); // "é" is 2 UTF-8 bytes plus quotes
  assert.equal(store.get('a'), 'é');
  assert.equal(store.get('missing'), undefined);
  assert.equal(store.delete('a'), true);
  assert.equal(store.delete('a'), false);
  assert.deepEqual(store.stats(), {keys: 0, bytes: 0});
});

test('null, false and 0 are stored values, not missing ones', () => {
  const store = createKvStore();
  store.set('n', null, 'p');
  store.set('f', false, 'p');
  store.set('z', 0, 'p');
  assert.equal(store.get('n'), null);
  assert.equal(store.get('f'), false);
  assert.equal(store.get('z'), 0);
});

test('every string is a key, including object property names and the empty string', () => {
  const store = createKvStore();
  const keys = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', '', 'valueOf'];
  for (const [index, key] of keys.entries()) assert.equal(store.set(key, index, 'p').created, true);
  for (const [index, key] of keys.entries()) assert.equal(store.get(key), index);
  assert.deepEqual(
    store.list().map((entry) => entry.key),
    [...keys].sort(),
  );
  assert.equal(store.get('isPrototypeOf'), undefined);
  assert.equal(store.delete('__proto__'), true);
  assert.equal(store.get('__proto__'), undefined);
});

test('get returns a fresh copy, and set copies what it is given', () => {
  const store = createKvStore();
  const value = {list: [1]};
  store.set('k', value, 'p');
  value.list.push(2);
  const first = store.get('k') as {list: number[]};
  first.list.push(3);
  assert.deepEqual(store.get('k'), {list: [1]});
});

test('per-owner usage follows sets, overwrites, ownership changes and deletes', () => {
  const store = createKvStore();
  store.set('a', 1, 'p1'); // 1 + 1
  store.set('bb', 'xy', 'p1'); // 2 + 4
  store.set('c', [], 'p2'); // 1 + 2
  assert.deepEqual(store.usage('p1'), {keys: 2, bytes: 8});
  assert.deepEqual(store.usage('p2'), {keys: 1, bytes: 3});
  store.set('a', 12345, 'p1'); // 1 + 5, same owner
  assert.deepEqual(store.usage('p1'), {keys: 2, bytes: 12});
  store.set('bb', 0, 'p2'); // p2 takes the key over
  assert.deepEqual(store.usage('p1'), {keys: 1, bytes: 6});
  assert.deepEqual(store.usage('p2'), {keys: 2, bytes: 6});
  assert.deepEqual(store.owners(), ['p1', 'p2']);
  store.delete('a');
  assert.deepEqual(store.usage('p1'), {keys: 0, bytes: 0});
  assert.deepEqual(store.owners(), ['p2']);
  assert.deepEqual(store.stats(), {keys: 2, bytes: 6});
  assert.deepEqual(store.usage('nobody'), {keys: 0, bytes: 0});
});

test('list filters by prefix, sorts by code unit, and stops at the limit', () => {
  const store = createKvStore();
  for (const key of ['job:2', 'job:10', 'Job:1', 'job:1', 'other'])
    store.set(key, true, key === 'other' ? 'p2' : 'p1');
  assert.deepEqual(store.list({prefix: 'job:'}), [
    {key: 'job:1', bytes: 9, owner: 'p1'},
    {key: 'job:10', bytes: 10, owner: 'p1'},
    {key: 'job:2', bytes: 9, owner: 'p1'},
  ]);
  assert.deepEqual(
    store.list({limit: 2}).map((entry) => entry.key),
    ['Job:1', 'job:1'],
  );
  assert.deepEqual(store.list({prefix: 'none'}), []);
  assertNetError(() => store.list({limit: -1}), 'EINVAL', '-1');
  assertNetError(() => store.list({limit: 1.5}), 'EINVAL', '1.5');
});

test('values that are not JSON are refused and leave the store unchanged', () => {
  const store = createKvStore();
  store.set('k', 1, 'p');
  assertNetError(() => store.set('k', undefined, 'p'), 'EINVAL', 'undefined');
  assertNetError(() => store.set('k', () => 1, 'p'), 'EINVAL', 'function');
  assertNetError(() => store.set('k', Number.NaN, 'p'), 'EINVAL', 'NaN');
  assertNetError(() => store.set('k', {when: new Date(0)}, 'p'), 'EINVAL', 'Date');
  assertNetError(() => store.set(42 as unknown as string, 1, 'p'), 'EINVAL', 'Expected a string');
  assertNetError(() => store.set('k', 1, undefined as unknown as string), 'EINVAL', 'Owner');
  assert.equal(store.get('k'), 1);
  assert.deepEqual(store.stats(), {keys: 1, bytes: 2});
});

test('a key or value over its size limit is E2BIG, counting UTF-8 bytes', () => {
  const store = createKvStore();
  store.set('k'.repeat(MAX_KEY_BYTES), 1, 'p');
  assertNetError(
    () => store.set('k'.repeat(MAX_KEY_BYTES + 1), 1, 'p'),
    'E2BIG',
    `${MAX_KEY_BYTES + 1} bytes`,
  );
  assertNetError(
    () => store.set('é'.repeat(MAX_KEY_BYTES / 2 + 1), 1, 'p'),
    'E2BIG',
    `at most ${MAX_KEY_BYTES}`,
  );
  store.set('big', 'x'.repeat(MAX_VALUE_BYTES - 2), 'p');
  assertNetError(
    () => store.set('big', 'x'.repeat(MAX_VALUE_BYTES - 1), 'p'),
    'E2BIG',
    `${MAX_VALUE_BYTES + 1} bytes`,
  );
  assert.equal((store.get('big') as string).length, MAX_VALUE_BYTES - 2);
});

test('a full store refuses new keys and growth with EQUOTA, but allows overwrites that fit', () => {
  const store = createKvStore({maxKeys: 2, maxBytes: 20});
  store.set('a', 1, 'p'); // 1 + 1
  store.set('b', 'x'.repeat(15), 'p'); // 1 + 17: the store is at 20 bytes, its limit
  assertNetError(() => store.set('c', 1, 'p'), 'EQUOTA', 'holds 2 keys');
  assertNetError(() => store.set('a', 12, 'p'), 'EQUOTA', 'needs 3 bytes and only 2 of its 20 are free');
  assert.deepEqual(store.set('a', 2, 'q'), {created: false, bytes: 2});
  assert.deepEqual(store.stats(), {keys: 2, bytes: 20});
  store.delete('b');
  assert.equal(store.set('c', 1, 'p').created, true);
  assertNetError(() => createKvStore({maxKeys: 0}), 'EINVAL', 'maxKeys 0');
  assertNetError(() => createKvStore({maxBytes: 1.5}), 'EINVAL', 'maxBytes 1.5');
});

test("the check hook sees the owner's projected and current usage, and a throw leaves the store as it was", () => {
  const store = createKvStore();
  store.set('a', 1, 'p1');
  const seen: unknown[] = [];
  store.set('b', 'xy', 'p1', {check: (projected, current) => seen.push({projected, current})});
  store.set('a', 123, 'p1', {check: (projected, current) => seen.push({projected, current})});
  store.set('a', 0, 'p2', {check: (projected, current) => seen.push({projected, current})});
  assert.deepEqual(seen, [
    {projected: {keys: 2, bytes: 7}, current: {keys: 1, bytes: 2}},
    {projected: {keys: 2, bytes: 9}, current: {keys: 2, bytes: 7}},
    {projected: {keys: 1, bytes: 2}, current: {keys: 0, bytes: 0}},
  ]);
  const refuse = (): void => {
    throw new NetError('EQUOTA', 'no');
  };
  assertNetError(() => store.set('a', 'changed', 'p1', {check: refuse}), 'EQUOTA', 'no');
  assertNetError(() => store.set('new', 1, 'p1', {check: refuse}), 'EQUOTA', 'no');
  assert.equal(store.get('a'), 0);
  assert.equal(store.get('new'), undefined);
  assert.deepEqual(store.usage('p1'), {keys: 1, bytes: 5});
  assert.deepEqual(store.usage('p2'), {keys: 1, bytes: 2});
  assert.deepEqual(store.stats(), {keys: 2, bytes: 7});
});
