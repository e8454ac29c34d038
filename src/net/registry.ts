// The tracker's peer registry: who is out there, where they listen, how busy they are, and which one
// should take the next task. Kept in memory for the hot paths and written through to a SQLite file, so
// a restarted tracker still knows its peers (as not alive until each heartbeats again).
// Interface:
//   - openRegistry(path, options) loads the file (or ':memory:'); close() writes what is pending.
//   - register, unregister write at once; heartbeat and recordResponseTime are written in batches
//     (one transaction per flushMs), so a crash loses at most that much load data, never a peer.
//   - leastLoaded() picks the peer for the next task; sweep() marks the silent ones dead.
// Time comes from the injected `now`; nothing here runs on a timer (the tracker calls sweep()).

import type BetterSqlite3 from 'better-sqlite3';
import {openSqliteFile} from '../sqlite.js';
import {toJsonText, type JsonValue} from './json.js';
import type {PeerLoad} from './messages.js';
import {NetError, newerSchema, storeFailure} from './net-error.js';

export const DEFAULT_HEARTBEAT_MS = 3_000;
/** Heartbeats a peer may miss before it counts as dead. */
export const DEFAULT_MISSED_BEATS = 3;
/** Heartbeats are written at most this often, in one transaction: thousands of peers beat every few seconds. */
export const DEFAULT_FLUSH_MS = 1_000;
/** The weight of a new response time in the moving average (TCP's smoothed RTT uses 1/8, RFC 6298). */
export const RTT_WEIGHT = 1 / 8;
// Field limits, the same as the protocol's (messages.ts), so anything that arrived in a valid message fits.
const MAX_ID_LENGTH = 64;
const MAX_NAME_LENGTH = 64;
const MAX_HOST_LENGTH = 255;
const MAX_PORT = 65_535;

