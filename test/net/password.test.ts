import assert from 'node:assert/strict';
import {test} from 'node:test';
import {NetError, type NetErrorCode} from '../../src/net/net-error.js';
import {
  checkNewPassword,
  createLimiter,
  createPasswordHasher,
  decodePasswordHash,
  DEFAULT_SCRYPT,
  needsRehash,
} from '../../src/net/password.js';

const CHEAP = {N: 1024, r: 8, p: 1}; // 1 MiB and a millisecond or two per hash: tests only

async function assertRejects(promise: Promise<unknown>, code: NetErrorCode, mentions: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof NetError, `expected a NetError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.ok(error.message.includes(mentions), `message should mention ${mentions}: ${error.message}`);
    return true;
  });
}

test('a hash verifies its password and no other, and carries its salt and cost', async () => {
  const hasher = createPasswordHasher({scrypt: CHEAP});
  const hash = await hasher.hash('correct horse');
  assert.match(hash, /^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.equal(await hasher.verify('correct horse', hash), true);
  assert.equal(await hasher.verify('correct horsE', hash), false);
  assert.notEqual(await hasher.hash('correct horse'), hash, 'a fresh salt each time');
  assert.equal(await hasher.spendDummy('correct horse'), false);
});

test('the NFC and NFD spellings of a password are the same password', async () => {
  const hasher = createPasswordHasher({scrypt: CHEAP});
  const hash = await hasher.hash('caf\u00e9 au lait');
  assert.equal(await hasher.verify('cafe\u0301 au lait', hash), true);
});

test('a hash made at another cost still verifies, and needsRehash says it is weaker', async () => {
  const old = await createPasswordHasher({scrypt: {N: 512, r: 4}}).hash('correct horse');
  const hasher = createPasswordHasher({scrypt: CHEAP});
  assert.equal(await hasher.verify('correct horse', old), true);
  assert.equal(needsRehash(old, hasher.params), true);
  assert.equal(needsRehash(await hasher.hash('x'.repeat(8)), hasher.params), false);
});

test('the default cost (N=2^15, r=8, p=1) runs within the memory limit it sets', async () => {
  const hasher = createPasswordHasher();
  assert.deepEqual(hasher.params, DEFAULT_SCRYPT);
  const hash = await hasher.hash('correct horse');
  assert.ok(hash.startsWith('$scrypt$ln=15,r=8,p=1$'));
  assert.equal(await hasher.verify('correct horse', hash), true);
});

test('stored hashes that this module did not write, or that ask for too much memory, are refused', async () => {
  const hasher = createPasswordHasher({scrypt: CHEAP});
  const good = await hasher.hash('correct horse');
  for (const bad of ['', 'plain text', good.replace('scrypt', 'bcrypt'), good.slice(0, -1)]) {
    assert.throws(
      () => decodePasswordHash(bad),
      (error: unknown) => (error as NetError).code === 'EINVAL',
    );
  }
  const greedy = good.replace('ln=10', 'ln=30');
  assert.throws(() => decodePasswordHash(greedy), /Scrypt cost N=1073741824/);
  await assertRejects(hasher.verify('correct horse', greedy), 'EINVAL', 'N=1073741824');
  assert.throws(() => createPasswordHasher({scrypt: {N: 1000}}), /power of two/);
});

test('new passwords are at least 8 characters and at most 1024 bytes', async () => {
  assert.throws(() => checkNewPassword('seven77'), /has 7 characters. Expected at least 8/);
  checkNewPassword('eight888');
  checkNewPassword('\u00e9'.repeat(512)); // 1024 bytes
  assert.throws(() => checkNewPassword('\u00e9'.repeat(513)), /1026 bytes long. Expected at most 1024/);
  // At login too: nobody makes us hash a megabyte.
  await assertRejects(
    createPasswordHasher({scrypt: CHEAP}).hash('x'.repeat(1_000_000)),
    'EINVAL',
    '1000000 bytes',
  );
});

test('the limiter runs two at once, starts waiters in arrival order, and refuses past its queue', async () => {
  const limiter = createLimiter(2, 2, 'Password hashing is busy');
  const started: number[] = [];
  const finish: (() => void)[] = [];
  const task = (id: number) => () =>
    new Promise<number>((resolve) => {
      started.push(id);
      finish[id] = () => resolve(id);
    });
  const results = [1, 2, 3, 4].map((id) => limiter.run(task(id)));
  assert.deepEqual(limiter.load(), {running: 2, waiting: 2});
  await assertRejects(limiter.run(task(5)), 'EAGAIN', 'Password hashing is busy: 2 running and 2 waiting');
  assert.deepEqual(started, [1, 2]);
  finish[2]!();
  assert.equal(await results[1], 2);
  assert.deepEqual(started, [1, 2, 3], 'the first waiter took the freed slot');
  finish[1]!();
  finish[3]!();
  await Promise.all([results[0], results[2]]);
  assert.deepEqual(started, [1, 2, 3, 4]);
  finish[4]!();
  assert.deepEqual(await Promise.all(results), [1, 2, 3, 4]);
  assert.deepEqual(limiter.load(), {running: 0, waiting: 0});
});

test('hashes through one hasher never run more than maxRunning at once', async () => {
  const hasher = createPasswordHasher({scrypt: CHEAP, maxRunning: 2, maxWaiting: 3});
  const hashes = Array.from({length: 5}, () => hasher.hash('correct horse'));
  assert.deepEqual(hasher.load(), {running: 2, waiting: 3});
  await assertRejects(hasher.hash('correct horse'), 'EAGAIN', 'busy');
  assert.equal((await Promise.all(hashes)).length, 5);
  assert.deepEqual(hasher.load(), {running: 0, waiting: 0});
});
