// The upload cap: rates as the flag takes them, and the pacing of chunks on a fake clock.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createUploadLimit, MIN_RATE, parseBytes, parseRate} from '../../../src/net/files/upload-limit.js';

test('parseRate reads bytes per second with decimal and binary units; nonsense is undefined', () => {
  assert.equal(parseRate('50M'), 50_000_000);
  assert.equal(parseRate('50MB/s'), 50_000_000);
  assert.equal(parseRate('2MiB'), 2 * 1024 * 1024);
  assert.equal(parseRate('1.5k'), 1500);
  assert.equal(parseRate('800000'), 800_000);
  for (const bad of ['', 'fast', '-5M', '5X', '10', '1e9']) assert.equal(parseRate(bad), undefined, bad);
  assert.equal(parseBytes('4G'), 4 * 1024 ** 3);
  assert.equal(parseBytes('256K'), 256 * 1024);
  assert.equal(parseBytes('4GB'), 4e9);
  assert.equal(parseBytes('512MiB'), 512 * 1024 ** 2);
  assert.equal(parseBytes('4G/s'), undefined);
});

test('chunks are paced at the rate: each waits for the bytes booked before it', async (t) => {
  let now = 0;
  const limit = createUploadLimit(1_000_000, () => now); // 1 MB/s: 100 kB takes 100 ms
  // The cap's timers are unref'd (a closing peer does not wait on them); this keeps the test alive.
  const keepAlive = setInterval(() => {}, 1_000);
  t.after(() => clearInterval(keepAlive));
  const started = performance.now();
  await limit.take(100_000); // the first goes at once
  assert.ok(performance.now() - started < 50);
  const second = limit.take(100_000); // booked after the first: waits about 100 ms of real time
  const t0 = performance.now();
  await second;
  assert.ok(performance.now() - t0 >= 90, 'the second chunk waited for the first');
  now = 10_000; // long idle: no debt carried over
  const t1 = performance.now();
  await limit.take(100_000);
  assert.ok(performance.now() - t1 < 50);
  assert.throws(() => createUploadLimit(MIN_RATE - 1), RangeError);
});
