// Password hashing for the tracker's accounts (issue 6): scrypt (node:crypto, async, on libuv's thread
// pool) with a random salt per hash, stored in the PHC string format with its cost parameters, so the
// cost can be raised later and old hashes still verify. At most maxRunning hashes run at once; later
// callers wait in arrival order, and past maxWaiting they are refused with EAGAIN.
// Interface:
//   - createPasswordHasher(options): hash(password), verify(password, encoded), spendDummy(password).
//   - checkNewPassword(password) before hashing a password a user chose; MIN/MAX_PASSWORD_* are the rules.
//   - createLimiter(maxRunning, maxWaiting, busyMessage): the queue, exported for its tests.

import {randomBytes, scrypt, timingSafeEqual, type ScryptOptions} from 'node:crypto';
import {NetError} from './net-error.js';

/** A password a user chooses is at least this many characters (Unicode code points). */
export const MIN_PASSWORD_CHARS = 8;
/** Any password, at login too: scrypt reads all of it, so nobody may make us hash megabytes. */
export const MAX_PASSWORD_BYTES = 1024;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/**
 * N = 2^15, r = 8, p = 1: OWASP's scrypt recommendation (2023 cheat sheet), about 50-100 ms and 32 MiB
 * per hash here. That makes each guess costly for someone holding the hashes while a login still feels
 * instant; with MAX_RUNNING_HASHES at once the tracker spends at most 64 MiB on it.
 */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({N: 2 ** 15, r: 8, p: 1});
/** Two hashes at a time: the machines we run on have 2 cores, and the tracker has other work. */
export const MAX_RUNNING_HASHES = 2;
/** Callers waiting for a hashing slot; beyond this a login is refused (EAGAIN) instead of queueing for seconds. */
export const MAX_WAITING_HASHES = 32;
/** The most memory one stored hash's parameters may ask for (128 * N * r bytes): a hash that arrived by replication is not trusted to be cheap. */
export const MAX_SCRYPT_MEMORY_BYTES = 256 * 1024 * 1024;

export interface PasswordHasherOptions {
  /** Cost of new hashes. @default DEFAULT_SCRYPT */
  scrypt?: Partial<ScryptParams>;
  /** @default MAX_RUNNING_HASHES */
  maxRunning?: number;
  /** @default MAX_WAITING_HASHES */
  maxWaiting?: number;
}

export interface PasswordHasher {
  readonly params: Readonly<ScryptParams>;
  /** A new salted hash of `password` (NFC-normalised), as `$scrypt$ln=15,r=8,p=1$<salt>$<hash>`. Throws EAGAIN when the queue is full. */
  hash(password: string): Promise<string>;
  /**
   * Whether `password` matches `encoded` (compared with timingSafeEqual). Throws EAGAIN when the queue is
   * full, EINVAL when `encoded` is not a hash this module wrote.
   */
  verify(password: string, encoded: string): Promise<boolean>;
  /** Spend one verification's time on a hash that matches nothing: the unknown-user path of a login. Resolves false. */
  spendDummy(password: string): Promise<false>;
  /** Hashes running and callers waiting now. */
  load(): {running: number; waiting: number};
}

/** Throws EINVAL when `options` asks for a cost that is not allowed. */
export function createPasswordHasher(options: PasswordHasherOptions = {}): PasswordHasher {
  const params: Readonly<ScryptParams> = Object.freeze({
    ...DEFAULT_SCRYPT,
    ...withoutUndefined(options.scrypt),
  });
  checkParams(params);
  const limiter = createLimiter(
    options.maxRunning ?? MAX_RUNNING_HASHES,
    options.maxWaiting ?? MAX_WAITING_HASHES,
    'Password hashing is busy',
  );
  // Random salt and key: verifying against it costs one scrypt at the current cost, like a real user's
  // hash, and matches no password (but with chance 2^-256).
  const dummy = encode(params, randomBytes(SALT_BYTES), randomBytes(HASH_BYTES));

  async function hash(password: string): Promise<string> {
    const secret = passwordBytes(password);
    const salt = randomBytes(SALT_BYTES);
    const key = await limiter.run(() => derive(secret, salt, params));
    return encode(params, salt, key);
  }

  async function verify(password: string, encoded: string): Promise<boolean> {
    const stored = decodePasswordHash(encoded);
    const secret = passwordBytes(password);
    const key = await limiter.run(() => derive(secret, stored.salt, stored.params));
    return timingSafeEqual(key, stored.key);
  }

  return {
    params,
    hash,
    verify,
    async spendDummy(password) {
      await verify(password, dummy);
      return false;
    },
    load: () => limiter.load(),
  };
}

/** Throws EINVAL when `password` is not one a user may choose: under MIN_PASSWORD_CHARS or over MAX_PASSWORD_BYTES. */
export function checkNewPassword(password: string): void {
  passwordBytes(password);
  const chars = [...password.normalize('NFC')].length;
  if (chars < MIN_PASSWORD_CHARS)
    throw new NetError(
      'EINVAL',
      `Password has ${chars} characters. Expected at least ${MIN_PASSWORD_CHARS}.`,
    );
}

