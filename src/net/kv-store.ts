// A peer's key/value memory: JSON values under string keys, with an owner (the remote peer id that wrote
// each key) so quotas can charge each peer for what it stores.
// Interface:
//   - createKvStore(limits) makes an empty store; set, get, delete, list work on one key at a time.
//   - stats() is the whole store; usage(owner) is one owner's share, kept up to date on every change.
// Values are kept as JSON text: get() parses afresh, so no caller can reach the stored state.

import {toJsonText, type JsonValue} from './json.js';
import {NetError} from './net-error.js';

/** A key longer than this (UTF-8) is refused: keys are names, not data. */
export const MAX_KEY_BYTES = 1024;
/** A value whose JSON text is longer than this is refused: it must fit in one frame with room to spare. */
export const MAX_VALUE_BYTES = 1024 * 1024;
/** Keys a store holds at most, unless told otherwise. */
export const DEFAULT_MAX_KEYS = 100_000;
/** Bytes (keys plus JSON text) a store holds at most, unless told otherwise: a peer lends memory, not all of it. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export interface KvLimits {
  /** @default DEFAULT_MAX_KEYS */
  maxKeys?: number;
  /** @default DEFAULT_MAX_BYTES */
  maxBytes?: number;
}

/** What an owner (or the whole store) holds: keys, and bytes = key UTF-8 bytes + value JSON text bytes. */
export interface KvUsage {
  keys: number;
  bytes: number;
}

export interface KvEntry {
  key: string;
  /** Key UTF-8 bytes + value JSON text UTF-8 bytes. */
  bytes: number;
  /** The peer that last set the key. */
  owner: string;
}

export interface KvSetOptions {
  /**
   * Called before anything changes with what the owner would hold after the write, and what it holds
   * now; throw to refuse the write (quotas.checkMemory fits here). Not called for a write the store
   * refuses on its own.
   */
  check?: (projected: KvUsage, current: KvUsage) => void;
}

export interface KvStore {
  readonly maxKeys: number;
  readonly maxBytes: number;
  /**
   * Store `value` under `key` for `owner`, replacing any value there; the key then belongs to `owner`
   * (whoever owned it before is charged no more). Returns whether the key is new and its size in bytes.
   * Throws EINVAL for a value that is not JSON or a non-string key or owner, E2BIG for a key over
   * MAX_KEY_BYTES or a value over MAX_VALUE_BYTES, EQUOTA when the store would go over maxKeys or
   * maxBytes, and whatever `options.check` throws; on any throw the store is unchanged.
   */
  set(key: string, value: unknown, owner: string, options?: KvSetOptions): {created: boolean; bytes: number};
  /** A fresh copy of the value under `key`, or undefined when there is none. */
  get(key: string): JsonValue | undefined;
  /** Remove `key`. Returns false when there was no such key. */
  delete(key: string): boolean;
  /**
   * Keys in sorted (UTF-16 code unit) order, with their sizes and owners: those starting with `prefix`
   * (default: all), at most `limit` of them (default: all). Throws EINVAL for a bad limit.
   */
  list(options?: {prefix?: string; limit?: number}): KvEntry[];
  /** The whole store. */
  stats(): KvUsage;
  /** What `owner` holds; {keys: 0, bytes: 0} for an owner with nothing. O(1). */
  usage(owner: string): KvUsage;
  /** The owners holding at least one key, sorted. */
  owners(): string[];
}

interface StoredValue {
  json: string;
  bytes: number;
  owner: string;
}

