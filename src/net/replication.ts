// Two trackers as twins (issue 6): each logs every state change it makes (change-log.ts), pushes it to
// its twin as soon as it is made, and applies the twin's, so either can answer peers when the other is
// gone. Stores plug in: a store is a kind of change and an idempotent apply().
// Interface:
//   const replication = openReplication({path, twin, log})       // path: the change log's SQLite file
//   const record = replication.plug({kind, keyOf, apply})         // record(data) after each local change
//   replication.forward(kind, key, data)                          // soft state (a heartbeat): sent, not logged
//   replication.serve(request, connection, body)                  // the tracker's REPLICATE, CHANGES, TWIN
//   replication.start(self); ...; replication.close()             // the link to the twin
// The twin: the one given, else the one kept in the log (change-log.ts). A tracker that links to its
// twin tells it so (TWIN, with where it listens); a twin with none takes it as its own and keeps it,
// so `--peer-tracker` on one side is enough for replication both ways, across restarts of either.
// The rule: each tracker's changes are applied everywhere in the order it made them (per-origin seq; a
// change after a gap waits for the ones before it). Two changes to one record (a store's keyOf) from two
// trackers: the later `at` wins, a tie goes to the greater origin id (last writer wins); a change older
// than the record's version is logged but not applied. A local change is stamped past the record's
// version, so it wins even when this clock lags the twin's. A store whose keyOf gives undefined
// (accounts) settles conflicts itself. Applying a change twice, or an older after a newer, changes nothing.

import {connect, withBody, type Connection, type Reply} from './connection.js';
import type {Limits} from './limits.js';
import type {JsonValue} from './json.js';
import {isNewer, openChangeLog, type Change, type ChangeLog} from './change-log.js';
import type {Request, WireChange, SoftChange} from './messages.js';
import {NetError} from './net-error.js';

export type {Change} from './change-log.js';

/** Changes in one REPLICATE or CHANGES answer: the header stays far below its 1 MiB limit. */
export const MAX_BATCH_CHANGES = 256;
/** Blob bytes in one batch (a file's chunk hashes are at most 2 MiB; a frame body at most 8 MiB). */
export const MAX_BATCH_BLOB_BYTES = 4 * 1024 * 1024;
/** Soft records (heartbeats) in one REPLICATE: about 100 bytes each. */
export const MAX_BATCH_SOFT = 2_048;
/** The twin link is dialled again after this long, doubling up to RECONNECT_MAX_MS. */
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;
/** A twin answers a batch within this long or the link is dropped and dialled again. */
const TWIN_REQUEST_TIMEOUT_MS = 5_000;
const TWIN_CONNECT_TIMEOUT_MS = 2_000;

/** A state a tracker keeps that its twin should hold too. */
export interface ReplicatedStore<T = JsonValue> {
  /** Names the store in the log and on the wire: peers, files, accounts. */
  readonly kind: string;
  /** The record a change sets, for last-writer-wins; undefined when apply() orders changes itself. */
  keyOf(data: T): string | undefined;
  /** When a change was made, when it says so itself (accounts do); else the time it is recorded. */
  timeOf?(data: T): number | undefined;
  /**
   * Apply a change made on another tracker, `at` ms on its clock, with its blob. Returns whether the
   * state changed. Must be idempotent. Throws EINVAL for a change it cannot take (logged and skipped),
   * anything else to have the batch sent again later.
   */
  apply(data: T, at: number, blob: Buffer | undefined): boolean;
  /** Apply soft state (a heartbeat) forwarded by the twin: not logged, lost on a restart. */
  applySoft?(data: T): void;
}

/** Records a local change: logged, stamped, and pushed to the twin. Returns the change. */
export type RecordChange<T = JsonValue> = (data: T, blob?: Buffer) => Change;

export interface ReplicationOptions {
  /** The change log's SQLite file, or ':memory:'. */
  path: string;
  /**
   * The twin tracker, kept in the log for later starts; null for none (a kept one is forgotten).
   * @default the twin kept in the log, if any; else alone (changes are still logged, for a twin added later)
   */
  twin?: TwinAddress | null;
  /** Told when a tracker's TWIN made it this tracker's twin (it is kept in the log too). */
  onTwin?: (twin: TwinAddress) => void;
  /** This tracker's name in HELLO. @default 'tracker' */
  name?: string;
  /** Passed to the twin link as to any connection (a network secret can go here). */
  connectOptions?: {limits?: Partial<Limits>; secret?: Uint8Array};
  log?: (line: string) => void;
  now?: () => number;
}

