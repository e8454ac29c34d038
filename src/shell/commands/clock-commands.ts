// pause, resume, speed, step: the console's real-time clock. A script's clock moves only by
// command, so pause, resume and speed fail there with ENOTTY; step works in both (it is tick).

import {MAX_TICKS} from '../../kernel/index.js';
import {expectPositionals, toInteger} from '../args.js';
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

export const pause: Command = {
  name: 'pause',
  usage: ['pause'],
  summary: 'Stop the real-time clock (console); step N still advances it',
  run(args, context) {
    expectPositionals(args, 0);
    const clock = clockOf(context, 'pause');
    clock.pause();
    return {lines: [describe(clock, context.kernel.now)], data: clockData(clock, context.kernel.now)};
  },
};

export const resume: Command = {
  name: 'resume',
  usage: ['resume'],
  summary: 'Start the real-time clock again (console)',
  run(args, context) {
    expectPositionals(args, 0);
    const clock = clockOf(context, 'resume');
    clock.resume();
    return {lines: [describe(clock, context.kernel.now)], data: clockData(clock, context.kernel.now)};
  },
};

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

export const step: Command = {
  name: 'step',
  usage: ['step [N]'],
  summary: 'Advance the clock N ticks now (default 1), paused or not; prints the time',
  async run(args, {kernel, advance}) {
    expectPositionals(args, 0, 1);
    const ticks =
      args.positionals[0] === undefined ? 1 : toInteger(args.positionals[0], 'tick count', 0, MAX_TICKS);
    await advance(ticks);
    return {lines: [`t=${kernel.now}`], data: {time: kernel.now}};
  },
};
