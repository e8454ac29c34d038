// Task results by what was asked: the same code, function and arguments give the same key, so a peer
// asked again answers from the cache instead of running the task (tasks marked noCache never come here).
// Interface:
//   - taskCacheKey(code, fn, args) names a task: SHA-256 hex of canonical JSON.
//   - createResultCache(options): get/set by key; least recently used out first, each entry for ttlMs.
//   - stats() and entries() for the `cache` command.
// Time comes from the injected `now`, so tests move the clock themselves.

import {createHash} from 'node:crypto';
import {toJsonText} from './json.js';
import {NetError} from './net-error.js';

export const DEFAULT_CACHE_TTL_MS = 10 * 60 * 1000; // results of pure code keep; ten minutes bounds a mistake
export const DEFAULT_CACHE_MAX_ENTRIES = 1_000;
export const DEFAULT_CACHE_MAX_BYTES = 32 * 1024 * 1024; // results are JSON text; this is their sum
/** Hex digits of a key shown in entries(), as git shortens hashes. */
const SHORT_KEY_LENGTH = 12;
const KEY_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The cache key for running `fn` from `code` on `args`: the SHA-256 hex of JSON [code, fn, args] with
 * object keys sorted, so {a, b} and {b, a} name the same task, and JSON's quoting keeps the three parts
 * from running into each other. Throws EINVAL when code or fn is not a string or args is not a JSON
 * array (undefined and NaN would otherwise hash like null and share a result they should not).
 */
