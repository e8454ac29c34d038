// Login throttling (issue 6): failed logins are counted per key (the store uses one throttle for user
// names and one for source addresses). After freeFailures failures in a row a key must wait before its
// next attempt: baseDelayMs after the freeFailures-th failure, doubling with each failure after that,
// capped at maxDelayMs. succeed(key) clears a key; a key with no failure for forgetAfterMs is forgotten.
// Interface: waitMs(key) before an attempt (0: go ahead), fail(key) / succeed(key) after it.
// State is in memory only: a restarted tracker forgets the counts, which costs an attacker a restart
// they cannot cause, and keeps a login from writing to the file. Time comes from the injected `now`.

import {NetError} from './net-error.js';

export const DEFAULT_FREE_FAILURES = 5;
export const DEFAULT_BASE_DELAY_MS = 1_000;
/** A user who mistyped a dozen times waits a minute at most, while a guesser gets about one try a minute. */
export const DEFAULT_MAX_DELAY_MS = 60_000;
/** Well past the longest wait, so a key must stay quiet for a while before its count starts over. */
export const DEFAULT_FORGET_AFTER_MS = 15 * 60_000;
/** Keys held at most; past this the least recently failed are dropped (an attacker inventing names fills it). */
export const DEFAULT_MAX_KEYS = 10_000;

export interface LoginThrottleOptions {
  /** The clock, ms. */
  now: () => number;
  /** Failures in a row allowed without a wait. @default DEFAULT_FREE_FAILURES */
  freeFailures?: number;
  /** @default DEFAULT_BASE_DELAY_MS */
  baseDelayMs?: number;
  /** @default DEFAULT_MAX_DELAY_MS */
  maxDelayMs?: number;
  /** @default DEFAULT_FORGET_AFTER_MS */
  forgetAfterMs?: number;
  /** @default DEFAULT_MAX_KEYS */
  maxKeys?: number;
}

export interface LoginThrottle {
  /** Ms until `key` may try again; 0 when it may try now. */
  waitMs(key: string): number;
  /** Count a failed attempt for `key`. */
  fail(key: string): void;
  /** Forget `key`'s failures (a successful login). */
  succeed(key: string): void;
}

interface KeyState {
  failures: number;
  lastFailureAt: number;
  /** No attempt before this time, ms. */
  blockedUntil: number;
}

/** Throws EINVAL for an option that is not a whole number in range. */
export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const {now} = options;
  if (typeof now !== 'function')
    throw new NetError(
      'EINVAL',
      'Login throttle option now is missing. Expected a clock function returning ms.',
    );
  const freeFailures = whole(options.freeFailures ?? DEFAULT_FREE_FAILURES, 'freeFailures', 1);
  const baseDelayMs = whole(options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS, 'baseDelayMs', 1);
  const maxDelayMs = whole(options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS, 'maxDelayMs', baseDelayMs);
  const forgetAfterMs = whole(options.forgetAfterMs ?? DEFAULT_FORGET_AFTER_MS, 'forgetAfterMs', maxDelayMs);
  const maxKeys = whole(options.maxKeys ?? DEFAULT_MAX_KEYS, 'maxKeys', 1);
  /** key -> its failures; in order of last failure (re-inserted on each), so the first is the stalest. */
  const keys = new Map<string, KeyState>();

  function current(key: string, at: number): KeyState | undefined {
    const state = keys.get(key);
    if (state !== undefined && at - state.lastFailureAt >= forgetAfterMs) {
      keys.delete(key);
      return undefined;
    }
    return state;
  }

  return {
    waitMs(key) {
      const at = now();
      const state = current(key, at);
      return state === undefined ? 0 : Math.max(0, state.blockedUntil - at);
    },

    fail(key) {
      const at = now();
      const state = current(key, at) ?? {failures: 0, lastFailureAt: at, blockedUntil: at};
      state.failures += 1;
      state.lastFailureAt = at;
      if (state.failures >= freeFailures) {
        const doublings = Math.min(state.failures - freeFailures, 30); // 2^30 is past any cap; keeps the number finite
        state.blockedUntil = at + Math.min(baseDelayMs * 2 ** doublings, maxDelayMs);
      }
      keys.delete(key);
      keys.set(key, state);
      if (keys.size > maxKeys) keys.delete(keys.keys().next().value!);
    },

    succeed(key) {
      keys.delete(key);
    },
  };
}

function whole(value: number, name: string, min: number): number {
  if (!(Number.isSafeInteger(value) && value >= min))
    throw new NetError(
      'EINVAL',
      `Login throttle option ${name} ${String(value)} is not allowed. Expected a whole number, ${min} or more.`,
    );
  return value;
}
