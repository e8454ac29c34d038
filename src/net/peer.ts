// A peer: this kernel on the network. It listens for other peers (tasks to run, key/value memory),
// keeps a link to the tracker (REGISTER, then a HEARTBEAT with its load every few seconds, again
// after any break), and submits tasks: placed by the tracker on the least-loaded peer, on a named
// peer, or here, retried elsewhere on failure when asked.
// Interface:
//   const peer = await startPeer({kernel, host, port, tracker: {host, port}})
//   await peer.exec(spec, {placement: 'auto', retries: 1})   // the outcome and where it ran
//   await peer.memory('p-1234').set('k', {a: 1})              // any peer's key/value store
//   await peer.close()                                         // unregister, finish or refuse work

import {randomBytes} from 'node:crypto';
import type {Kernel} from '../kernel/index.js';
import {connect, type Connection, type Outgoing, type Reply} from './connection.js';
import {RequestError} from './errors.js';
import {createKvStore, MAX_KEY_BYTES, type KvEntry, type KvStore} from './kv-store.js';
import type {Limits} from './limits.js';
import {createSharing, type Sharing} from './files/sharing.js';
import {openTransferStore, type TransferStore} from './files/transfer-store.js';
import {createUploadLimit} from './files/upload-limit.js';
import type {Ok, PeerAddress, PeerInfo, Request, TaskOutcome, TaskSpec} from './messages.js';
import {NetError} from './net-error.js';
import {formatTracker, trackerList, type TrackerChoice} from './tracker-list.js';
import {createQuotas, type QuotaLimits, type Quotas} from './quota.js';
import {createResultCache, type ResultCache} from './result-cache.js';
import {createSandboxPool, type SandboxPool} from './sandbox/pool.js';
import {listen, type Server} from './server.js';
import {createTaskRunner, quotaKey, type RanTask, type TaskRunner} from './task-runner.js';
import {verifySessionToken} from './session-token.js';

export const DEFAULT_PEER_PORT = 9000;
/** Time an EXEC may take beyond the task's own timeout before the submitter gives up on the peer. */
const EXEC_MARGIN_MS = 5_000;
/** Submitted tasks `tasks` remembers. */
const MAX_SUBMITTED = 1_000;
/** A finished task's result is kept for `tasks` up to this size as JSON: 1,000 of them stay small. */
const MAX_KEPT_RESULT_BYTES = 16 * 1024;
const RECONNECT_MIN_MS = 250;
/** Keys one LIST_MEM answers with: keeps the answer well inside a frame. */
const MAX_LIST_KEYS = 1_000;
const RECONNECT_MAX_MS = 5_000;
// Failover between trackers (issue 6), when a peer has several: a tracker that closes the link is left
// at once; one that hangs is left when a request to it gets no answer within TRACKER_REQUEST_TIMEOUT_MS
// (heartbeats included). Together with connecting and registering, the next one serves within 2 s.
/** With several trackers, a tracker request unanswered this long means the tracker is gone. */
export const TRACKER_REQUEST_TIMEOUT_MS = 1_500;
/** With several trackers, connecting and HELLO to one may take this long before the next is tried. */
const TRACKER_CONNECT_TIMEOUT_MS = 1_000;
/** After a tracker link closes, the next is tried this soon (not after a whole heartbeat). */
const FAILOVER_DELAY_MS = 20;
/**
 * Tracker requests that are safe to send again to the other tracker when the link died with one in
 * flight: reads, and registrations that state a fact (a repeat leaves the same state). Anything else
 * (an account created, a password changed) fails with the link's error instead.
 */
const RETRYABLE_TRACKER_REQUESTS: ReadonlySet<string> = new Set([
  'REGISTER',
  'UNREGISTER',
  'HEARTBEAT',
  'REQUEST_CPU',
  'PEERS',
  'SHARE',
  'UNSHARE',
  'HAVE',
  'FILES',
  'FILE',
  'ECHO',
  // account reads: a chunk request checked with ACCESS mid-failover still gets its answer
  'WHOAMI',
  'GROUPS',
  'ACCESS',
]);
/** Sessions an --insecure peer remembers the tracker's word on (one per user who sent it work). */
const MAX_KNOWN_TOKENS = 1_024;

export interface TrackerAddress {
  host: string;
  port: number;
}

