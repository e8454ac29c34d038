// The console's real-time clock, on node:test's mock setInterval and a `now` the test moves in
// step with it: ticks per second at low and high rates, pause and resume, catch-up after a stall,
// timer jitter that neither loses nor doubles ticks, state for the status line, and a failing tick.

import assert from 'node:assert/strict';
import {test, type TestContext} from 'node:test';
import {createKernel, type Kernel} from '../../../src/kernel/index.js';
import {Clock, type ClockOptions} from '../../../src/shell/ui/clock.js';

interface Rig {
  kernel: Kernel;
  clock: Clock;
  /** Let `ms` of real time pass, moving `now` and the mock timers together, `step` ms at a time. */
  run(ms: number, step?: number): void;
  /** Move `now` without letting any timer fire: the process was suspended or busy. */
  stall(ms: number): void;
  /** How many times the kernel announced a change (one per kernel.tick call, so one per batch). */
  changes(): number;
}

/** A clock over a fresh kernel with mocked timers; the clock is stopped when `body` ends. */
function withClock(t: TestContext, options: ClockOptions, body: (rig: Rig) => void): void {
  t.mock.timers.enable({apis: ['setInterval']});
  let time = 0;
  let changes = 0;
  const kernel = createKernel();
  kernel.subscribe(() => changes++);
  const clock = new Clock(kernel, {now: () => time, ...options});
  const run = (ms: number, step = 1) => {
    for (let done = 0; done < ms; done += step) {
      time += step;
      t.mock.timers.tick(step);
    }
  };
  try {
    body({kernel, clock, run, stall: (ms) => (time += ms), changes: () => changes});
  } finally {
    clock.stop();
    t.mock.timers.reset(); // so one test may build several clocks
  }
}

test('at 10 Hz one second of timer time is 10 ticks of kernel time, one per firing', (t) => {
  withClock(t, {hz: 10}, ({kernel, run, changes}) => {
    run(1000);
    assert.equal(kernel.now, 10);
    assert.equal(changes(), 10, 'below 50 Hz the timer fires once per tick');
  });
});

test('the first tick comes one period after the clock starts', (t) => {
  withClock(t, {hz: 10}, ({kernel, run}) => {
    run(99);
    assert.equal(kernel.now, 0);
    run(1);
    assert.equal(kernel.now, 1);
  });
});

test('the default rate is 10 Hz, running', (t) => {
  withClock(t, {}, ({clock, kernel, run}) => {
    assert.deepEqual(clock.getState(), {hz: 10, isRunning: true});
    run(500);
    assert.equal(kernel.now, 5);
  });
});

test('rates below 50 Hz tick once per period', (t) => {
  withClock(t, {hz: 4}, ({kernel, run, changes}) => {
    run(2000);
    assert.equal(kernel.now, 8);
    assert.equal(changes(), 8);
  });
});

test('pause stops the ticks and resume starts them again', (t) => {
  withClock(t, {hz: 10}, ({clock, kernel, run}) => {
    run(300);
    assert.equal(kernel.now, 3);
    clock.pause();
    assert.equal(clock.isRunning, false);
    run(1000);
    assert.equal(kernel.now, 3, 'no ticks while paused');
    clock.resume();
    assert.equal(clock.isRunning, true);
    run(500);
    assert.equal(kernel.now, 8);
  });
});

test('resuming does not catch up on the time spent paused', (t) => {
  withClock(t, {hz: 10}, ({clock, kernel, run}) => {
    clock.pause();
    run(5000);
    clock.resume();
    run(100);
    assert.equal(kernel.now, 1);
  });
});

test('a clock started paused waits for resume', (t) => {
  withClock(t, {hz: 10, isPaused: true}, ({clock, kernel, run}) => {
    assert.deepEqual(clock.getState(), {hz: 10, isRunning: false});
    run(1000);
    assert.equal(kernel.now, 0);
    clock.resume();
    run(1000);
    assert.equal(kernel.now, 10);
  });
});

test('a tick owed when the clock pauses is dropped, not run later', (t) => {
  withClock(t, {hz: 10}, ({clock, kernel, run}) => {
    run(50);
    clock.pause();
    clock.resume();
    run(99);
    assert.equal(kernel.now, 0, 'the period restarts at resume');
    run(1);
    assert.equal(kernel.now, 1);
  });
});

test('at 1000 Hz the clock runs 1000 ticks a second in 20 ms batches', (t) => {
  withClock(t, {hz: 1000}, ({kernel, run, changes}) => {
    run(19);
    assert.equal(kernel.now, 0);
    run(1);
    assert.equal(kernel.now, 20, 'one batch of 20 ticks');
    assert.equal(changes(), 1);
    run(980);
    assert.equal(kernel.now, 1000);
    assert.equal(changes(), 50, 'the timer fires 50 times a second');
  });
});