export function taskCacheKey(code: string, fn: string, args: readonly unknown[]): string {
  if (typeof code !== 'string')
    throw new NetError('EINVAL', `Task code is a ${typeof code}. Expected a string.`);
  if (typeof fn !== 'string')
    throw new NetError('EINVAL', `Task function name is a ${typeof fn}. Expected a string.`);
  if (!Array.isArray(args))
    throw new NetError('EINVAL', `Task arguments are a ${typeof args}. Expected an array.`);
  const canonical = toJsonText([code, fn, args], `The arguments of task ${JSON.stringify(fn)}`, {
    sortKeys: true,
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

export interface ResultCacheOptions {
  /** How long a result stays usable after it is set, ms. @default DEFAULT_CACHE_TTL_MS */
  ttlMs?: number;
  /** @default DEFAULT_CACHE_MAX_ENTRIES */
  maxEntries?: number;
  /** The most result bytes (UTF-8 of the JSON text) held at once. @default DEFAULT_CACHE_MAX_BYTES */
  maxBytes?: number;
  /** The clock, ms. */
  now: () => number;
}

export interface ResultCacheStats {
  entries: number;
  /** UTF-8 bytes of the results held. */
  bytes: number;
  hits: number;
  /** Lookups that found nothing, or only an expired result. */
  misses: number;
  /** Results dropped to make room (least recently used first). */
  evictions: number;
  /** Results dropped because they outlived ttlMs. */
  expirations: number;
}

export interface ResultCacheEntry {
  key: string;
  /** The key's first 12 hex digits, for display. */
  shortKey: string;
  bytes: number;
  /** Since the result was set, ms. */
  ageMs: number;
  /** Lookups this result answered. */
  hits: number;
}

export interface ResultCache {
  /** The result JSON text stored under `key`, or undefined (a miss) when there is none or it has expired. */
  get(key: string): string | undefined;
  /**
   * Store `resultJson` under `key` (replacing any result there), evicting the least recently used
   * results until the cache is within maxEntries and maxBytes. Returns false, changing nothing, when
   * the result alone is over maxBytes. Throws EINVAL for a key that is not 64 lowercase hex digits
   * (use taskCacheKey) or a result that is not a string.
   */
  set(key: string, resultJson: string): boolean;
  stats(): ResultCacheStats;
  /** The live results, most recently used first. */
  entries(): ResultCacheEntry[];
  /** Drop every result; the counters (hits, misses, ...) keep counting. Returns how many were dropped. */
  clear(): number;
}

interface Cached {
  json: string;
  bytes: number;
  storedAt: number;
  hits: number;
}

/** An empty cache. Throws EINVAL for a limit that is not positive. */
export function createResultCache(options: ResultCacheOptions): ResultCache {
  const ttlMs = options.ttlMs ?? DEFAULT_CACHE_TTL_MS;
  const maxEntries = options.maxEntries ?? DEFAULT_CACHE_MAX_ENTRIES;
  const maxBytes = options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  const {now} = options;
  if (!(ttlMs > 0)) throw badOption('ttlMs', ttlMs, 'a positive number of ms');
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
    throw badOption('maxEntries', maxEntries, 'a whole number, 1 or more');
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1)
    throw badOption('maxBytes', maxBytes, 'a whole number, 1 or more');
  if (typeof now !== 'function')
    throw new NetError(
      'EINVAL',
      'Result cache option now is missing. Expected a clock function returning ms.',
    );

  // Two views of one set of entries, both O(1) to update through Map insertion order:
  // byUse is least recently used first (a hit moves the entry to the end), byAge is oldest set first.
  const byUse = new Map<string, Cached>();
  const byAge = new Map<string, Cached>();
  let bytes = 0;
  const counters = {hits: 0, misses: 0, evictions: 0, expirations: 0};

  function drop(key: string, entry: Cached): void {
    byUse.delete(key);
    byAge.delete(key);
    bytes -= entry.bytes;
  }

  function isExpired(entry: Cached, at: number): boolean {
    return at - entry.storedAt >= ttlMs;
  }

  /** Drop expired results, oldest first; stops at the first live one, so each result is visited once. */
  function expire(at: number): void {
    for (const [key, entry] of byAge) {
      if (!isExpired(entry, at)) break;
      drop(key, entry);
      counters.expirations += 1;
    }
  }

  return {
    get(key) {
      const entry = byUse.get(key);
      if (entry === undefined) {
        counters.misses += 1;
        return undefined;
      }
      if (isExpired(entry, now())) {
        drop(key, entry);
        counters.expirations += 1;
        counters.misses += 1;
        return undefined;
      }
      byUse.delete(key);
      byUse.set(key, entry);
      entry.hits += 1;
      counters.hits += 1;
      return entry.json;
    },

    set(key, resultJson) {
      if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
        throw new NetError(
          'EINVAL',
          `Cache key ${JSON.stringify(String(key).slice(0, 80))} is not allowed. Expected 64 lowercase hex digits (taskCacheKey).`,
        );
      }
      if (typeof resultJson !== 'string') {
        throw new NetError(
          'EINVAL',
          `The result for cache key ${key.slice(0, SHORT_KEY_LENGTH)} is a ${typeof resultJson}. Expected JSON text.`,
        );
      }
      const size = Buffer.byteLength(resultJson, 'utf8');
      if (size > maxBytes) return false; // any result already stored for the key stays
      const at = now();
      const previous = byUse.get(key);
      if (previous) drop(key, previous);
      expire(at); // expired results go before live ones are evicted
      const entry: Cached = {json: resultJson, bytes: size, storedAt: at, hits: 0};
      byUse.set(key, entry);
      byAge.set(key, entry);
      bytes += size;
      for (const [oldKey, oldEntry] of byUse) {
        if (byUse.size <= maxEntries && bytes <= maxBytes) break;
        drop(oldKey, oldEntry);
        counters.evictions += 1;
      }
      return true;
    },

    stats() {
      expire(now());
      return {entries: byUse.size, bytes, ...counters};
    },

    entries() {
      const at = now();
      expire(at);
      return [...byUse].reverse().map(([key, entry]) => ({
        key,
        shortKey: key.slice(0, SHORT_KEY_LENGTH),
        bytes: entry.bytes,
        ageMs: Math.max(0, at - entry.storedAt),
        hits: entry.hits,
      }));
    },

    clear() {
      const dropped = byUse.size;
      byUse.clear();
      byAge.clear();
      bytes = 0;
      return dropped;
    },
  };
}

function badOption(name: string, value: unknown, expected: string): NetError {
  return new NetError(
    'EINVAL',
    `Result cache option ${name} ${String(value)} is not allowed. Expected ${expected}.`,
  );
}