export interface PeerOptions {
  kernel: Kernel;
  host: string;
  port: number;
  fallbackToFreePort?: boolean;
  name?: string;
  /**
   * The tracker to join, or several in order of preference (the peer fails over from one to the next
   * when it stops answering); undefined runs the peer offline: no port, no tracker, every task here.
   */
  tracker: TrackerChoice;
  /** Heartbeat period until the tracker says its own. @default 3000 */
  heartbeatMs?: number;
  quotas?: Partial<QuotaLimits>;
  limits?: Partial<Limits>;
  /**
   * The network secret: this peer's server, its tracker link, its links to other peers and the file
   * chunks they carry are all TLS keyed from it (secure-link.ts). @default plain TCP (--insecure)
   */
  secret?: Uint8Array;
  /** Run tasks for other peers (false: --no-remote-exec; this peer's own tasks still run here). @default true */
  remoteExec?: boolean;
  /** Where shares and download progress persist; by default an in-memory store (nothing survives). */
  transfers?: TransferStore;
  /** Bytes per second this peer sends of file chunks at most, over all connections. @default no cap */
  maxUploadRate?: number;
  /** Largest file shared or downloaded, bytes. @default 4 GiB */
  maxFileBytes?: number;
  /** How long a download waits with no peer to fetch from before it fails, ms (tests shorten it). */
  downloadStallMs?: number;
  /** A sandbox to use (tests share one); by default the peer starts its own. */
  sandbox?: SandboxPool;
  log?: (line: string) => void;
  /** Each task this peer submitted or ran for another peer, when it ends. */
  onTaskEnded?: (task: EndedTask) => void;
  now?: () => number;
}

/** Who uses this peer (login): the tracker's session, sent with what needs a user. */
export interface PeerSession {
  token: string;
  user: string;
  /** Epoch ms the tracker stops honouring the token. */
  expiresAt: number;
}

/** How `exec` picks the peer. */
export type Placement = {mode: 'auto'} | {mode: 'local'} | {mode: 'peer'; peer: string};

export type TaskState = 'placing' | 'queued' | 'running' | 'done' | 'failed' | 'canceled';

/** A task this peer submitted, as `tasks` lists it. */
export interface SubmittedTask {
  taskId: string;
  fn: string;
  codeHash: string;
  state: TaskState;
  /** The peer running it (or that ran it last). */
  peer: string | undefined;
  attempts: number;
  submittedAt: number;
  finishedAt: number | undefined;
  error: string | undefined;
  cached: boolean;
  /** Its result once done, when its JSON is at most MAX_KEPT_RESULT_BYTES (see resultBytes). */
  result?: unknown;
  /** The size of the result as JSON, once done: over MAX_KEPT_RESULT_BYTES it is not kept. */
  resultBytes?: number;
}

/** A task that ended, submitted here (submitter = this peer) or run here for another peer. */
export interface EndedTask {
  spec: TaskSpec;
  submitter: string;
  /** The user whose session submitted it; null when nobody was logged in. */
  user: string | null;
  outcome: TaskOutcome;
  attempts: number;
  submittedAt: number;
  startedAt: number | null;
  finishedAt: number;
}

export type ExecResult = TaskOutcome & {attempts: number; turnaroundMs: number};

/** One peer's key/value store, here or across the network. */
export interface Memory {
  set(key: string, value: unknown): Promise<{created: boolean; bytes: number}>;
  get(key: string): Promise<{found: boolean; value: unknown}>;
  del(key: string): Promise<boolean>;
  list(prefix?: string): Promise<KvEntry[]>;
}

export interface NetStats {
  bytesIn: number;
  bytesOut: number;
  /** Open connections: to the tracker, to peers, from peers. */
  connections: {tracker: boolean; outgoing: number; incoming: number};
}

export interface Peer {
  readonly id: string;
  readonly name: string;
  /** Where it listens; '' and 0 offline. */
  readonly host: string;
  readonly port: number;
  /** The tracker in use now (it changes on failover); undefined offline. */
  readonly tracker: TrackerAddress | undefined;
  /** Every tracker it may use, in order; [] offline. */
  readonly trackers: readonly TrackerAddress[];
  /** Whether its links are TLS keyed from the network secret (false: plain TCP, --insecure). */
  readonly isSecure: boolean;
  readonly kv: KvStore;
  readonly cache: ResultCache;
  readonly quotas: Quotas;
  readonly runner: TaskRunner;
  /** Files this peer shares and downloads. */
  readonly sharing: Sharing;
  /** Whether the tracker link is up (registered). */
  isRegistered(): boolean;
  /** Who is logged in here (login); undefined when nobody is. */
  readonly session: PeerSession | undefined;
  setSession(session: PeerSession | undefined): void;
  /** One request to the tracker (the account commands' USERADD, LOGIN…); throws RequestError with its code. */
  requestTracker(message: Outgoing): Promise<Ok>;
  peers(): Promise<PeerInfo[]>;
  /** Run a task somewhere; resolves with its outcome (a failed task is an outcome, not a throw). */
  exec(spec: TaskSpec, options: {placement: Placement; retries: number}): Promise<ExecResult>;
  /** Run many tasks placed by the tracker, results in order. */
  batch(specs: TaskSpec[]): Promise<ExecResult[]>;
  /** Cancel a task this peer submitted or runs. Throws ENOENT when it knows no such task. */
  cancel(taskId: string): Promise<{taskId: string; peer: string; state: string}>;
  submitted(): SubmittedTask[];
  /** A task this peer submitted, once it has ended (at once if it has); undefined if it knows no such task. */
  ended(taskId: string): Promise<SubmittedTask | undefined>;
  memory(peerId?: string): Promise<Memory>;
  stats(): NetStats;
  /** Unregister, refuse queued tasks, let running ones finish briefly, close every connection. */
  close(): Promise<void>;
}