test('setHz(1000) on a running clock switches to 20 ms batches', (t) => {
  withClock(t, {hz: 10}, ({clock, kernel, run}) => {
    run(1000);
    assert.equal(kernel.now, 10);
    clock.setHz(1000);
    run(1000);
    assert.equal(kernel.now, 1010);
  });
});

test('setHz on a paused clock takes effect at resume', (t) => {
  withClock(t, {hz: 10, isPaused: true}, ({clock, kernel, run}) => {
    clock.setHz(1000);
    assert.deepEqual(clock.getState(), {hz: 1000, isRunning: false});
    run(1000);
    assert.equal(kernel.now, 0);
    clock.resume();
    run(1000);
    assert.equal(kernel.now, 1000);
  });
});

test('a rate that is not a multiple of 50 still averages out to the rate', (t) => {
  withClock(t, {hz: 60}, ({kernel, run}) => {
    run(10_000);
    assert.ok(Math.abs(kernel.now - 600) <= 1, `600 ± 1 ticks in 10 s, got ${kernel.now}`);
  });
});

test('rates of 1 to 3 Hz, whose period is longer than the catch-up cap, still tick at their rate', (t) => {
  for (const hz of [1, 2, 3]) {
    withClock(t, {hz}, ({kernel, run}) => {
      run(10_000);
      assert.ok(
        Math.abs(kernel.now - hz * 10) <= 1,
        `${hz} Hz: ${kernel.now} ticks in 10 s, expected ${hz * 10}`,
      );
    });
  }
});

test('a rate just under a multiple of 50 is not rounded up to it', (t) => {
  // 99 Hz owes 1.98 ticks every 20 ms; rounding 1.98 up to 2 must be paid back, not forgiven
  withClock(t, {hz: 99}, ({kernel, run}) => {
    run(10_000);
    assert.ok(Math.abs(kernel.now - 990) <= 2, `990 ± 2 ticks in 10 s, got ${kernel.now}`);
  });
});

test('the fastest rate runs its ticks in batches too', (t) => {
  withClock(t, {hz: 100_000}, ({kernel, run, changes}) => {
    run(100, 20);
    assert.equal(kernel.now, 10_000);
    assert.equal(changes(), 5);
  });
});

test('a timer firing early or late neither loses nor doubles ticks', (t) => {
  withClock(t, {hz: 10}, ({kernel, run, stall}) => {
    // Each period the clock reads 95 ms, then 105 ms: the timer and the clock disagree a little.
    for (let i = 0; i < 100; i++) {
      stall(i % 2 === 0 ? -5 : 5);
      run(100, 100);
    }
    assert.equal(kernel.now, 100);
  });
});

test('a slow frame delays a tick to the next firing but does not lose it', (t) => {
  withClock(t, {hz: 10}, ({kernel, run, stall}) => {
    stall(50); // this firing reads 150 ms: one tick due now, half a tick owed
    run(100, 100);
    assert.equal(kernel.now, 1);
    stall(-50); // the next firing reads 50 ms later and pays the half back
    run(100, 100);
    assert.equal(kernel.now, 2);
    run(800, 100);
    assert.equal(kernel.now, 10);
  });
});

test('after a long stall the clock catches up at most 250 ms of ticks', (t) => {
  withClock(t, {hz: 10}, ({kernel, run, stall}) => {
    run(1000);
    assert.equal(kernel.now, 10);
    stall(60_000); // a suspended laptop
    run(100);
    assert.ok(kernel.now - 10 <= 3, `caught up ${kernel.now - 10} ticks, expected at most 2.5`);
    assert.ok(kernel.now - 10 >= 2, `caught up ${kernel.now - 10} ticks`);
  });
});

test('catch-up after a stall at 1000 Hz is capped at 250 ticks', (t) => {
  withClock(t, {hz: 1000}, ({kernel, run, stall}) => {
    stall(10_000);
    run(20);
    assert.equal(kernel.now, 250);
    run(20);
    assert.equal(kernel.now, 270, 'then back to 20 per batch');
  });
});

test('getState reports the rate and whether the clock runs, a new object only on change', (t) => {
  withClock(t, {hz: 10}, ({clock, run}) => {
    const first = clock.getState();
    assert.deepEqual(first, {hz: 10, isRunning: true});
    run(500);
    assert.equal(clock.getState(), first, 'ticks do not change the state');
    clock.pause();
    assert.deepEqual(clock.getState(), {hz: 10, isRunning: false});
    clock.setHz(250);
    assert.deepEqual(clock.getState(), {hz: 250, isRunning: false});
    assert.equal(clock.hz, 250);
    clock.resume();
    assert.deepEqual(clock.getState(), {hz: 250, isRunning: true});
    assert.equal(clock.isRunning, true);
  });
});