// MIGRATIONS[n] takes the schema from version n to n + 1; a file's PRAGMA user_version says how far it is.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE peers (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     host TEXT NOT NULL,
     port INTEGER NOT NULL,
     version INTEGER NOT NULL,
     registered_at REAL NOT NULL, -- ms on the tracker's clock, like last_heartbeat
     last_heartbeat REAL NOT NULL,
     ready INTEGER NOT NULL,
     tasks INTEGER NOT NULL,
     queue INTEGER NOT NULL,
     tasks_done INTEGER NOT NULL,
     rtt_ms REAL
   ) WITHOUT ROWID;
   CREATE TABLE settings (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL -- JSON text
   ) WITHOUT ROWID;`,
];

export interface RegistryOptions {
  /** The clock, ms. */
  now: () => number;
  /** How often peers heartbeat, ms. @default DEFAULT_HEARTBEAT_MS */
  heartbeatMs?: number;
  /** @default DEFAULT_MISSED_BEATS */
  missedBeats?: number;
  /** Heartbeats are written to the file at most this often, ms; 0 writes each one. @default DEFAULT_FLUSH_MS */
  flushMs?: number;
}

/** What a peer says when it registers: where it listens, and the protocol version it spoke in HELLO. */
export interface PeerRegistration {
  id: string;
  name: string;
  host: string;
  port: number;
  version: number;
}

/** A peer's load as its heartbeat reports it: the protocol's own type. */
export type {PeerLoad} from './messages.js';

export interface Heartbeat extends PeerLoad {
  /** Tasks waiting for its sandbox. */
  queue: number;
  tasksDone: number;
  /** A response time the peer measured, ms; fed into the same average as recordResponseTime. */
  rttMs?: number | null;
}

export interface PeerRecord {
  // set at registration: id, name, host, port, version, registeredAt (the first registration's)
  id: string;
  name: string;
  host: string;
  port: number;
  version: number;
  registeredAt: number;
  // updated by every heartbeat
  lastHeartbeat: number;
  load: PeerLoad;
  queue: number;
  tasksDone: number;
  /** Recent response time, ms, a moving average (RTT_WEIGHT); null until one is known. */
  rttMs: number | null;
  /** Tasks handed to the peer by assign() since its last heartbeat; counted in its load until the next one. */
  assigned: number;
  /** False once sweep() finds it silent, and for every peer loaded from the file; a heartbeat revives it. */
  alive: boolean;
}

/**
 * A change to the registry as it travels to the twin tracker (replication.ts). Heartbeats are soft
 * state: forwarded to the twin, never logged.
 */
export type PeerChange =
  // registered: {op, peer} - the peer and where it listens, as of the change
  | {op: 'registered'; peer: PeerRegistration}
  // unregistered: {op, peerId} - it left the network
  | {op: 'unregistered'; peerId: string};

export interface Registry {
  /**
   * Add a peer, or update the address of one already known and revive it (load figures are kept until
   * its next heartbeat). Written to the file at once. Returns the peer as stored. Throws EINVAL for a bad
   * field, EIO when the write fails (nothing changes then).
   */
  register(peer: PeerRegistration): PeerRecord;
  /** Forget a peer, in the file at once. Returns false when it was not registered. Throws EIO when the write fails. */
  unregister(id: string): boolean;
  /**
   * Take a peer's load and mark it alive. Throws ENOENT for a peer that is not registered (it should
   * register again), EINVAL for a figure that is not a whole number 0 or more, and EIO when a due batch
   * write fails (the heartbeat is applied and the rows stay pending).
   */
  heartbeat(id: string, beat: Heartbeat): PeerRecord;
  /** Fold a measured response time (ms) into the peer's average. Throws ENOENT, EINVAL, EIO as heartbeat does. */
  recordResponseTime(id: string, ms: number): void;
  /**
   * Count one task just handed to the peer against its load until its next heartbeat (which reports it
   * in its own figures), so a burst of requests spreads over the peers. Not written to the file. Throws ENOENT.
   */
  assign(id: string): void;
  /**
   * The live peer with the least load (ready + tasks + queue + assigned), not in `exclude`; ties go to the lower
   * response time (unknown after known), then the lower id. Undefined when no live peer is left.
   */
  leastLoaded(options?: {exclude?: ReadonlySet<string>}): PeerRecord | undefined;
  get(id: string): PeerRecord | undefined;
  /** Every peer, alive or not, sorted by id. */
  list(): PeerRecord[];
  /**
   * Mark dead each live peer whose last heartbeat is more than missedBeats * heartbeatMs old, and write
   * pending heartbeats when due. Returns the ids newly marked dead, longest silent first.
   */
  sweep(): string[];
  /** A tracker setting stored beside the peers, or undefined. */
  setting(key: string): JsonValue | undefined;
  /** Store a tracker setting at once (undefined removes it). Throws EINVAL for a value that is not JSON, EIO. */
  setSetting(key: string, value: JsonValue | undefined): void;
  /** Write pending heartbeats now. Throws EIO naming the file when the write fails (they stay pending). */
  flush(): void;
  /**
   * Apply a change the twin tracker made `at` ms (its clock): a registration writes the peer, alive
   * when `at` is no older than missedBeats heartbeats (else not alive until it beats, as after a
   * restart); an unregistration forgets it. Returns whether anything changed. Throws EINVAL for a
   * change that is not well formed, EIO when the write fails.
   */
  apply(change: PeerChange, at: number): boolean;
  /** Flush and close; later calls throw EBADF (a second close() does nothing). */
  close(): void;
}

/** A peer as the registry holds it: its stored row, plus what lives only in memory and its place in the index. */
interface PeerState extends PeerRow {
  assigned: number;
  alive: boolean;
  /** ready + tasks + queue + assigned, the index's first key. */
  load: number;
  /** Position in the live-peer heap; -1 when not alive. */
  heapIndex: number;
}

interface PeerRow {
  id: string;
  name: string;
  host: string;
  port: number;
  version: number;
  registeredAt: number;
  lastHeartbeat: number;
  ready: number;
  tasks: number;
  queue: number;
  tasksDone: number;
  rttMs: number | null;
}

type UpsertParams = [
  id: string,
  name: string,
  host: string,
  port: number,
  version: number,
  registeredAt: number,
  lastHeartbeat: number,
  ready: number,
  tasks: number,
  queue: number,
  tasksDone: number,
  rttMs: number | null,
];
type BeatParams = [
  lastHeartbeat: number,
  ready: number,
  tasks: number,
  queue: number,
  tasksDone: number,
  rttMs: number | null,
  id: string,
];

interface Statements {
  upsertPeer: BetterSqlite3.Statement<UpsertParams>;
  deletePeer: BetterSqlite3.Statement<[id: string]>;
  updateBeat: BetterSqlite3.Statement<BeatParams>;
  upsertSetting: BetterSqlite3.Statement<[key: string, value: string]>;
  deleteSetting: BetterSqlite3.Statement<[key: string]>;
}

/**
 * Open (creating if needed) the registry at `path` (a file path, or ':memory:') and load its peers and
 * settings, every peer not alive. Throws EINVAL for a bad option, ENOTSUP for a file from a newer
 * p2pos, EIO naming the file when it cannot be opened or is not a registry.
 */
export function openRegistry(path: string, options: RegistryOptions): Registry {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const missedBeats = options.missedBeats ?? DEFAULT_MISSED_BEATS;
  const flushMs = options.flushMs ?? DEFAULT_FLUSH_MS;
  if (typeof path !== 'string' || path === '')
    throw new NetError('EINVAL', 'Registry path is empty. Expected a file path or :memory:.');
  if (typeof options.now !== 'function')
    throw new NetError('EINVAL', 'Registry option now is missing. Expected a clock function returning ms.');
  if (!(Number.isFinite(heartbeatMs) && heartbeatMs > 0))
    throw badOption('heartbeatMs', heartbeatMs, 'a positive number of ms');
  if (!(Number.isSafeInteger(missedBeats) && missedBeats > 0))
    throw badOption('missedBeats', missedBeats, 'a whole number, 1 or more');
  if (!(Number.isFinite(flushMs) && flushMs >= 0))
    throw badOption('flushMs', flushMs, 'a number of ms, 0 or more');
  const deadAfterMs = missedBeats * heartbeatMs;

  const {db, statements, rows, settingRows} = connect(path);
  const peers = new Map<string, PeerState>();
  const live = new PeerHeap();
  // Live peers in the order of their last heartbeat (a beat moves a peer to the end), so sweep() reads
  // only the stale ones from the front instead of scanning everyone.
  const byLastBeat = new Map<string, PeerState>();
  const pending = new Set<PeerState>(); // heartbeats not yet in the file
  const settings = new Map<string, string>(settingRows.map((row) => [row.key, row.value]));
  let lastNow = -Infinity;
  let lastFlushAt: number | undefined;
  let isClosed = false;

  for (const row of rows) {
    peers.set(row.id, {
      ...row,
      assigned: 0,
      alive: false,
      load: row.ready + row.tasks + row.queue,
      heapIndex: -1,
    });
  }

  /** The injected clock, never stepping back: the heartbeat order and sweep() rely on it. */
  function clock(): number {
    lastNow = Math.max(lastNow, options.now());
    return lastNow;
  }

  function assertOpen(): void {
    if (isClosed) throw new NetError('EBADF', `Registry ${path} is closed.`);
  }

  function known(id: string): PeerState {
    assertOpen();
    const peer = peers.get(id);
    if (peer === undefined) {
      throw new NetError(
        'ENOENT',
        `Peer ${JSON.stringify(String(id))} is not registered; it should register again.`,
      );
    }
    return peer;
  }

  /** A beat (or registration) from `peer` at `at`: alive, last in the beat order, placed in the index. */
  function markAlive(peer: PeerState, at: number): void {
    peer.lastHeartbeat = at;
    byLastBeat.delete(peer.id);
    byLastBeat.set(peer.id, peer);
    if (peer.alive) live.update(peer);
    else {
      peer.alive = true;
      live.add(peer);
    }
  }

  function markDead(peer: PeerState): void {
    peer.alive = false;
    byLastBeat.delete(peer.id);
    live.remove(peer);
  }

  function flush(): void {
    assertOpen();
    lastFlushAt = lastNow;
    if (pending.size === 0) return;
    const batch = [...pending];
    write('save heartbeats', () =>
      db.transaction(() => {
        for (const peer of batch) {
          statements.updateBeat.run(
            peer.lastHeartbeat,
            peer.ready,
            peer.tasks,
            peer.queue,
            peer.tasksDone,
            peer.rttMs,
            peer.id,
          );
        }
      })(),
    );
    pending.clear();
  }

  function flushIfDue(at: number): void {
    if (lastFlushAt === undefined) lastFlushAt = at; // the first batch is due flushMs after the first beat
    if (at - lastFlushAt >= flushMs) flush();
  }

  function foldResponseTime(peer: PeerState, ms: number): void {
    peer.rttMs = peer.rttMs === null ? ms : peer.rttMs + RTT_WEIGHT * (ms - peer.rttMs);
  }

  /** Run a write; a SQLite or fs failure becomes a one-line EIO naming the file. */
  function write(what: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      throw storeFailure(error, `Cannot ${what} in registry ${path}`);
    }
  }

  /**
   * Write `registration` for its peer, a new record (registered at `at`) when there is none, and keep
   * it in memory; the row's last heartbeat is `heartbeatAt`, or the one the peer has. Returns the peer.
   */
  function savePeer(registration: PeerRegistration, at: number, heartbeatAt: number | undefined): PeerState {
    const {id, name, host, port, version} = registration;
    const peer: PeerState = peers.get(id) ?? {
      id,
      name,
      host,
      port,
      version,
      registeredAt: at,
      lastHeartbeat: at,
      ready: 0,
      tasks: 0,
      queue: 0,
      tasksDone: 0,
      rttMs: null,
      assigned: 0,
      alive: false,
      load: 0,
      heapIndex: -1,
    };
    write('save peer ' + JSON.stringify(id), () => {
      statements.upsertPeer.run(
        id,
        name,
        host,
        port,
        version,
        peer.registeredAt,
        heartbeatAt ?? peer.lastHeartbeat,
        peer.ready,
        peer.tasks,
        peer.queue,
        peer.tasksDone,
        peer.rttMs,
      );
    });
    Object.assign(peer, {name, host, port, version});
    peers.set(id, peer);
    pending.delete(peer); // the row just written holds its latest load too
    return peer;
  }

  return {
    register(registration) {
      assertOpen();
      checkRegistration(registration);
      const at = clock();
      const peer = savePeer(registration, at, at);
      markAlive(peer, at);
      return toRecord(peer);
    },

    unregister(id) {
      assertOpen();
      const peer = peers.get(id);
      if (peer === undefined) return false;
      write('remove peer ' + JSON.stringify(id), () => statements.deletePeer.run(id));
      if (peer.alive) markDead(peer);
      peers.delete(id);
      pending.delete(peer);
      return true;
    },

    heartbeat(id, beat) {
      const peer = known(id);
      checkBeat(id, beat);
      const at = clock();
      peer.ready = beat.ready;
      peer.tasks = beat.tasks;
      peer.queue = beat.queue;
      peer.tasksDone = beat.tasksDone;
      peer.assigned = 0;
      peer.load = beat.ready + beat.tasks + beat.queue;
      if (typeof beat.rttMs === 'number') foldResponseTime(peer, beat.rttMs);
      markAlive(peer, at);
      pending.add(peer);
      flushIfDue(at);
      return toRecord(peer);
    },

    recordResponseTime(id, ms) {
      const peer = known(id);
      checkResponseTime(id, ms);
      foldResponseTime(peer, ms);
      if (peer.alive) live.update(peer);
      pending.add(peer);
      flushIfDue(clock());
    },

    assign(id) {
      const peer = known(id);
      peer.assigned += 1;
      peer.load += 1;
      if (peer.alive) live.update(peer);
    },

    leastLoaded({exclude} = {}) {
      assertOpen();
      const peer =
        exclude && exclude.size > 0 ? live.first((candidate) => exclude.has(candidate.id)) : live.first();
      return peer && toRecord(peer);
    },

    get(id) {
      assertOpen();
      const peer = peers.get(id);
      return peer && toRecord(peer);
    },

    list() {
      assertOpen();
      return [...peers.values()].sort((a, b) => compareIds(a.id, b.id)).map(toRecord);
    },

    sweep() {
      assertOpen();
      const at = clock();
      const dead: string[] = [];
      for (const peer of byLastBeat.values()) {
        if (at - peer.lastHeartbeat <= deadAfterMs) break; // the rest beat more recently
        markDead(peer);
        dead.push(peer.id);
      }
      flushIfDue(at);
      return dead;
    },

    setting(key) {
      assertOpen();
      const text = settings.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
    },

    setSetting(key, value) {
      assertOpen();
      if (typeof key !== 'string' || key === '')
        throw new NetError('EINVAL', 'Setting name is empty. Expected a non-empty string.');
      if (value === undefined) {
        write(`remove setting ${key}`, () => statements.deleteSetting.run(key));
        settings.delete(key);
        return;
      }
      const text = toJsonText(value, `Setting ${key}`);
      write(`save setting ${key}`, () => statements.upsertSetting.run(key, text));
      settings.set(key, text);
    },

    flush,

    apply(change, at) {
      assertOpen();
      if (change?.op === 'unregistered') {
        const peer = peers.get(change.peerId);
        if (peer === undefined) return false;
        write('remove peer ' + JSON.stringify(peer.id), () => statements.deletePeer.run(peer.id));
        if (peer.alive) markDead(peer);
        peers.delete(peer.id);
        pending.delete(peer);
        return true;
      }
      if (change?.op !== 'registered')
        throw new NetError(
          'EINVAL',
          `Peer change ${quote((change as {op?: unknown})?.op)} is not known. Expected registered or unregistered.`,
        );
      checkRegistration(change.peer);
      if (!Number.isFinite(at))
        throw new NetError('EINVAL', `Peer change time ${quote(at)} is not a number of ms.`);
      const {id, name, host, port, version} = change.peer;
      const now = clock();
      const isRecent = now - at <= deadAfterMs;
      const previous = peers.get(id);
      const isSame =
        previous !== undefined &&
        previous.name === name &&
        previous.host === host &&
        previous.port === port &&
        previous.version === version;
      if (isSame && (previous.alive || !isRecent)) return false;
      const peer = savePeer(change.peer, at, undefined);
      if (isRecent) markAlive(peer, now);
      return true;
    },

    close() {
      if (isClosed) return; // idempotent, so an exit path and a signal handler can both call it
      try {
        flush();
      } finally {
        isClosed = true;
        db.close();
      }
    },
  };
}

/** Open the file, bring its schema up to date, and read everything it holds. */
function connect(path: string): {
  db: BetterSqlite3.Database;
  statements: Statements;
  rows: PeerRow[];
  settingRows: Array<{key: string; value: string}>;
} {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = openSqliteFile(path, MIGRATIONS, newerSchema('Registry', path));
    const statements: Statements = {
      upsertPeer: db.prepare<UpsertParams>(
        `INSERT INTO peers (id, name, host, port, version, registered_at, last_heartbeat, ready, tasks, queue, tasks_done, rtt_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, host = excluded.host, port = excluded.port,
           version = excluded.version, last_heartbeat = excluded.last_heartbeat, ready = excluded.ready,
           tasks = excluded.tasks, queue = excluded.queue, tasks_done = excluded.tasks_done, rtt_ms = excluded.rtt_ms`,
      ),
      deletePeer: db.prepare<[string]>('DELETE FROM peers WHERE id = ?'),
      updateBeat: db.prepare<BeatParams>(
        `UPDATE peers SET last_heartbeat = ?, ready = ?, tasks = ?, queue = ?, tasks_done = ?, rtt_ms = ? WHERE id = ?`,
      ),
      upsertSetting: db.prepare<[string, string]>(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      deleteSetting: db.prepare<[string]>('DELETE FROM settings WHERE key = ?'),
    };
    const rows = db
      .prepare<[], PeerRow>(
        `SELECT id, name, host, port, version, registered_at AS registeredAt, last_heartbeat AS lastHeartbeat,
           ready, tasks, queue, tasks_done AS tasksDone, rtt_ms AS rttMs FROM peers`,
      )
      .all();
    const settingRows = db.prepare<[], {key: string; value: string}>('SELECT key, value FROM settings').all();
    return {db, statements, rows, settingRows};
  } catch (error) {
    db?.close();
    if (error instanceof NetError) throw error;
    throw storeFailure(error, `Cannot open registry ${path}`);
  }
}

/**
 * A binary min-heap of the live peers by (load, rtt with unknown last, id), each peer knowing its
 * position so a heartbeat moves it in O(log n) and the least loaded is at the root.
 */
class PeerHeap {
  readonly #items: PeerState[] = [];

  add(peer: PeerState): void {
    peer.heapIndex = this.#items.length;
    this.#items.push(peer);
    this.#siftUp(peer.heapIndex);
  }

  remove(peer: PeerState): void {
    const index = peer.heapIndex;
    const last = this.#items.pop()!;
    peer.heapIndex = -1;
    if (last === peer) return;
    this.#place(last, index);
    this.update(last);
  }

  /** Restore order after `peer`'s keys changed. */
  update(peer: PeerState): void {
    this.#siftUp(peer.heapIndex);
    this.#siftDown(peer.heapIndex);
  }

  /**
   * The least peer that `isExcluded` does not reject. Best-first over the tree: a node's children are
   * never less than it, so candidates come out in order, and only the excluded peers and their children are visited.
   */
  first(isExcluded?: (peer: PeerState) => boolean): PeerState | undefined {
    const items = this.#items;
    const root = items[0];
    if (root === undefined || !isExcluded?.(root)) return root;
    const frontier = [0]; // heap positions, itself a min-heap by the peers at those positions
    const less = (a: number, b: number): boolean => comparePeers(items[a]!, items[b]!) < 0;
    while (frontier.length > 0) {
      const index = popMin(frontier, less);
      const peer = items[index]!;
      if (!isExcluded(peer)) return peer;
      for (const child of [2 * index + 1, 2 * index + 2]) {
        if (child < items.length) pushMin(frontier, child, less);
      }
    }
    return undefined;
  }

  #place(peer: PeerState, index: number): void {
    this.#items[index] = peer;
    peer.heapIndex = index;
  }

  #siftUp(index: number): void {
    const peer = this.#items[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = this.#items[parentIndex]!;
      if (comparePeers(parent, peer) <= 0) break;
      this.#place(parent, index);
      index = parentIndex;
    }
    this.#place(peer, index);
  }

  #siftDown(index: number): void {
    const items = this.#items;
    const peer = items[index]!;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= items.length) break;
      if (child + 1 < items.length && comparePeers(items[child + 1]!, items[child]!) < 0) child += 1;
      if (comparePeers(items[child]!, peer) >= 0) break;
      this.#place(items[child]!, index);
      index = child;
    }
    this.#place(peer, index);
  }
}

function pushMin(heap: number[], value: number, less: (a: number, b: number) => boolean): void {
  let index = heap.push(value) - 1;
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (!less(value, heap[parent]!)) break;
    heap[index] = heap[parent]!;
    index = parent;
  }
  heap[index] = value;
}

function popMin(heap: number[], less: (a: number, b: number) => boolean): number {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length === 0) return top;
  let index = 0;
  for (;;) {
    let child = 2 * index + 1;
    if (child >= heap.length) break;
    if (child + 1 < heap.length && less(heap[child + 1]!, heap[child]!)) child += 1;
    if (!less(heap[child]!, last)) break;
    heap[index] = heap[child]!;
    index = child;
  }
  heap[index] = last;
  return top;
}

/** Least loaded first; then the lower response time, unknown after known; then the lower id. */
function comparePeers(a: PeerState, b: PeerState): number {
  if (a.load !== b.load) return a.load - b.load;
  if (a.rttMs !== b.rttMs) {
    if (a.rttMs === null) return 1;
    if (b.rttMs === null) return -1;
    return a.rttMs - b.rttMs;
  }
  return compareIds(a.id, b.id);
}

/** UTF-16 code unit order, not the locale's: the same choice on every machine. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toRecord(peer: PeerState): PeerRecord {
  return {
    id: peer.id,
    name: peer.name,
    host: peer.host,
    port: peer.port,
    version: peer.version,
    registeredAt: peer.registeredAt,
    lastHeartbeat: peer.lastHeartbeat,
    load: {ready: peer.ready, tasks: peer.tasks},
    queue: peer.queue,
    tasksDone: peer.tasksDone,
    rttMs: peer.rttMs,
    assigned: peer.assigned,
    alive: peer.alive,
  };
}

function checkRegistration(peer: PeerRegistration): void {
  if (typeof peer !== 'object' || peer === null)
    throw new NetError('EINVAL', 'Registration is missing. Expected {id, name, host, port, version}.');
  const {id, name, host, port, version} = peer;
  if (typeof id !== 'string' || id.length < 1 || id.length > MAX_ID_LENGTH) {
    throw new NetError(
      'EINVAL',
      `Peer id ${quote(id)} is not allowed. Expected a string of 1 to ${MAX_ID_LENGTH} characters.`,
    );
  }
  if (typeof name !== 'string' || name.length > MAX_NAME_LENGTH) {
    throw new NetError(
      'EINVAL',
      `Peer ${id} has name ${quote(name)}. Expected a string of at most ${MAX_NAME_LENGTH} characters.`,
    );
  }
  if (typeof host !== 'string' || host.length < 1 || host.length > MAX_HOST_LENGTH) {
    throw new NetError(
      'EINVAL',
      `Peer ${id} has host ${quote(host)}. Expected a string of 1 to ${MAX_HOST_LENGTH} characters.`,
    );
  }
  if (!Number.isSafeInteger(port) || port < 1 || port > MAX_PORT) {
    throw new NetError(
      'EINVAL',
      `Peer ${id} has port ${quote(port)}. Expected a whole number from 1 to ${MAX_PORT}.`,
    );
  }
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new NetError(
      'EINVAL',
      `Peer ${id} has protocol version ${quote(version)}. Expected a whole number, 1 or more.`,
    );
  }
}

function checkBeat(id: string, beat: Heartbeat): void {
  if (typeof beat !== 'object' || beat === null)
    throw new NetError(
      'EINVAL',
      `Heartbeat from peer ${id} is missing. Expected {ready, tasks, queue, tasksDone}.`,
    );
  for (const field of ['ready', 'tasks', 'queue', 'tasksDone'] as const) {
    const value = beat[field];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new NetError(
        'EINVAL',
        `Heartbeat from peer ${id} has ${field} ${quote(value)}. Expected a whole number, 0 or more.`,
      );
    }
  }
  if (beat.rttMs !== undefined && beat.rttMs !== null) checkResponseTime(id, beat.rttMs);
}

function checkResponseTime(id: string, ms: number): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new NetError(
      'EINVAL',
      `Response time ${quote(ms)} for peer ${id} is not allowed. Expected a number of ms, 0 or more.`,
    );
  }
}

function badOption(name: string, value: unknown, expected: string): NetError {
  return new NetError(
    'EINVAL',
    `Registry option ${name} ${quote(value)} is not allowed. Expected ${expected}.`,
  );
}

/** A bad value as the message shows it: strings quoted, so '' and '3' read as strings. */
function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