/** An empty store. Throws EINVAL for a limit that is not a positive integer. */
export function createKvStore(limits: KvLimits = {}): KvStore {
  const maxKeys = checkLimit(limits.maxKeys ?? DEFAULT_MAX_KEYS, 'maxKeys');
  const maxBytes = checkLimit(limits.maxBytes ?? DEFAULT_MAX_BYTES, 'maxBytes');
  // A Map, never a plain object: `__proto__`, `constructor` and '' are ordinary keys here.
  const values = new Map<string, StoredValue>();
  const byOwner = new Map<string, KvUsage>();
  let totalBytes = 0;

  function ownerUsage(owner: string): KvUsage {
    const usage = byOwner.get(owner);
    return usage ? {keys: usage.keys, bytes: usage.bytes} : {keys: 0, bytes: 0};
  }

  function charge(owner: string, keys: number, bytes: number): void {
    const usage = byOwner.get(owner) ?? {keys: 0, bytes: 0};
    usage.keys += keys;
    usage.bytes += bytes;
    if (usage.keys === 0) byOwner.delete(owner);
    else byOwner.set(owner, usage);
  }

  return {
    maxKeys,
    maxBytes,

    set(key, value, owner, options = {}) {
      checkString(key, 'Key');
      checkString(owner, 'Owner');
      const keyBytes = Buffer.byteLength(key, 'utf8');
      if (keyBytes > MAX_KEY_BYTES) {
        throw new NetError(
          'E2BIG',
          `Key ${JSON.stringify(clip(key))} is ${keyBytes} bytes. Expected at most ${MAX_KEY_BYTES} bytes (UTF-8).`,
        );
      }
      const json = toJsonText(value, `The value for key ${JSON.stringify(clip(key))}`);
      const valueBytes = Buffer.byteLength(json, 'utf8');
      if (valueBytes > MAX_VALUE_BYTES) {
        throw new NetError(
          'E2BIG',
          `The value for key ${JSON.stringify(clip(key))} is ${valueBytes} bytes of JSON. Expected at most ${MAX_VALUE_BYTES} bytes.`,
        );
      }
      const bytes = keyBytes + valueBytes;
      const previous = values.get(key);
      const created = previous === undefined;
      if (created && values.size + 1 > maxKeys) {
        throw new NetError(
          'EQUOTA',
          `The store is full: it holds ${values.size} keys, its limit. Delete some first.`,
        );
      }
      const projectedTotal = totalBytes - (previous?.bytes ?? 0) + bytes;
      if (projectedTotal > maxBytes) {
        throw new NetError(
          'EQUOTA',
          `The store is full: key ${JSON.stringify(clip(key))} needs ${bytes} bytes and only ${maxBytes - totalBytes + (previous?.bytes ?? 0)} of its ${maxBytes} are free. Delete some first.`,
        );
      }
      if (options.check) {
        const current = ownerUsage(owner);
        const projected = {...current};
        if (previous?.owner === owner) projected.bytes += bytes - previous.bytes;
        else {
          projected.keys += 1;
          projected.bytes += bytes;
        }
        options.check(projected, current);
      }
      if (previous) charge(previous.owner, -1, -previous.bytes);
      charge(owner, 1, bytes);
      values.set(key, {json, bytes, owner});
      totalBytes = projectedTotal;
      return {created, bytes};
    },

    get(key) {
      const stored = values.get(key);
      return stored === undefined ? undefined : (JSON.parse(stored.json) as JsonValue);
    },

    delete(key) {
      const stored = values.get(key);
      if (stored === undefined) return false;
      values.delete(key);
      charge(stored.owner, -1, -stored.bytes);
      totalBytes -= stored.bytes;
      return true;
    },

    list({prefix = '', limit} = {}) {
      checkString(prefix, 'Prefix');
      if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
        throw new NetError(
          'EINVAL',
          `List limit ${String(limit)} is not allowed. Expected a whole number, 0 or more.`,
        );
      }
      const keys: string[] = [];
      for (const key of values.keys()) if (key.startsWith(prefix)) keys.push(key);
      keys.sort(); // code units, not locale: the same order on every peer
      return keys.slice(0, limit).map((key) => {
        const {bytes, owner} = values.get(key)!;
        return {key, bytes, owner};
      });
    },

    stats() {
      return {keys: values.size, bytes: totalBytes};
    },

    usage: ownerUsage,

    owners() {
      return [...byOwner.keys()].sort();
    },
  };
}

function checkLimit(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new NetError(
      'EINVAL',
      `Key/value store ${name} ${String(value)} is not allowed. Expected a whole number, 1 or more.`,
    );
  }
  return value;
}

function checkString(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string') {
    throw new NetError('EINVAL', `${what} ${String(value)} is a ${typeof value}. Expected a string.`);
  }
}

/** A key short enough to quote in a one-line message. */
function clip(key: string): string {
  return key.length > 40 ? `${key.slice(0, 40)}…` : key;
}