/** Where a twin tracker listens. */
export interface TwinAddress {
  host: string;
  port: number;
}

export interface ReplicationStatus {
  id: string;
  twin: string | null;
  /** The twin's id while the link is up. */
  twinId: string | null;
  isLinked: boolean;
  /** This tracker's changes the twin has not confirmed (unknown while unlinked: null). */
  unsent: number | null;
  cursors: Record<string, number>;
}

export interface Replication {
  /** This tracker's persistent id (change-log.ts). */
  readonly id: string;
  /** The twin: given, kept from an earlier start, or taken on when it said TWIN; undefined alone. */
  readonly twin: TwinAddress | undefined;
  /** Add a store; returns the function that records its local changes. Throws EEXIST for a kind already plugged. */
  plug<T>(store: ReplicatedStore<T>): RecordChange<T>;
  /** Send soft state to the twin (the latest per kind and key), unlogged. */
  forward(kind: string, key: string, data: JsonValue): void;
  /**
   * Answer REPLICATE, CHANGES or TWIN from the twin. Throws EPERM unless the caller said HELLO as a
   * tracker; for TWIN, EEXIST when this tracker already replicates with another.
   */
  serve(request: Request, connection: Connection, body: Buffer): Record<string, unknown> | Reply;
  /** Apply changes as they arrive from a twin (what serve() does for REPLICATE); returns the new cursor of each origin. */
  applyBatch(changes: Change[]): Record<string, number>;
  /**
   * Dial the twin (and again whenever the link drops). With `self`, where this tracker listens, each
   * link begins with TWIN so the twin replicates back.
   */
  start(self?: TwinAddress): void;
  status(): ReplicationStatus;
  /** The log, for tests and status. */
  readonly changeLog: ChangeLog;
  close(): void;
}

