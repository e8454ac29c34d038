// pause, resume, speed, step: the console's real-time clock. A script's clock moves only by
// command, so pause, resume and speed fail there with ENOTTY; step works in both (it is tick).

import {expectPositionals, toInteger} from '../args.js';
import {tick} from './tick.js';
import {MAX_CLOCK_HZ, type ClockControl, type Command, type Context} from '../command.js';
import {ShellError} from '../errors.js';

function clockOf(context: Context, name: string): ClockControl {
  if (context.clock) return context.clock;
  throw new ShellError(
    'ENOTTY',
    `\`${name}\` controls the console's real-time clock; in a script time moves only with tick, step and wait.`,
  );
}

function describe(clock: ClockControl, time: number): string {
  return `clock ${clock.isRunning ? 'running' : 'paused'} at ${clock.hz} Hz, t=${time}`;
}

function clockData(clock: ClockControl, time: number) {
  return {running: clock.isRunning, hz: clock.hz, time};
}

/** pause and resume: one clock call, then the clock's state. */
function clockSwitch(name: string, summary: string, apply: (clock: ClockControl) => void): Command {
  return {
    name,
    usage: [name],
    summary,
    run(args, context) {
      expectPositionals(args, 0);
      const clock = clockOf(context, name);
      apply(clock);
      return {lines: [describe(clock, context.kernel.now)], data: clockData(clock, context.kernel.now)};
    },
  };
}

export const pause = clockSwitch(
  'pause',
  'Stop the real-time clock (console); step N still advances it',
  (clock) => clock.pause(),
);

export const resume = clockSwitch('resume', 'Start the real-time clock again (console)', (clock) =>
  clock.resume(),
);

export const speed: Command = {
  name: 'speed',
  usage: ['speed [HZ]'],
  summary: `Show or set the clock rate in ticks per second, 1 to ${MAX_CLOCK_HZ} (console)`,
  run(args, context) {
    expectPositionals(args, 0, 1);
    const clock = clockOf(context, 'speed');
    const wanted = args.positionals[0];
    if (wanted !== undefined) clock.setHz(toInteger(wanted, 'rate in Hz', 1, MAX_CLOCK_HZ));
    return {lines: [describe(clock, context.kernel.now)], data: clockData(clock, context.kernel.now)};
  },
};

/** tick under the console's name for it: the same advance, paused or not. */
export const step: Command = {
  ...tick,
  name: 'step',
  usage: ['step [N]'],
  summary: 'Advance the clock N ticks now (default 1), paused or not; prints the time',
};
