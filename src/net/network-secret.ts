// The network secret: 32 random bytes every tracker and peer of one network holds. Links are keyed
// from it (secure-link.ts), so a process without it cannot speak to the network at all.
// Interface:
//   const {secret, isNew} = loadOrCreateSecret(dataDir)  // the tracker's: kept in dataDir/network-secret
//   const secret = loadSecret(dataDir)                    // the same file, or undefined: nothing made
//   const isNew = keepSecret(dataDir, secret)             // a tracker given its secret keeps it there too
//   const secret = parseSecret(text)                      // --secret / P2POS_SECRET: 64 hex characters
//   formatSecret(secret)                                  // the same text form, for printing

import {randomBytes, timingSafeEqual} from 'node:crypto';
import {
  closeSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import {join} from 'node:path';
import {NetError} from './net-error.js';

/** A secret's length: 256 bits, so guessing it is hopeless. */
export const SECRET_BYTES = 32;
/** The secret's file in a tracker's data directory: the raw bytes, nothing else. */
export const SECRET_FILE_NAME = 'network-secret';
/** The secret file's mode: only its owner may read it (as ssh insists for private keys). */
const SECRET_FILE_MODE = 0o600;
const HEX_SECRET = /^[0-9a-f]{64}$/i;

/** A fresh random secret. */
export function generateSecret(): Buffer {
  return randomBytes(SECRET_BYTES);
}

/** The secret's text form: 64 lowercase hex characters. */
export function formatSecret(secret: Uint8Array): string {
  checkSecret(secret);
  return Buffer.from(secret).toString('hex');
}

/**
 * Read a secret given as text (`--secret`, `P2POS_SECRET`): 64 hex characters, surrounding white
 * space ignored. Throws NetError EINVAL naming what is wrong, never echoing the text (it may be
 * a secret off by one character).
 */
export function parseSecret(text: string): Buffer {
  const trimmed = text.trim();
  if (trimmed.length !== 2 * SECRET_BYTES)
    throw new NetError(
      'EINVAL',
      `A network secret is ${2 * SECRET_BYTES} hexadecimal characters (${SECRET_BYTES} bytes); this one has ${trimmed.length}.`,
    );
  if (!HEX_SECRET.test(trimmed)) {
    const at = [...trimmed].findIndex((character) => !/[0-9a-f]/i.test(character));
    throw new NetError(
      'EINVAL',
      `A network secret is hexadecimal (0-9, a-f); character ${at + 1} of this one is not.`,
    );
  }
  return Buffer.from(trimmed, 'hex');
}

/** Throws NetError EINVAL unless `secret` is SECRET_BYTES long. */
export function checkSecret(secret: Uint8Array): void {
  if (secret.length !== SECRET_BYTES)
    throw new NetError('EINVAL', `A network secret is ${SECRET_BYTES} bytes; this one is ${secret.length}.`);
}

/**
 * The network secret kept in `dataDir` (made if missing, mode 0700): read it, or make one when there
 * is none. Creation is atomic: the bytes are written and synced under a temporary name, then linked
 * into place, which fails rather than overwrites if another process got there first (its secret is
 * then read and used). Throws NetError EPERM for a file group or others may access, EINVAL for a
 * file that is not SECRET_BYTES long, EIO when the file system fails.
 */
export function loadOrCreateSecret(dataDir: string): {secret: Buffer; isNew: boolean} {
  const path = join(dataDir, SECRET_FILE_NAME);
  const existing = readSecretFile(path);
  if (existing !== undefined) return {secret: existing, isNew: false};
  return writeSecretFile(dataDir, generateSecret());
}

/**
 * Keep a secret given to a tracker (--join, --secret) in `dataDir`, as loadOrCreateSecret keeps one
 * it makes, so a later start on that directory needs no flag. Returns true when it was written now,
 * false when the directory held it already. Throws NetError EEXIST when the directory keeps another
 * network's secret (starting would split the network, or join the wrong one), and as
 * loadOrCreateSecret for a file that is unsafe, the wrong size or cannot be written.
 */
export function keepSecret(dataDir: string, secret: Uint8Array): boolean {
  checkSecret(secret);
  const path = join(dataDir, SECRET_FILE_NAME);
  const existing = readSecretFile(path);
  const written = existing === undefined ? writeSecretFile(dataDir, Buffer.from(secret)) : undefined;
  const kept = existing ?? written!.secret; // another process's, if it wrote first
  if (!timingSafeEqual(kept, secret))
    throw new NetError(
      'EEXIST',
      `The data directory ${dataDir} keeps another network's secret (${path}), not the one given. ` +
        'Start this tracker with a data directory of its own (--data DIR), or, to move this one to the ' +
        `given network, delete ${path} first.`,
    );
  return written?.isNew === true;
}

/**
 * Write `secret` to dataDir's secret file unless one is there: atomically, never over another.
 * Returns the secret the file holds then (another process's, if it got there first).
 */
function writeSecretFile(dataDir: string, secret: Buffer): {secret: Buffer; isNew: boolean} {
  const path = join(dataDir, SECRET_FILE_NAME);
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(dataDir, {recursive: true, mode: 0o700});
    const fd = openSync(temporary, 'wx', SECRET_FILE_MODE);
    try {
      writeSync(fd, secret);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(path, error);
    const theirs = readSecretFile(path); // another tracker on this directory made it first
    if (theirs === undefined) throw fileError(path, error);
    return {secret: theirs, isNew: false};
  } finally {
    try {
      unlinkSync(temporary);
    } catch {
      // never made, or already gone
    }
  }
  return {secret, isNew: true};
}

/**
 * The network secret kept in `dataDir`, or undefined when there is none (nothing is made). Throws
 * as loadOrCreateSecret does for a file that is unsafe, the wrong size or unreadable.
 */
export function loadSecret(dataDir: string): Buffer | undefined {
  return readSecretFile(join(dataDir, SECRET_FILE_NAME));
}

/** The secret in `path`, or undefined when there is no such file. */
function readSecretFile(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError(path, error);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new NetError('EINVAL', `The network secret ${path} is not a regular file.`);
    // Windows has no such mode bits; its ACLs are the user's business.
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0)
      throw new NetError(
        'EPERM',
        `The network secret ${path} may be read by others (mode ${(stat.mode & 0o777).toString(8).padStart(3, '0')}); ` +
          `run \`chmod 600 ${path}\` and start again.`,
      );
    if (stat.size !== SECRET_BYTES)
      throw new NetError(
        'EINVAL',
        `The network secret ${path} is ${stat.size} bytes; a secret is ${SECRET_BYTES}. ` +
          `Restore it, or delete it to make a new network (every peer then needs the new join token).`,
      );
    const secret = Buffer.alloc(SECRET_BYTES);
    let filled = 0;
    while (filled < SECRET_BYTES) {
      const read = readSync(fd, secret, filled, SECRET_BYTES - filled, filled);
      if (read === 0) throw new NetError('EIO', `The network secret ${path} shrank while it was read.`);
      filled += read;
    }
    return secret;
  } catch (error) {
    throw error instanceof NetError ? error : fileError(path, error);
  } finally {
    closeSync(fd);
  }
}

function fileError(path: string, error: unknown): NetError {
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new NetError('EIO', `Cannot keep the network secret in ${path}: ${code}.`);
}