/** Open the change log and get ready to replicate; start() dials the twin. Throws as openChangeLog. */
export function openReplication(options: ReplicationOptions): Replication {
  const log = options.log ?? (() => {});
  const now = options.now ?? Date.now;
  const changeLog = openChangeLog(options.path);
  const {id} = changeLog;
  const stores = new Map<string, ReplicatedStore<never>>();
  const soft = new Map<string, SoftChange>();
  let twin: TwinAddress | undefined;
  try {
    if (options.twin !== undefined)
      changeLog.keep('twin', options.twin ? formatTwin(options.twin) : undefined);
    twin = options.twin === null ? undefined : (options.twin ?? parseTwin(changeLog.setting('twin')));
  } catch (error) {
    changeLog.close();
    throw error;
  }
  let twinName = twin && formatTwin(twin);
  /** Where this tracker listens, told to the twin at each link (start()). */
  let self: TwinAddress | undefined;
  let link: Connection | undefined;
  let dialing = false;
  let dialTimer: NodeJS.Timeout | undefined;
  let dialDelay = RECONNECT_MIN_MS;
  /** The twin's cursor of this tracker's changes, as it last answered; undefined until asked. */
  let twinCursor: number | undefined;
  let isPumping = false;
  let isPumpDue = false;
  let isClosed = false;
  const warned = new Set<string>();

  /** Apply one change from elsewhere, if it is next in its origin's sequence. Returns false at a gap. */
  function applyRemote(change: Change): boolean {
    const cursor = changeLog.cursor(change.origin);
    if (change.seq <= cursor) return true; // had it already
    if (change.seq > cursor + 1) return false; // the ones before it come first
    const store = stores.get(change.kind);
    const hasKey = change.key !== '';
    let isVersioned = false;
    if (store === undefined) {
      // Kept in the log (a later p2pos could replay it); this one cannot apply it.
      if (!warned.has(change.kind))
        log(`replication: no store of kind ${change.kind} here; its changes are logged only`);
      warned.add(change.kind);
    } else if (!hasKey || isNewer(change, changeLog.version(change.kind, change.key))) {
      try {
        store.apply(change.data as never, change.at, change.blob);
        isVersioned = hasKey;
      } catch (error) {
        const code = (error as {code?: unknown}).code;
        if (code !== 'EINVAL' && code !== 'ENOENT' && code !== 'EEXIST') throw error;
        log(
          `replication: change ${change.seq} of ${change.origin} (${change.kind}) skipped: ${(error as Error).message}`,
        );
      }
    }
    changeLog.append(change, isVersioned);
    return true;
  }

  function applyBatch(changes: Change[]): Record<string, number> {
    const stuck = new Set<string>();
    for (const change of changes) {
      if (stuck.has(change.origin)) continue;
      if (!applyRemote(change)) stuck.add(change.origin);
    }
    const cursors: Record<string, number> = {};
    for (const change of changes) cursors[change.origin] = changeLog.cursor(change.origin);
    return cursors;
  }

  function applySoft(records: readonly SoftChange[]): void {
    for (const record of records) {
      try {
        stores.get(record.kind)?.applySoft?.(record.data as never);
      } catch {
        // soft state about something this tracker does not know yet (a peer whose REGISTER is on its way)
      }
    }
  }

  function schedulePump(): void {
    if (link === undefined || isClosed) return;
    if (isPumping) {
      isPumpDue = true;
      return;
    }
    isPumping = true;
    setImmediate(() => void pump());
  }

  /** Send the twin what it lacks of this tracker's changes, then the soft state, until both are empty. */
  async function pump(): Promise<void> {
    try {
      for (;;) {
        isPumpDue = false;
        const connection = link;
        if (connection === undefined || isClosed) return;
        if (twinCursor === undefined) twinCursor = await sendBatch(connection, [], []);
        const changes = changeLog.since(id, twinCursor, {
          maxChanges: MAX_BATCH_CHANGES,
          maxBlobBytes: MAX_BATCH_BLOB_BYTES,
        });
        const records = [...soft.values()].slice(0, MAX_BATCH_SOFT);
        for (const record of records) soft.delete(`${record.kind}\0${record.key}`);
        if (changes.length === 0 && records.length === 0) {
          if (!isPumpDue) return;
          continue;
        }
        twinCursor = await sendBatch(connection, changes, records);
      }
    } catch (error) {
      link?.close(`replication: ${(error as Error).message}`);
    } finally {
      isPumping = false;
    }
  }

  async function sendBatch(
    connection: Connection,
    changes: Change[],
    records: SoftChange[],
  ): Promise<number> {
    const {header, body} = toWire(changes);
    const answer = await connection.request(
      {type: 'REPLICATE', origin: id, changes: header, soft: records},
      TWIN_REQUEST_TIMEOUT_MS,
      body,
    );
    const cursor = answer.cursor;
    if (typeof cursor !== 'number' || !Number.isSafeInteger(cursor) || cursor < 0)
      throw new NetError('EINVAL', `The twin answered REPLICATE with cursor ${String(cursor)}.`);
    return cursor;
  }

  /** Pull from the twin what this tracker lacks of every origin it knows (the twin's own first). */
  async function pull(connection: Connection): Promise<number> {
    const twinId = connection.remote!.peer;
    const queue = [twinId];
    const asked = new Set<string>();
    let applied = 0;
    while (queue.length > 0) {
      const origin = queue.shift()!;
      asked.add(origin);
      for (;;) {
        const since = changeLog.cursor(origin);
        const answer = await connection.request(
          {type: 'CHANGES', origin, since, limit: MAX_BATCH_CHANGES},
          TWIN_REQUEST_TIMEOUT_MS,
        );
        const changes = fromWire(answer.changes as WireChange[], answer.body ?? Buffer.alloc(0));
        applyBatch(changes);
        applied += changeLog.cursor(origin) - since;
        const theirs = (answer.cursors ?? {}) as Record<string, number>;
        for (const [other, seq] of Object.entries(theirs))
          if (other !== id && !asked.has(other) && !queue.includes(other) && seq > changeLog.cursor(other))
            queue.push(other);
        if (changes.length === 0 || changeLog.cursor(origin) >= (theirs[origin] ?? 0)) break;
        if (changeLog.cursor(origin) === since) break; // a gap the twin cannot fill: stop, do not spin
      }
    }
    return applied;
  }

  /**
   * Tell the twin this tracker replicates with it, and where it listens: a twin with none takes it as
   * its own. A twin that refuses (it has another) is warned about, and the link kept: this tracker's
   * changes still reach it, but its own arrive here only when the link is made again.
   */
  async function announce(connection: Connection): Promise<void> {
    if (self === undefined) return;
    try {
      const answer = await connection.request(
        {type: 'TWIN', host: self.host, port: self.port},
        TWIN_REQUEST_TIMEOUT_MS,
      );
      if (answer.isNew === true)
        log(`replication: twin ${connection.remote?.peer} at ${twinName} now replicates to this tracker too`);
    } catch (error) {
      const code = (error as {code?: unknown}).code;
      if (code === 'ECLOSED' || code === 'ETIMEDOUT') throw error;
      log(
        `replication: warning: twin ${connection.remote?.peer} at ${twinName} does not replicate to this tracker ` +
          `(${(error as Error).message}); this tracker gets its changes only when it links, so peers using it ` +
          `see a stale network: hand out its join line, not this tracker's, until it takes this one on.`,
      );
    }
  }

  /** TWIN from a tracker: take it as this tracker's twin when there is none, and keep it. */
  function onTwin(request: Extract<Request, {type: 'TWIN'}>, connection: Connection) {
    const callerId = connection.remote!.peer;
    // A tracker listening on every interface is reached at the address its link came from.
    const wildcard = request.host === '0.0.0.0' || request.host === '::';
    const address = {
      host: wildcard ? (connection.socket.remoteAddress ?? request.host) : request.host,
      port: request.port,
    };
    if (twin !== undefined) {
      if (isSameTracker(twin, address) || link?.remote?.peer === callerId)
        return {twin: twinName, isNew: false};
      throw new NetError(
        'EEXIST',
        `Tracker ${id} replicates with its twin at ${twinName}, and a network has two trackers, not more; ` +
          `to pair it with ${formatTwin(address)} instead, restart it with --peer-tracker ${formatTwin(address)}.`,
      );
    }
    changeLog.keep('twin', formatTwin(address));
    twin = address;
    twinName = formatTwin(address);
    log(
      `replication: tracker ${callerId} at ${twinName} replicates with this tracker; ` +
        "it is this tracker's twin from now on (kept in its change log)",
    );
    options.onTwin?.(address);
    dialDelay = RECONNECT_MIN_MS;
    dial();
    return {twin: twinName, isNew: true};
  }

  function dial(): void {
    if (twin === undefined || isClosed || link !== undefined || dialing) return;
    dialing = true;
    const target = twin;
    void (async () => {
      try {
        const connection = await connect({
          ...options.connectOptions,
          host: target.host,
          port: target.port,
          connectTimeoutMs: TWIN_CONNECT_TIMEOUT_MS,
          hello: {peer: id, role: 'tracker', name: options.name ?? 'tracker'},
        });
        if (connection.remote?.role !== 'tracker' || connection.remote.peer === id) {
          connection.close('not a twin tracker');
          throw new NetError(
            'EINVAL',
            `${twinName} is ${connection.remote?.role} ${connection.remote?.peer}, not another tracker.`,
          );
        }
        if (isClosed) return connection.close('tracker stopping');
        link = connection;
        twinCursor = undefined;
        dialDelay = RECONNECT_MIN_MS;
        connection.onClose((reason) => {
          if (link === connection) link = undefined;
          log(`replication: lost twin ${connection.remote?.peer} at ${twinName}: ${reason}`);
          scheduleDial();
        });
        await announce(connection);
        const pulled = await pull(connection);
        log(
          `replication: linked to twin ${connection.remote.peer} at ${twinName}; caught up ${pulled} change${pulled === 1 ? '' : 's'}`,
        );
        schedulePump();
      } catch (error) {
        if (link === undefined) {
          if (dialDelay === RECONNECT_MIN_MS)
            log(`replication: twin ${twinName} unreachable (${(error as Error).message}); retrying`);
          scheduleDial();
        } else link.close(`catching up failed: ${(error as Error).message}`);
      } finally {
        dialing = false;
      }
    })();
  }

  function scheduleDial(): void {
    if (isClosed || twin === undefined) return;
    clearTimeout(dialTimer);
    dialTimer = setTimeout(dial, dialDelay);
    dialTimer.unref();
    dialDelay = Math.min(dialDelay * 2, RECONNECT_MAX_MS);
  }

  return {
    id,
    changeLog,

    plug<T>(store: ReplicatedStore<T>): RecordChange<T> {
      if (stores.has(store.kind))
        throw new NetError('EEXIST', `A store of kind ${store.kind} is already replicated.`);
      stores.set(store.kind, store as ReplicatedStore<never>);
      return (data, blob) => {
        const key = store.keyOf(data) ?? '';
        const version = key === '' ? undefined : changeLog.version(store.kind, key);
        const at = Math.max(
          store.timeOf?.(data) ?? now(),
          version === undefined ? -Infinity : version.at + 1,
        );
        const change: Change = {
          origin: id,
          seq: changeLog.cursor(id) + 1,
          kind: store.kind,
          key,
          at,
          data: data as JsonValue,
          ...(blob === undefined ? {} : {blob}),
        };
        changeLog.append(change, key !== '');
        schedulePump();
        return change;
      };
    },

    forward(kind, key, data) {
      if (twin === undefined) return;
      soft.set(`${kind}\0${key}`, {kind, key, data});
      // Soft state for a twin that is away is dropped: it is stale by the time the link is back.
      if (link === undefined) soft.clear();
      else schedulePump();
    },

    serve(request, connection, body) {
      if (connection.remote?.role !== 'tracker')
        throw new NetError(
          'EPERM',
          `${request.type} is for a twin tracker; ${connection.remote?.role} ${connection.remote?.peer} is not one.`,
        );
      switch (request.type) {
        case 'REPLICATE': {
          applyBatch(fromWire(request.changes, body));
          applySoft(request.soft);
          return {cursor: changeLog.cursor(request.origin)};
        }
        case 'CHANGES': {
          const changes = changeLog.since(request.origin, request.since, {
            maxChanges: Math.min(request.limit, MAX_BATCH_CHANGES),
            maxBlobBytes: MAX_BATCH_BLOB_BYTES,
          });
          const {header, body: blobs} = toWire(changes);
          return withBody({changes: header, cursors: changeLog.cursors()}, blobs);
        }
        case 'TWIN':
          return onTwin(request, connection);
        default:
          throw new NetError('EINVAL', `Replication does not serve ${request.type}.`);
      }
    },

    applyBatch,

    get twin() {
      return twin;
    },

    start(listening) {
      self = listening;
      dial();
    },

    status() {
      const mine = changeLog.cursor(id);
      return {
        id,
        twin: twinName ?? null,
        twinId: link?.remote?.peer ?? null,
        isLinked: link !== undefined,
        unsent: link === undefined || twinCursor === undefined ? null : mine - twinCursor,
        cursors: changeLog.cursors(),
      };
    },

    close() {
      if (isClosed) return;
      isClosed = true;
      clearTimeout(dialTimer);
      link?.close('tracker stopping');
      link = undefined;
      changeLog.close();
    },
  };
}

