// Per-remote-peer quotas: how many tasks a peer may send us a minute, and how much of our key/value
// memory it may fill. A peer over a quota gets an EQUOTA reply saying when to try again; everyone
// else is served as before.
// Interface:
//   - createQuotas(limits, now, memory?) with the key/value store as `memory` so usage rows show what each peer holds.
//   - takeTask(peer) before running a task; checkMemory(peer, projected, current) before a write (KvSetOptions.check).
//   - usage(peer) and list() are the rows of the `quota` command.
// The task rate is a sliding window of the last minute in one-second buckets (so it may run up to a
// second long): O(1) per task and 60 counters per peer, whatever the limit.

import {NetError} from './net-error.js';

export interface QuotaLimits {
  /** Tasks one peer may start here in any minute (sliding); 0 refuses its tasks, Infinity lifts the limit. */
  tasksPerMinute: number;
  /** Keys one peer may hold in our key/value store. */
  memoryKeys: number;
  /** Bytes (keys plus JSON values) one peer may hold in our key/value store. */
  storedBytes: number;
}

export const DEFAULT_QUOTA_LIMITS: Readonly<QuotaLimits> = {
  tasksPerMinute: 600, // ten a second: plenty for a lab, and a runaway loop on another peer cannot flood us
  memoryKeys: 1_000,
  storedBytes: 16 * 1024 * 1024,
};

const BUCKET_MS = 1_000;
const WINDOW_BUCKETS = 60; // a minute of one-second buckets
const MIB = 1024 * 1024;

/** What quotas need from the key/value store (a KvStore is one). */
export interface MemoryUsageSource {
  usage(owner: string): {keys: number; bytes: number};
  owners(): Iterable<string>;
}

export interface QuotaRow {
  peer: string;
  tasksLastMinute: number;
  keys: number;
  bytes: number;
  limits: Readonly<QuotaLimits>;
}

export interface Quotas {
  readonly limits: Readonly<QuotaLimits>;
  /**
   * Count one task from `peerId`. Throws EQUOTA, counting nothing, when the peer has already started
   * tasksPerMinute tasks in the last minute; the message says how many seconds until one slot frees.
   * Throws EINVAL for an empty or non-string peer id.
   */
  takeTask(peerId: string): void;
  /**
   * Refuse (EQUOTA) a write that would leave `peerId` holding `projected` when that is over its memory
   * quota. With `current` given, a write that does not grow an over-quota figure is allowed, so a peer
   * over a lowered quota can still shrink its values. Throws EINVAL for a negative or fractional figure.
   */
  checkMemory(
    peerId: string,
    projected: {keys: number; bytes: number},
    current?: {keys: number; bytes: number},
  ): void;
  /** One peer's row (zeros for a peer we have never heard from). */
  usage(peerId: string): QuotaRow;
  /** A row for each peer that started a task in the last minute or holds memory here, sorted by peer id. */
  list(): QuotaRow[];
  /** Forget a peer's task window (it left); what it holds in memory is the store's business. */
  forget(peerId: string): void;
}

interface TaskWindow {
  /** Tasks started in each second of the window, indexed by bucket number modulo WINDOW_BUCKETS. */
  counts: Uint32Array;
  /** The newest bucket number (floor(ms / BUCKET_MS)); the window is buckets head-59 .. head. */
  head: number;
  total: number;
}

/**
 * Quotas with `limits` (DEFAULT_QUOTA_LIMITS for any left out) on the clock `now` (ms). Throws EINVAL
 * for a limit that is not a whole number 0 or more (or Infinity).
 */