/** Set by cancel() while exec() awaits, which the compiler cannot see. */
const isCanceled = (task: SubmittedTask): boolean => task.state === 'canceled';

export function newTaskId(): string {
  return randomBytes(4).toString('hex');
}

export async function startPeer(options: PeerOptions): Promise<Peer> {
  const {kernel} = options;
  const trackers = trackerList(options.tracker);
  /** Any tracker, for the checks that only ask whether the peer is online. */
  const tracker: TrackerAddress | undefined = trackers[0];
  /** The index in `trackers` of the one in use. */
  let current = 0;
  const hasFailover = trackers.length > 1;
  const trackerLimits = hasFailover
    ? {...options.limits, handshakeTimeoutMs: TRACKER_CONNECT_TIMEOUT_MS}
    : options.limits;
  const trackerTimeoutMs = hasFailover ? TRACKER_REQUEST_TIMEOUT_MS : undefined;
  const log = options.log ?? (() => {});
  const now = options.now ?? Date.now;
  const id = `p-${randomBytes(4).toString('hex')}`;
  const kv = createKvStore();
  const cache = createResultCache({now});
  const quotas = createQuotas(options.quotas ?? {}, now, kv);
  const ownsSandbox = options.sandbox === undefined;
  const sandbox = options.sandbox ?? createSandboxPool({log});
  const runner = createTaskRunner({
    kernel,
    peerId: id,
    sandbox,
    cache,
    quotas,
    now,
    log,
    onFinished: (task: RanTask) => {
      // Tasks this peer submitted are recorded when the submitter sees them end (below).
      if (task.submitter !== id) options.onTaskEnded?.({...task, attempts: 1});
    },
  });
  const submitted = new Map<string, SubmittedTask>();
  let closedBytes = {in: 0, out: 0};
  let isClosing = false;

  // ---- serving other peers ----
  // Tasks run for a connection share its fate: when the submitter goes away (closed, crashed), no one
  // is left to read their results, so they are canceled rather than left to run to their time limit.
  const runningFor = new WeakMap<Connection, Set<string>>();
  const runFor = async (
    connection: Connection,
    task: TaskSpec,
    user: string | null,
  ): Promise<TaskOutcome> => {
    let tasks = runningFor.get(connection);
    if (tasks === undefined) {
      const open = new Set<string>();
      runningFor.set(connection, (tasks = open));
      connection.onClose(() => {
        for (const taskId of open)
          runner.cancel(taskId, `its submitter ${connection.remote?.peer} went away`);
      });
    }
    if (tasks.has(task.taskId)) return runner.run(task, connection.remote!.peer, user); // refused: EEXIST
    tasks.add(task.taskId);
    try {
      return await runner.run(task, connection.remote!.peer, user);
    } finally {
      tasks.delete(task.taskId);
    }
  };
  const remoteExec = options.remoteExec ?? true;
  /** Throws EPERM when this peer runs no tasks for others (--no-remote-exec). */
  const mayRunFor = (from: string): void => {
    if (!remoteExec && from !== id)
      throw new NetError('EPERM', `Peer ${id} runs no tasks for other peers (--no-remote-exec).`);
  };

  // A session token that came with a task or a memory key: checked here with the network secret,
  // without a round trip (a logout reaches peers only as the token's expiry). A peer without the
  // secret (--insecure) asks the tracker, once per token.
  const usersByToken = new Map<string, {user: string; expiresAt: number}>();
  const userOfToken = async (token: string | null | undefined): Promise<string | null> => {
    if (token === null || token === undefined) return null;
    if (options.secret !== undefined) return verifySessionToken(token, options.secret, now()).user;
    const known = usersByToken.get(token);
    if (known !== undefined && known.expiresAt > now()) return known.user;
    const answer = await askTracker({type: 'WHOAMI', token});
    if (usersByToken.size >= MAX_KNOWN_TOKENS) usersByToken.delete(usersByToken.keys().next().value!);
    usersByToken.set(token, {user: String(answer.user), expiresAt: Number(answer.expiresAt)});
    return String(answer.user);
  };

  const serve = async (
    request: Request,
    connection: Connection,
  ): Promise<Record<string, unknown> | Reply> => {
    const from = connection.remote!.peer;
    switch (request.type) {
      case 'EXEC': {
        mayRunFor(from);
        const user = await userOfToken(request.token);
        return {outcome: await runFor(connection, request.task, user)};
      }
      case 'BATCH': {
        mayRunFor(from);
        const user = await userOfToken(request.token);
        return {outcomes: await Promise.all(request.tasks.map((task) => runFor(connection, task, user)))};
      }
      case 'CANCEL': {
        const state = runner.cancel(request.taskId, `canceled by ${from}`);
        if (state === undefined)
          throw new NetError('ENOENT', `No task ${request.taskId} queued or running on ${id}.`);
        return {state};
      }
      case 'SET_MEM': {
        // The key is the user's when a session wrote it (charged to the user's quota), else the peer's.
        const owner = quotaKey(from, await userOfToken(request.token));
        return kv.set(request.key, request.value, owner, {
          check: (projected, current) => quotas.checkMemory(owner, projected, current),
        });
      }
      case 'GET_MEM': {
        const value = kv.get(request.key);
        return value === undefined ? {found: false} : {found: true, value};
      }
      case 'DEL_MEM':
        return {deleted: kv.delete(request.key)};
      case 'LIST_MEM':
        return {entries: kv.list({prefix: request.prefix, limit: MAX_LIST_KEYS})};
      case 'ECHO':
        return {data: request.data};
      case 'CHUNK':
      case 'HAVE_MAP':
        return sharing.serve(request);
      default:
        throw new NetError('ENOTSUP', `A peer does not serve ${request.type}; ask the tracker.`);
    }
  };

  const hello = {peer: id, role: 'peer' as const, name: options.name ?? 'peer'};
  let server: Server | undefined;
  try {
    if (tracker !== undefined)
      server = await listen({
        host: options.host,
        port: options.port,
        fallbackToFreePort: options.fallbackToFreePort,
        hello,
        limits: options.limits,
        secret: options.secret,
        log,
        onRequest: serve,
      });
  } catch (error) {
    if (ownsSandbox) await sandbox.close();
    throw error;
  }
  if (ownsSandbox) sandbox.start(); // load isolated-vm now, not on the first task
  const name = options.name ?? (server ? `peer-${server.port}` : 'offline');
  hello.name = name;
  // Outgoing connections (tracker and peers) while open; their bytes move to closedBytes when they close.
  const openLinks = new Set<Connection>();
  const trackOnClose = (connection: Connection) => {
    openLinks.add(connection);
    connection.onClose(() => {
      openLinks.delete(connection);
      closedBytes = {in: closedBytes.in + connection.bytesIn, out: closedBytes.out + connection.bytesOut};
    });
  };

  // ---- the tracker link ----
  let heartbeatMs = options.heartbeatMs ?? 3_000;
  let trackerLink: Promise<Connection> | undefined;
  let registered = false;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let reconnectDelay = RECONNECT_MIN_MS;

  const openTrackerAt = (tracker: TrackerAddress): Promise<Connection> => {
    if (server === undefined)
      return Promise.reject(
        new RequestError('ENONET', 'Offline (--offline): there is no tracker and no other peer.'),
      );
    trackerLink ??= (async () => {
      try {
        const connection = await connect({
          ...tracker,
          hello,
          limits: trackerLimits,
          connectTimeoutMs: hasFailover ? TRACKER_CONNECT_TIMEOUT_MS : undefined,
          secret: options.secret,
          log,
        });
        trackOnClose(connection);
        connection.onClose((reason) => {
          trackerLink = undefined;
          if (registered) log(`lost the tracker at ${tracker.host}:${tracker.port}: ${reason}`);
          registered = false;
          if (isClosing) return;
          // Fail over: the next tracker, registered there right away rather than at the next beat.
          if (hasFailover && trackers[current] === tracker) current = (current + 1) % trackers.length;
          clearTimeout(heartbeatTimer);
          heartbeatTimer = setTimeout(beat, FAILOVER_DELAY_MS);
          heartbeatTimer.unref();
        });
        const answer = await connection.request({
          type: 'REGISTER',
          peer: {id, name, host: server!.host, port: server!.port},
          remoteExec,
        });
        if (typeof answer.heartbeatMs === 'number' && answer.heartbeatMs > 0)
          heartbeatMs = answer.heartbeatMs;
        registered = true;
        reconnectDelay = RECONNECT_MIN_MS;
        // A tracker that restarted, or a peer that did, knows nothing of this peer's files: tell it again.
        void sharing.announce();
        log(`registered with the tracker at ${tracker.host}:${tracker.port} as ${id} (${name})`);
        scheduleHeartbeat();
        return connection;
      } catch (error) {
        trackerLink = undefined;
        if (isRefusedLink(error)) throw refusedByTracker(tracker, error as RequestError, options.secret);
        throw new RequestError(
          'ENOTRACKER',
          `The tracker at ${tracker.host}:${tracker.port} is unreachable: ${(error as Error).message}`,
        );
      }
    })();
    return trackerLink;
  };

  const scheduleHeartbeat = () => {
    clearTimeout(heartbeatTimer);
    if (isClosing) return;
    heartbeatTimer = setTimeout(beat, registered ? heartbeatMs : reconnectDelay);
    heartbeatTimer.unref();
  };

  const beat = async () => {
    try {
      const load = runner.load();
      await askTracker({
        type: 'HEARTBEAT',
        peerId: id,
        load: {ready: load.ready, tasks: load.tasks},
        queue: load.queue,
        tasksDone: load.tasksDone,
        rttMs: load.rttMs,
      });
    } catch (error) {
      if ((error as RequestError).code === 'ENOENT') {
        // The tracker forgot us (restarted on a new file): register again on the next beat.
        trackerLink?.then(
          (connection) => connection.close('re-registering'),
          () => {},
        );
      } else {
        reconnectDelay = Math.min(reconnectDelay * 2, RECONNECT_MAX_MS);
      }
    }
    scheduleHeartbeat();
  };

  /**
   * The link to the tracker in use, opened and registered if need be. With several trackers, one that
   * cannot be reached is left for the next, each tried once; throws the last one's error (ENOTRACKER),
   * or EAUTH at once (a wrong secret is wrong for every tracker).
   */
  const openTracker = async (): Promise<Connection> => {
    if (tracker === undefined || server === undefined)
      throw new RequestError('ENONET', 'Offline (--offline): there is no tracker and no other peer.');
    // A request still in flight when close() dropped the link (a re-announce of the shares, a retried
    // SHARE) must not open a new one: nothing would close it, and the process would never exit.
    if (isClosing) throw new RequestError('ECLOSED', `Peer ${id} is shutting down.`);
    let failure: unknown;
    for (let tried = 0; tried < trackers.length; tried += 1) {
      const at = current;
      try {
        return await openTrackerAt(trackers[at]!);
      } catch (error) {
        failure = error;
        if ((error as RequestError).code === 'EAUTH') throw error;
        if (current === at) current = (at + 1) % trackers.length; // unless a concurrent caller moved on
      }
    }
    throw failure;
  };

  /**
   * Ask the tracker in use. When the link fails under the request (closed, or no answer within the
   * tracker timeout), it is dropped, and a request safe to repeat (RETRYABLE_TRACKER_REQUESTS) is sent
   * once more, to the next tracker.
   */
  const askTracker = async (message: Outgoing, body?: Uint8Array): Promise<Ok> => {
    const connection = await openTracker();
    try {
      return await connection.request(message, trackerTimeoutMs, body);
    } catch (error) {
      const code = (error as RequestError).code;
      if ((code !== 'ECLOSED' && code !== 'ETIMEDOUT') || !RETRYABLE_TRACKER_REQUESTS.has(message.type))
        throw error;
      connection.close(`${message.type} failed (${code}): failing over`);
      return (await openTracker()).request(message, trackerTimeoutMs, body);
    }
  };

  // ---- links to other peers ----
  const links = new Map<string, Promise<Connection>>();
  const addresses = new Map<string, PeerAddress & {alive: boolean}>();

  const refreshPeers = async (): Promise<PeerInfo[]> => {
    const answer = await askTracker({type: 'PEERS'});
    const list = answer.peers as PeerInfo[];
    for (const info of list) addresses.set(info.id, info);
    return list;
  };

  const linkTo = (peerId: string, address?: PeerAddress): Promise<Connection> => {
    // As for the tracker: a task retried while close() runs must not open a link nothing would close.
    if (isClosing) return Promise.reject(new RequestError('ECLOSED', `Peer ${id} is shutting down.`));
    if (address !== undefined && !links.has(peerId)) addresses.set(peerId, {...address, alive: true});
    let link = links.get(peerId);
    if (link === undefined) {
      link = (async () => {
        let info = addresses.get(peerId);
        if (info === undefined) {
          await refreshPeers();
          info = addresses.get(peerId);
        }
        if (info === undefined)
          throw new RequestError('ENOPEER', `No peer \`${peerId}\` is registered with the tracker.`);
        if (!info.alive) throw new RequestError('EDEAD', `Peer ${peerId} is marked dead (no heartbeat).`);
        const connection = await connect({
          host: info.host,
          port: info.port,
          hello,
          limits: options.limits,
          secret: options.secret,
          log,
        });
        if (connection.remote?.peer !== peerId) {
          connection.close('answered with another peer id');
          addresses.delete(peerId);
          throw new RequestError('ENOPEER', `Peer ${peerId} is no longer at ${info.host}:${info.port}.`);
        }
        trackOnClose(connection);
        connection.onClose(() => links.delete(peerId));
        return connection;
      })();
      links.set(peerId, link);
      link.catch(() => links.delete(peerId));
    }
    return link;
  };

  // ---- files ----
  let session: PeerSession | undefined;
  const sharing: Sharing = createSharing({
    peerId: id,
    peerName: () => name,
    store: options.transfers ?? openTransferStore(':memory:'),
    askTracker: (message, body) => askTracker(message as Outgoing, body),
    linkTo,
    token: () => session?.token ?? null,
    checkAccess: async (token, group) => {
      await askTracker({type: 'ACCESS', token, group});
    },
    uploadLimit: options.maxUploadRate === undefined ? undefined : createUploadLimit(options.maxUploadRate),
    maxFileBytes: options.maxFileBytes,
    downloadStallMs: options.downloadStallMs,
    log,
    now,
  });

  // ---- submitting tasks ----
  /** exec() and batch() calls not yet ended: close() waits for them, so each is recorded first. */
  const submitting = new Set<Promise<unknown>>();
  /** exec() calls not yet ended, by task id: `tasks ID --wait` waits for one. */
  const running = new Map<string, Promise<ExecResult>>();
  const trackSubmit = <T>(work: Promise<T>): Promise<T> => {
    submitting.add(work);
    work.then(
      () => submitting.delete(work),
      () => submitting.delete(work),
    );
    return work;
  };

  const remember = (task: SubmittedTask) => {
    submitted.set(task.taskId, task);
    if (submitted.size > MAX_SUBMITTED) submitted.delete(submitted.keys().next().value!);
  };

  /** Run once on `target`; connection failures become outcomes with their code. */
  const runOn = async (target: string, spec: TaskSpec): Promise<TaskOutcome> => {
    if (target === id) return runner.run(spec, id, session?.user ?? null);
    try {
      const connection = await linkTo(target);
      const answer = await connection.request(
        {type: 'EXEC', task: spec, token: session?.token ?? null},
        spec.timeoutMs + EXEC_MARGIN_MS,
      );
      return answer.outcome as TaskOutcome;
    } catch (error) {
      const code = (error as RequestError).code ?? 'EIO';
      return {
        ok: false,
        taskId: spec.taskId,
        peer: target,
        code,
        message: (error as Error).message,
        timings: {waitingMs: 0, execMs: 0},
      };
    }
  };

  const chooseTarget = async (placement: Placement, exclude: Set<string>): Promise<string> => {
    if (placement.mode === 'local' || (placement.mode === 'auto' && tracker === undefined)) return id;
    if (placement.mode === 'peer') return placement.peer;
    const answer = await askTracker({type: 'REQUEST_CPU', exclude: [...exclude], count: 1});
    const chosen = answer.peer as PeerInfo | null;
    if (chosen === null) {
      if (exclude.size === 0)
        throw new RequestError('ENOPEER', 'The tracker knows no live peer to run the task.');
      return chooseTarget(placement, new Set()); // every other peer failed: try the best one again
    }
    addresses.set(chosen.id, chosen);
    return chosen.id;
  };

  const exec = async (
    spec: TaskSpec,
    {placement, retries}: {placement: Placement; retries: number},
  ): Promise<ExecResult> => {
    const record: SubmittedTask = {
      taskId: spec.taskId,
      fn: spec.fn,
      codeHash: '',
      state: 'placing',
      peer: undefined,
      attempts: 0,
      submittedAt: now(),
      finishedAt: undefined,
      error: undefined,
      cached: false,
    };
    remember(record);
    const failedOn = new Set<string>();
    let outcome: TaskOutcome;
    let startedAt: number | null = null;
    for (;;) {
      record.attempts++;
      record.state = 'placing';
      let target: string;
      try {
        target = await chooseTarget(placement, failedOn);
      } catch (error) {
        outcome = {
          ok: false,
          taskId: spec.taskId,
          peer: record.peer ?? id,
          code: (error as RequestError).code ?? 'ENOPEER',
          message: (error as Error).message,
          timings: {waitingMs: 0, execMs: 0},
        };
        break;
      }
      record.peer = target;
      record.state = 'running';
      startedAt ??= now();
      outcome = await runOn(target, spec);
      const canRetry = !outcome.ok && outcome.code !== 'ECANCELED' && !isCanceled(record);
      if (!canRetry || record.attempts > retries) break;
      failedOn.add(target);
      log(`task ${spec.taskId} failed on ${target} (${outcome.ok ? '' : outcome.code}); retrying`);
    }
    const finishedAt = now();
    record.finishedAt = finishedAt;
    record.cached = outcome.ok && outcome.cached;
    if (!isCanceled(record))
      record.state = outcome.ok ? 'done' : outcome.code === 'ECANCELED' ? 'canceled' : 'failed';
    if (!outcome.ok) record.error = `${outcome.code}: ${outcome.message}`;
    else {
      record.resultBytes = Buffer.byteLength(JSON.stringify(outcome.result) ?? 'null');
      if (record.resultBytes <= MAX_KEPT_RESULT_BYTES) record.result = outcome.result;
    }
    options.onTaskEnded?.({
      spec,
      submitter: id,
      user: session?.user ?? null,
      outcome,
      attempts: record.attempts,
      submittedAt: record.submittedAt,
      startedAt,
      finishedAt,
    });
    return {...outcome, attempts: record.attempts, turnaroundMs: finishedAt - record.submittedAt};
  };

  const batch = async (specs: TaskSpec[]): Promise<ExecResult[]> => {
    if (specs.length === 0) return [];
    // Offline, this peer is the whole network: the batch runs here.
    const placed =
      tracker === undefined
        ? [id]
        : (
            (await askTracker({type: 'REQUEST_CPU', exclude: [], count: specs.length})).peers as PeerInfo[]
          ).map((info) => {
            addresses.set(info.id, info);
            return info.id;
          });
    if (placed.length === 0)
      throw new RequestError('ENOPEER', 'The tracker knows no live peer to run the batch.');
    // One BATCH request per chosen peer with its share; each task's place is kept for the answer.
    const groups = new Map<string, number[]>();
    specs.forEach((_, index) => {
      const target = placed[index % placed.length]!;
      const group = groups.get(target);
      if (group === undefined) groups.set(target, [index]);
      else group.push(index);
    });
    const results: ExecResult[] = new Array(specs.length);
    const submittedAt = now();
    await Promise.all(
      [...groups].map(async ([target, indexes]) => {
        const share = indexes.map((index) => specs[index]!);
        let outcomes: TaskOutcome[];
        if (target === id)
          outcomes = await Promise.all(share.map((spec) => runner.run(spec, id, session?.user ?? null)));
        else {
          try {
            const connection = await linkTo(target);
            const longest = Math.max(...share.map((spec) => spec.timeoutMs));
            outcomes = (
              await connection.request(
                {type: 'BATCH', tasks: share, token: session?.token ?? null},
                longest + EXEC_MARGIN_MS,
              )
            ).outcomes as TaskOutcome[];
          } catch (error) {
            // The peer failed as a whole: its share runs elsewhere, one by one, placed again (exec
            // records each task itself).
            log(`batch share on ${target} failed (${(error as Error).message}); placing it again`);
            const placedAgain = await Promise.all(
              share.map((spec) => exec(spec, {placement: {mode: 'auto'}, retries: 1})),
            );
            indexes.forEach((index, i) => (results[index] = placedAgain[i]!));
            return;
          }
        }
        const finishedAt = now();
        indexes.forEach((index, i) => {
          const outcome = outcomes[i]!;
          results[index] = {...outcome, attempts: 1, turnaroundMs: finishedAt - submittedAt};
          options.onTaskEnded?.({
            spec: specs[index]!,
            submitter: id,
            user: session?.user ?? null,
            outcome,
            attempts: 1,
            submittedAt,
            startedAt: submittedAt,
            finishedAt,
          });
        });
      }),
    );
    return results;
  };

  const cancel = async (taskId: string) => {
    const mine = submitted.get(taskId);
    const running = runner.state(taskId);
    if (mine === undefined || mine.peer === id || mine.peer === undefined) {
      if (running !== undefined) {
        runner.cancel(taskId, 'canceled here');
        if (mine) mine.state = 'canceled';
        return {taskId, peer: id, state: running};
      }
      if (mine === undefined) throw new NetError('ENOENT', `No task ${taskId} here (see \`tasks\`).`);
    }
    if (mine.state === 'done' || mine.state === 'failed' || mine.state === 'canceled')
      throw new NetError('EINVAL', `Task ${taskId} has already ended (${mine.state}).`);
    const target = mine.peer!;
    const connection = await linkTo(target);
    const answer = await connection.request({type: 'CANCEL', taskId});
    mine.state = 'canceled';
    return {taskId, peer: target, state: String(answer.state)};
  };

  // ---- memory ----
  const localMemory: Memory = {
    set: async (key, value) => kv.set(key, value, quotaKey(id, session?.user ?? null)),
    get: async (key) => {
      const value = kv.get(key);
      return value === undefined ? {found: false, value: undefined} : {found: true, value};
    },
    del: async (key) => kv.delete(key),
    list: async (prefix) => kv.list({prefix}),
  };
  // A key over the limit is refused here, as the local store refuses it: sent, it would be a malformed
  // message, and the other peer would close the link ("Connection ... closed by the other side").
  const checkRemoteKey = (key: string, what: string): void => {
    const bytes = Buffer.byteLength(key, 'utf8');
    if (bytes > MAX_KEY_BYTES)
      throw new RequestError(
        'E2BIG',
        `${what} ${JSON.stringify(key.slice(0, 40) + '…')} is ${bytes} bytes. Expected at most ${MAX_KEY_BYTES} bytes (UTF-8).`,
      );
  };
  const remoteMemory = (connection: Connection): Memory => ({
    set: async (key, value) => {
      checkRemoteKey(key, 'Key');
      const answer = await connection.request({type: 'SET_MEM', key, value, token: session?.token ?? null});
      return {created: Boolean(answer.created), bytes: Number(answer.bytes)};
    },
    get: async (key) => {
      checkRemoteKey(key, 'Key');
      const answer = await connection.request({type: 'GET_MEM', key});
      return {found: Boolean(answer.found), value: answer.value};
    },
    del: async (key) => {
      checkRemoteKey(key, 'Key');
      return Boolean((await connection.request({type: 'DEL_MEM', key})).deleted);
    },
    list: async (prefix = '') => {
      checkRemoteKey(prefix, 'Prefix');
      return (await connection.request({type: 'LIST_MEM', prefix})).entries as KvEntry[];
    },
  });

  if (server === undefined) {
    log(`peer ${id} (${name}) offline: no port, no tracker; tasks run here`);
  } else {
    // Register now; a tracker that is not up yet is retried by the heartbeat loop. One that refuses
    // the link (a wrong secret, TLS on one side only) would refuse every retry: that ends the start.
    const refused = await openTracker().then(
      () => undefined,
      (error: RequestError) => {
        if (error.code === 'EAUTH') return error;
        log(error.message);
        scheduleHeartbeat();
        return undefined;
      },
    );
    if (refused !== undefined) {
      isClosing = true;
      await sharing.close();
      await runner.close();
      await server.close();
      if (ownsSandbox) await sandbox.close();
      throw refused;
    }
    log(`peer ${id} (${name}) listening on ${server.host}:${server.port}`);
  }

  return {
    id,
    name,
    host: server?.host ?? '',
    port: server?.port ?? 0,
    get tracker() {
      return trackers[current];
    },
    trackers,
    isSecure: options.secret !== undefined,
    kv,
    cache,
    quotas,
    runner,
    sharing,
    isRegistered: () => registered,
    get session() {
      return session;
    },
    setSession(next) {
      session = next;
    },
    requestTracker: (message) => askTracker(message),
    peers: refreshPeers,
    exec: (spec, how) => {
      const work = trackSubmit(exec(spec, how));
      running.set(spec.taskId, work);
      const forget = () => running.delete(spec.taskId);
      work.then(forget, forget);
      return work;
    },
    batch: (specs) => trackSubmit(batch(specs)),
    cancel,
    submitted: () => [...submitted.values()],
    async ended(taskId) {
      await running.get(taskId)?.catch(() => {}); // a failure is in the record
      return submitted.get(taskId);
    },
    async memory(peerId) {
      if (peerId === undefined || peerId === id) return localMemory;
      return remoteMemory(await linkTo(peerId));
    },
    stats() {
      let bytesIn = closedBytes.in;
      let bytesOut = closedBytes.out;
      const incoming = server?.connections() ?? [];
      for (const connection of incoming) {
        bytesIn += connection.bytesIn;
        bytesOut += connection.bytesOut;
      }
      let outgoing = 0;
      for (const connection of openLinks) {
        bytesIn += connection.bytesIn;
        bytesOut += connection.bytesOut;
        outgoing++;
      }
      return {bytesIn, bytesOut, connections: {tracker: registered, outgoing, incoming: incoming.length}};
    },
    async close() {
      if (isClosing) return;
      isClosing = true;
      clearTimeout(heartbeatTimer);
      await sharing.close();
      await runner.close();
      if (registered && trackerLink) {
        try {
          await (await trackerLink).request({type: 'UNREGISTER', peerId: id}, 1_000);
          log(`unregistered from the tracker`);
        } catch (error) {
          log(`could not unregister: ${(error as Error).message}`);
        }
      }
      trackerLink?.then(
        (connection) => connection.close('peer shutting down'),
        () => {},
      );
      for (const link of links.values())
        link.then(
          (connection) => connection.close('peer shutting down'),
          () => {},
        );
      // Tasks this peer submitted end now (ECLOSED when their link went) and are told to
      // onTaskEnded before close() returns: the caller closes the history right after.
      await Promise.allSettled([...submitting]);
      await server?.close();
      if (ownsSandbox) await sandbox.close();
      log(`peer ${id} stopped`);
    },
  };
}