test('subscribers hear pause, resume and setHz but not ticks, until they unsubscribe', (t) => {
  withClock(t, {hz: 10}, ({clock, run}) => {
    const seen: string[] = [];
    const unsubscribe = clock.subscribe(() => {
      const {hz, isRunning} = clock.getState();
      seen.push(`${hz} ${isRunning ? 'running' : 'paused'}`);
    });
    run(1000);
    assert.deepEqual(seen, []);
    clock.pause();
    clock.setHz(20);
    clock.resume();
    assert.deepEqual(seen, ['10 paused', '20 paused', '20 running']);
    unsubscribe();
    clock.pause();
    assert.equal(seen.length, 3);
  });
});

test('stop ends the ticks for good and the state says the clock is not running', (t) => {
  withClock(t, {hz: 10}, ({clock, kernel, run}) => {
    run(200);
    clock.stop();
    run(1000);
    assert.equal(kernel.now, 2);
    assert.equal(clock.isRunning, false);
    assert.equal(clock.getState().isRunning, false, 'getState agrees with isRunning after stop');
  });
});

/**
 * Hand-driven interval timers for the failure tests: Node 20's mock timers keep firing an interval
 * cleared from inside its own callback (nodejs/node#59483), which is exactly what a failing tick does.
 */
function fakeIntervals(t: TestContext): {fire(): void; live(): number} {
  const timers = new Map<number, () => void>();
  let nextId = 1;
  t.mock.method(globalThis, 'setInterval', ((callback: () => void) => {
    timers.set(nextId, callback);
    return nextId++;
  }) as unknown as typeof setInterval);
  t.mock.method(globalThis, 'clearInterval', ((id: number) => {
    timers.delete(id);
  }) as unknown as typeof clearInterval);
  return {
    fire: () => {
      for (const callback of [...timers.values()]) callback();
    },
    live: () => timers.size,
  };
}

/** A kernel whose tick throws while `isBroken()` holds, counting the calls. */
function breakable(isBroken: (call: number) => boolean, error = new Error('kernel bug')) {
  const kernel = createKernel();
  const tick = kernel.tick.bind(kernel);
  const counter = {calls: 0};
  kernel.tick = (ticks?: number) => {
    counter.calls++;
    if (isBroken(counter.calls)) throw error;
    tick(ticks);
  };
  return {kernel, counter, error};
}

test('a tick that throws pauses the clock and reports the error to onError', (t) => {
  const timers = fakeIntervals(t);
  let time = 0;
  const {kernel, counter, error} = breakable((call) => call === 3);
  const errors: unknown[] = [];
  const clock = new Clock(kernel, {hz: 10, now: () => time, onError: (failure) => errors.push(failure)});
  try {
    const states: boolean[] = [];
    clock.subscribe(() => states.push(clock.getState().isRunning));
    for (let i = 0; i < 10; i++) {
      time += 100;
      timers.fire();
    }
    assert.deepEqual(errors, [error]);
    assert.equal(counter.calls, 3, 'no ticks after the failure');
    assert.equal(kernel.now, 2);
    assert.equal(clock.isRunning, false);
    assert.equal(timers.live(), 0, 'the interval is cleared');
    assert.deepEqual(states, [false], 'subscribers see the clock pause');
  } finally {
    clock.stop();
  }
});

test('a clock paused by a failing tick runs again after resume', (t) => {
  const timers = fakeIntervals(t);
  let time = 0;
  let isBroken = true;
  const {kernel} = breakable(() => isBroken);
  const clock = new Clock(kernel, {hz: 10, now: () => time, onError: () => {}});
  try {
    time += 100;
    timers.fire();
    assert.equal(clock.isRunning, false);
    isBroken = false;
    clock.resume();
    for (let i = 0; i < 3; i++) {
      time += 100;
      timers.fire();
    }
    assert.equal(kernel.now, 3);
    assert.equal(timers.live(), 1);
  } finally {
    clock.stop();
  }
});

test('stop clears the timer', (t) => {
  const timers = fakeIntervals(t);
  const clock = new Clock(createKernel(), {hz: 10, now: () => 0});
  assert.equal(timers.live(), 1);
  clock.stop();
  assert.equal(timers.live(), 0);
});

test('pausing and resuming never leaves two timers running', (t) => {
  const timers = fakeIntervals(t);
  const clock = new Clock(createKernel(), {hz: 10, now: () => 0});
  try {
    clock.resume();
    clock.setHz(1000);
    clock.resume();
    assert.equal(timers.live(), 1);
    clock.pause();
    clock.pause();
    assert.equal(timers.live(), 0);
  } finally {
    clock.stop();
  }
});
