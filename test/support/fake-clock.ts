// A ClockControl for command and context tests: it records what commands asked of it and never
// ticks (tests move time with kernel.tick() or step). Use:
//   const clock = fakeClock();  const context = {...createTestContext(), clock};
//   await runOk(context, 'pause');  assert.deepEqual(clock.calls, ['pause']);

import type {ClockControl} from '../../src/shell/command.js';

export interface FakeClock extends ClockControl {
  hz: number;
  isRunning: boolean;
  /** 'pause', 'resume' and 'setHz N', in the order they were called. */
  calls: string[];
}

export function fakeClock(options: {hz?: number; isRunning?: boolean} = {}): FakeClock {
  return {
    hz: options.hz ?? 10,
    isRunning: options.isRunning ?? true,
    calls: [],
    pause() {
      this.calls.push('pause');
      this.isRunning = false;
    },
    resume() {
      this.calls.push('resume');
      this.isRunning = true;
    },
    setHz(hz) {
      this.calls.push(`setHz ${hz}`);
      this.hz = hz;
    },
  };
}