/**
 * Whether a link failed in a way retrying cannot mend: TLS refused it (EAUTH), or the other side
 * hung up mid-handshake, as a plain (--insecure) end does when the other speaks TLS (EHANDSHAKE).
 */
function isRefusedLink(error: unknown): boolean {
  const code = (error as RequestError).code;
  return code === 'EAUTH' || code === 'EHANDSHAKE';
}

/** The tracker refused this peer's link: RequestError EAUTH saying why and what to do about it. */
function refusedByTracker(
  tracker: TrackerAddress,
  error: RequestError,
  secret: Uint8Array | undefined,
): RequestError {
  const where = `${tracker.host}:${tracker.port}`;
  const advice =
    secret === undefined
      ? `This peer runs with --insecure (plain TCP); the tracker may require TLS. Join with the command it printed, \`p2pos --join TOKEN\`, or give the network's secret with --secret HEX (or P2POS_SECRET).`
      : `Join with the command the tracker printed, \`p2pos --join TOKEN\`, or give the network's secret with --secret HEX (or P2POS_SECRET); if that network runs with --insecure, use --insecure here too.`;
  return new RequestError(
    'EAUTH',
    `The tracker at ${where} refused this peer's link: ${error.message.replace(/\.$/, '')}. ${advice}`,
  );
}