export function createQuotas(
  limits: Partial<QuotaLimits>,
  now: () => number,
  memory?: MemoryUsageSource,
): Quotas {
  const resolved: Readonly<QuotaLimits> = Object.freeze({
    ...DEFAULT_QUOTA_LIMITS,
    ...withoutUndefined(limits),
  });
  for (const name of ['tasksPerMinute', 'memoryKeys', 'storedBytes'] as const) {
    const value = resolved[name];
    if (!(Number.isSafeInteger(value) && value >= 0) && value !== Infinity) {
      throw new NetError(
        'EINVAL',
        `Quota ${name} ${String(value)} is not allowed. Expected a whole number, 0 or more, or Infinity.`,
      );
    }
  }
  const windows = new Map<string, TaskWindow>();

  /** The peer's window moved up to the current second, or undefined when it has none. */
  function currentWindow(peerId: string, bucket: number): TaskWindow | undefined {
    const taskWindow = windows.get(peerId);
    if (taskWindow === undefined || bucket <= taskWindow.head) return taskWindow; // a clock that steps back stands still
    const steps = Math.min(bucket - taskWindow.head, WINDOW_BUCKETS);
    for (let step = 1; step <= steps; step += 1) {
      const index = slot(taskWindow.head + step);
      taskWindow.total -= taskWindow.counts[index]!;
      taskWindow.counts[index] = 0;
    }
    taskWindow.head = bucket;
    return taskWindow;
  }

  function row(peerId: string, bucket: number): QuotaRow {
    const held = memory?.usage(peerId) ?? {keys: 0, bytes: 0};
    const tasksLastMinute = currentWindow(peerId, bucket)?.total ?? 0;
    return {peer: peerId, tasksLastMinute, keys: held.keys, bytes: held.bytes, limits: resolved};
  }

  return {
    limits: resolved,

    takeTask(peerId) {
      checkPeerId(peerId);
      const at = now();
      const bucket = Math.floor(at / BUCKET_MS);
      let taskWindow = currentWindow(peerId, bucket);
      if (taskWindow === undefined) {
        taskWindow = {counts: new Uint32Array(WINDOW_BUCKETS), head: bucket, total: 0};
        windows.set(peerId, taskWindow);
      }
      const limit = resolved.tasksPerMinute;
      if (taskWindow.total >= limit) {
        if (limit === 0)
          throw new NetError(
            'EQUOTA',
            `Peer ${peerId} may not run tasks here: its quota is 0 tasks per minute.`,
          );
        throw new NetError(
          'EQUOTA',
          `Peer ${peerId} is over its quota of ${limit} tasks per minute; try again in ${secondsUntilFree(taskWindow, limit, at)} s.`,
        );
      }
      taskWindow.counts[slot(taskWindow.head)]! += 1;
      taskWindow.total += 1;
    },

    checkMemory(peerId, projected, current) {
      checkPeerId(peerId);
      checkCount(projected.keys, 'keys');
      checkCount(projected.bytes, 'bytes');
      if (projected.keys > resolved.memoryKeys && (current === undefined || projected.keys > current.keys)) {
        throw new NetError(
          'EQUOTA',
          `Peer ${peerId} would hold ${projected.keys} keys, over its quota of ${resolved.memoryKeys} keys; delete some first.`,
        );
      }
      if (
        projected.bytes > resolved.storedBytes &&
        (current === undefined || projected.bytes > current.bytes)
      ) {
        throw new NetError(
          'EQUOTA',
          `Peer ${peerId} would store ${projected.bytes} bytes, over its quota of ${resolved.storedBytes} bytes (${formatMib(resolved.storedBytes)}); delete some first.`,
        );
      }
    },

    usage(peerId) {
      checkPeerId(peerId);
      return row(peerId, Math.floor(now() / BUCKET_MS));
    },

    list() {
      const bucket = Math.floor(now() / BUCKET_MS);
      const peers = new Set<string>();
      for (const peerId of [...windows.keys()]) {
        // A peer silent for a minute is dropped here, so the table does not grow with every peer ever seen.
        if (currentWindow(peerId, bucket)!.total === 0) windows.delete(peerId);
        else peers.add(peerId);
      }
      for (const owner of memory?.owners() ?? []) {
        if (memory!.usage(owner).keys > 0) peers.add(owner);
      }
      return [...peers].sort().map((peerId) => row(peerId, bucket));
    },

    forget(peerId) {
      windows.delete(peerId);
    },
  };
}

/** Seconds until enough old buckets leave the window to bring it under `limit`, at least 1. */
function secondsUntilFree(taskWindow: TaskWindow, limit: number, at: number): number {
  const needed = taskWindow.total - limit + 1;
  let freed = 0;
  for (let bucket = taskWindow.head - WINDOW_BUCKETS + 1; bucket <= taskWindow.head; bucket += 1) {
    freed += taskWindow.counts[slot(bucket)]!;
    // Bucket `bucket` leaves the window when the head reaches bucket + WINDOW_BUCKETS.
    if (freed >= needed)
      return Math.max(1, Math.ceil(((bucket + WINDOW_BUCKETS) * BUCKET_MS - at) / BUCKET_MS));
  }
  return WINDOW_BUCKETS; // unreachable while total counts what is in the buckets
}

function slot(bucket: number): number {
  return ((bucket % WINDOW_BUCKETS) + WINDOW_BUCKETS) % WINDOW_BUCKETS;
}

function checkPeerId(peerId: unknown): void {
  if (typeof peerId !== 'string' || peerId === '') {
    throw new NetError(
      'EINVAL',
      `Peer id ${JSON.stringify(peerId) ?? String(peerId)} is not allowed. Expected a non-empty string.`,
    );
  }
}

function checkCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new NetError(
      'EINVAL',
      `Projected ${what} ${String(value)} is not allowed. Expected a whole number, 0 or more.`,
    );
  }
}

function formatMib(bytes: number): string {
  return `${Number((bytes / MIB).toFixed(1))} MiB`;
}

/** `{...defaults, ...limits}` would let an explicit undefined wipe out a default. */
function withoutUndefined(limits: Partial<QuotaLimits>): Partial<QuotaLimits> {
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
}
