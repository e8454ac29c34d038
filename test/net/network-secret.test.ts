// The network secret: its text form, and the tracker's secret file (made once, private, reloaded
// as it was, refused when damaged or readable by others; a given one kept, never replaced).

import assert from 'node:assert/strict';
import {chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {
  formatSecret,
  generateSecret,
  keepSecret,
  loadOrCreateSecret,
  parseSecret,
  SECRET_BYTES,
  SECRET_FILE_NAME,
} from '../../src/net/network-secret.js';

function dataDir(t: {after(fn: () => unknown): void}): string {
  const directory = mkdtempSync(join(tmpdir(), 'p2pos-secret-'));
  t.after(() => rmSync(directory, {recursive: true, force: true}));
  return directory;
}

test('a secret round-trips through its text form', () => {
  const secret = generateSecret();
  assert.equal(secret.length, SECRET_BYTES);
  const text = formatSecret(secret);
  assert.match(text, /^[0-9a-f]{64}$/);
  assert.deepEqual(parseSecret(text), secret);
  assert.deepEqual(parseSecret(`  ${text.toUpperCase()}\n`), secret);
});

test('a bad secret text is refused with what is wrong, without echoing it', () => {
  const text = formatSecret(generateSecret());
  for (const [bad, pattern] of [
    ['', /64 hexadecimal characters .* has 0/],
    [text.slice(1), /has 63/],
    [`${text}00`, /has 66/],
    [`${text.slice(0, 9)}g${text.slice(10)}`, /character 10 of this one is not/],
  ] as const) {
    assert.throws(
      () => parseSecret(bad),
      (error: Error & {code?: string}) =>
        error.code === 'EINVAL' &&
        pattern.test(error.message) &&
        (bad === '' || !error.message.includes(bad)),
    );
  }
});

test('the secret file is made 0600 once and reloaded identically', (t) => {
  const directory = dataDir(t);
  const first = loadOrCreateSecret(directory);
  assert.equal(first.isNew, true);
  const path = join(directory, SECRET_FILE_NAME);
  if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readFileSync(path), first.secret);
  const second = loadOrCreateSecret(directory);
  assert.equal(second.isNew, false);
  assert.deepEqual(second.secret, first.secret);
});

test('a missing data directory is made', (t) => {
  const directory = join(dataDir(t), 'tracker', 'data');
  assert.equal(loadOrCreateSecret(directory).isNew, true);
  assert.equal(loadOrCreateSecret(directory).isNew, false);
});

test('a secret file others may read is refused', {skip: process.platform === 'win32'}, (t) => {
  const directory = dataDir(t);
  loadOrCreateSecret(directory);
  const path = join(directory, SECRET_FILE_NAME);
  chmodSync(path, 0o644);
  assert.throws(() => loadOrCreateSecret(directory), {
    code: 'EPERM',
    message: new RegExp(`mode 644.*chmod 600 ${path}`),
  });
});

test('a secret file of the wrong size is refused, not replaced', (t) => {
  const directory = dataDir(t);
  const path = join(directory, SECRET_FILE_NAME);
  writeFileSync(path, Buffer.alloc(SECRET_BYTES - 1), {mode: 0o600});
  assert.throws(() => loadOrCreateSecret(directory), {
    code: 'EINVAL',
    message: /is 31 bytes; a secret is 32/,
  });
  assert.equal(readFileSync(path).length, SECRET_BYTES - 1);
});

test('a secret given to a tracker is kept 0600 where none is, and one kept already must be the same', (t) => {
  const directory = join(dataDir(t), 'twin');
  const given = generateSecret();
  assert.equal(keepSecret(directory, given), true);
  const path = join(directory, SECRET_FILE_NAME);
  if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readFileSync(path), given);
  assert.equal(keepSecret(directory, given), false, 'the same secret again is kept as it is');
  assert.deepEqual(loadOrCreateSecret(directory), {secret: given, isNew: false});
  assert.throws(() => keepSecret(directory, generateSecret()), {
    code: 'EEXIST',
    message: new RegExp(`keeps another network's secret \\(${path}\\).*--data DIR`),
  });
  assert.deepEqual(readFileSync(path), given, 'and it is not replaced');
});