/** A stored hash's parts. Throws EINVAL for a string this module did not write, or one asking for too much memory. */
export function decodePasswordHash(encoded: string): {params: ScryptParams; salt: Buffer; key: Buffer} {
  const match =
    typeof encoded === 'string'
      ? /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]{16,88})\$([A-Za-z0-9+/]{43})$/.exec(
          encoded,
        )
      : null;
  if (match === null)
    throw new NetError(
      'EINVAL',
      'Password hash is not in the form $scrypt$ln=L,r=R,p=P$<salt>$<hash> (base64, a 32-byte hash).',
    );
  const params = {N: 2 ** Number(match[1]), r: Number(match[2]), p: Number(match[3])};
  checkParams(params);
  return {params, salt: Buffer.from(match[4]!, 'base64'), key: Buffer.from(match[5]!, 'base64')};
}

/** Whether a stored hash was made with less cost than `params` (so a login could hash it again). */
export function needsRehash(encoded: string, params: Readonly<ScryptParams>): boolean {
  const stored = decodePasswordHash(encoded).params;
  return stored.N < params.N || stored.r < params.r || stored.p < params.p;
}

export interface Limiter {
  /**
   * Run `task` when fewer than maxRunning tasks are running, in the order callers arrived. Throws
   * (rejects) EAGAIN without running it when maxWaiting callers already wait.
   */
  run<T>(task: () => Promise<T>): Promise<T>;
  load(): {running: number; waiting: number};
}

/** A counting semaphore with a bounded FIFO queue; `busyMessage` starts the EAGAIN message. */
export function createLimiter(maxRunning: number, maxWaiting: number, busyMessage: string): Limiter {
  if (!(Number.isSafeInteger(maxRunning) && maxRunning >= 1))
    throw new NetError(
      'EINVAL',
      `Limit of running tasks ${String(maxRunning)} is not allowed. Expected a whole number, 1 or more.`,
    );
  if (!(Number.isSafeInteger(maxWaiting) && maxWaiting >= 0))
    throw new NetError(
      'EINVAL',
      `Limit of waiting tasks ${String(maxWaiting)} is not allowed. Expected a whole number, 0 or more.`,
    );
  let running = 0;
  const waiting: (() => void)[] = [];

  function release(): void {
    const next = waiting.shift();
    if (next === undefined) running -= 1;
    else next(); // the slot passes straight to the next caller, so a new arrival cannot jump the queue
  }

  return {
    async run(task) {
      if (running < maxRunning) running += 1;
      else if (waiting.length >= maxWaiting)
        throw new NetError(
          'EAGAIN',
          `${busyMessage}: ${running} running and ${waiting.length} waiting (the limit). Try again in a moment.`,
        );
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await task();
      } finally {
        release();
      }
    },
    load: () => ({running, waiting: waiting.length}),
  };
}

function derive(secret: Buffer, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // maxmem: node's default (32 MiB) is exactly 128 * N * r at the default cost and scrypt needs a little more.
  const scryptOptions: ScryptOptions = {...params, maxmem: 2 * 128 * params.N * params.r + 1024 * 1024};
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, HASH_BYTES, scryptOptions, (error, key) =>
      error === null ? resolve(key) : reject(error),
    );
  });
}

function encode(params: ScryptParams, salt: Buffer, key: Buffer): string {
  const base64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=${Math.log2(params.N)},r=${params.r},p=${params.p}$${base64(salt)}$${base64(key)}`;
}

/** The password's UTF-8 bytes after NFC normalisation (the same password typed on two systems is the same bytes). */
function passwordBytes(password: string): Buffer {
  if (typeof password !== 'string')
    throw new NetError(
      'EINVAL',
      `Password is ${password === null ? 'null' : typeof password}. Expected a string.`,
    );
  const bytes = Buffer.from(password.normalize('NFC'), 'utf8');
  if (bytes.length > MAX_PASSWORD_BYTES)
    throw new NetError(
      'EINVAL',
      `Password is ${bytes.length} bytes long. Expected at most ${MAX_PASSWORD_BYTES} bytes.`,
    );
  return bytes;
}

function checkParams(params: ScryptParams): void {
  const {N, r, p} = params;
  const isPowerOfTwo = Number.isSafeInteger(N) && N >= 2 && (N & (N - 1)) === 0;
  const isSmall = (value: number, max: number) => Number.isSafeInteger(value) && value >= 1 && value <= max;
  if (!isPowerOfTwo || !isSmall(r, 64) || !isSmall(p, 16) || 128 * N * r > MAX_SCRYPT_MEMORY_BYTES)
    throw new NetError(
      'EINVAL',
      `Scrypt cost N=${String(N)}, r=${String(r)}, p=${String(p)} is not allowed. Expected N a power of two from 2, r 1-64, p 1-16, and 128 * N * r at most ${MAX_SCRYPT_MEMORY_BYTES} bytes.`,
    );
}

function withoutUndefined<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(value ?? {}).filter(([, field]) => field !== undefined),
  ) as Partial<T>;
}
