// The console's real-time clock: one pausable timer that calls kernel.tick() `hz` times a second.
// Below 50 Hz it fires once per tick; above, it fires every 20 ms and runs the ticks that are due,
// counted from the elapsed time, so a slow frame delays ticks but never loses or doubles them.
// Tests drive the kernel with tick() themselves and need no clock.

import type {Kernel} from '../../kernel/index.js';
import type {ClockControl} from '../command.js';

/** The timer never fires more often than this; faster clocks run several ticks per firing. */
const MAX_TIMER_HZ = 50;
/** After a stall (a suspended laptop, a long command) catch up at most this much time, not hours. */
const MAX_CATCH_UP_MS = 250;

export interface ClockOptions {
  /** Ticks per second. @default 10 */
  hz?: number;
  /** Start paused. @default false */
  isPaused?: boolean;
  /** Milliseconds from a monotonic source. @default performance.now */
  now?: () => number;
  /** Called when a tick throws (a kernel bug); the clock pauses itself. */
  onError?: (error: unknown) => void;
}

export interface ClockState {
  hz: number;
  isRunning: boolean;
}

export class Clock implements ClockControl {
  readonly #kernel: Kernel;
  readonly #now: () => number;
  readonly #onError: (error: unknown) => void;
  readonly #listeners = new Set<() => void>();
  #state: ClockState;
  #timer: ReturnType<typeof setInterval> | undefined;
  #last = 0;
  #owed = 0;

  constructor(kernel: Kernel, options: ClockOptions = {}) {
    this.#kernel = kernel;
    this.#now = options.now ?? (() => performance.now());
    this.#onError =
      options.onError ??
      ((error) =>
        queueMicrotask(() => {
          throw error;
        }));
    this.#state = {hz: options.hz ?? 10, isRunning: !(options.isPaused ?? false)};
    this.#arm();
  }

  get hz(): number {
    return this.#state.hz;
  }

  get isRunning(): boolean {
    return this.#state.isRunning;
  }

  /** Call `listener` after every change of rate or running state (not on ticks). */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getState = (): ClockState => this.#state;

  pause(): void {
    this.#set({isRunning: false});
  }

  resume(): void {
    this.#set({isRunning: true});
  }

  setHz(hz: number): void {
    this.#set({hz});
  }

  /** Stop ticking as the console closes (a pause nobody will resume). */
  stop(): void {
    this.pause();
  }

  #set(change: Partial<ClockState>): void {
    this.#state = {...this.#state, ...change};
    this.#arm();
    for (const listener of this.#listeners) listener();
  }

  #arm(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#owed = 0;
    if (!this.#state.isRunning) return;
    this.#last = this.#now();
    const period = 1000 / Math.min(this.#state.hz, MAX_TIMER_HZ);
    this.#timer = setInterval(() => this.#fire(), period);
  }

  #fire(): void {
    const now = this.#now();
    // A slow clock's period may exceed the cap; never cap below two periods.
    const {hz} = this.#state;
    const cap = Math.max(MAX_CATCH_UP_MS, 2000 / hz);
    const elapsed = Math.min(now - this.#last, cap);
    this.#last = now;
    this.#owed += (elapsed * hz) / 1000;
    // A timer firing a little early still runs its tick (within a tenth of one); the remainder is
    // carried even when it goes below zero, so over time the rate is exact.
    const due = Math.floor(this.#owed + 0.1);
    if (due <= 0) return;
    this.#owed -= due;
    try {
      this.#kernel.tick(due);
    } catch (error) {
      this.pause();
      this.#onError(error);
    }
  }
}