function formatTwin({host, port}: TwinAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A twin kept as HOST:PORT (or [V6]:PORT), or undefined when none is kept or it is unreadable. */
function parseTwin(text: string | undefined): TwinAddress | undefined {
  const match = text === undefined ? null : /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text);
  if (match === null) return undefined;
  const port = Number(match[2]);
  return port >= 1 && port <= 65535 ? {host: match[1]!, port} : undefined;
}

/** Whether two addresses name one tracker: the same port, and the same host or both this machine's loopback. */
function isSameTracker(a: TwinAddress, b: TwinAddress): boolean {
  const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');
  return a.port === b.port && (a.host === b.host || (isLoopback(a.host) && isLoopback(b.host)));
}

/** Changes as a REPLICATE or CHANGES header carries them, their blobs one after another in the body. */
function toWire(changes: readonly Change[]): {header: WireChange[]; body: Buffer} {
  const blobs: Buffer[] = [];
  const header = changes.map(({blob, ...fields}) => {
    if (blob !== undefined) blobs.push(blob);
    return {...fields, blobBytes: blob?.length ?? 0};
  });
  return {header, body: Buffer.concat(blobs)};
}

/** The inverse of toWire. Throws EINVAL when the body does not hold the blobs the header counts. */
function fromWire(header: readonly WireChange[], body: Buffer): Change[] {
  let offset = 0;
  const changes = header.map(({blobBytes, ...fields}) => {
    const change: Change = {...fields};
    if (blobBytes > 0) {
      change.blob = Buffer.from(body.subarray(offset, offset + blobBytes));
      offset += blobBytes;
    }
    return change;
  });
  if (offset !== body.length)
    throw new NetError(
      'EINVAL',
      `A batch of changes counts ${offset} bytes of blobs, but its body holds ${body.length}.`,
    );
  return changes;
}
