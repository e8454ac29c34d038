import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createLoginThrottle} from '../../src/net/login-throttle.js';
import {NetError} from '../../src/net/net-error.js';

/** A clock the test moves by hand. */
function fakeClock(start = 1_000): {now: () => number; advance: (ms: number) => void} {
  let time = start;
  return {now: () => time, advance: (ms) => (time += ms)};
}

test('five failures are free, then the wait doubles from one second up to a minute', () => {
  const clock = fakeClock();
  const throttle = createLoginThrottle({now: clock.now});
  // failures so far -> the wait after them
  const expected = [0, 0, 0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000];
  for (const [index, wait] of expected.entries()) {
    throttle.fail('alice');
    assert.equal(throttle.waitMs('alice'), wait, `after ${index + 1} failures`);
  }
  assert.equal(throttle.waitMs('bob'), 0, 'other keys are not affected');
  clock.advance(59_999);
  assert.equal(throttle.waitMs('alice'), 1);
  clock.advance(1);
  assert.equal(throttle.waitMs('alice'), 0);
});

test('a success clears a key, and a key quiet for the forget time starts over', () => {
  const clock = fakeClock();
  const throttle = createLoginThrottle({now: clock.now, freeFailures: 2, forgetAfterMs: 60_000});
  throttle.fail('alice');
  throttle.fail('alice');
  assert.equal(throttle.waitMs('alice'), 1_000);
  throttle.succeed('alice');
  assert.equal(throttle.waitMs('alice'), 0);
  throttle.fail('alice');
  assert.equal(throttle.waitMs('alice'), 0, 'the count started over');

  throttle.fail('bob');
  throttle.fail('bob');
  clock.advance(60_000);
  throttle.fail('bob');
  assert.equal(throttle.waitMs('bob'), 0, 'a quiet minute forgot the first two');
});

test('past maxKeys the key that failed longest ago is dropped', () => {
  const clock = fakeClock();
  const throttle = createLoginThrottle({now: clock.now, freeFailures: 1, maxKeys: 2});
  throttle.fail('a');
  throttle.fail('b');
  throttle.fail('a'); // a is now the most recent
  throttle.fail('c');
  assert.equal(throttle.waitMs('b'), 0);
  assert.ok(throttle.waitMs('a') > 0);
  assert.ok(throttle.waitMs('c') > 0);
});

test('options that are not whole numbers in range are refused', () => {
  const now = () => 0;
  for (const options of [{freeFailures: 0}, {baseDelayMs: 1.5}, {maxDelayMs: 10}, {forgetAfterMs: 1}]) {
    assert.throws(
      () => createLoginThrottle({now, ...options}),
      (error: unknown) => error instanceof NetError && error.code === 'EINVAL',
      JSON.stringify(options),
    );
  }
});
