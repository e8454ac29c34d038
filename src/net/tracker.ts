// The tracker: the network's registry as a service. Peers REGISTER where they listen, HEARTBEAT
// their load every few seconds, and ask REQUEST_CPU for the least-loaded live peer to run a task;
// PEERS lists everyone. A peer silent for `missedBeats` heartbeats is marked dead and is not chosen
// until it beats again. The registry lives in SQLite, so a restarted tracker still knows its peers.
// With a twin (peerTracker), every change to peers, files and accounts is logged and replicated to it,
// and the twin's are applied here (replication.ts), so peers can fail over from one to the other.

import {randomBytes} from 'node:crypto';
import {withBody, type Connection, type Reply} from './connection.js';
import {openFileRegistry, type FileRegistry} from './file-registry.js';
import {openAccounts, type AccountsOptions, type AccountStore} from './accounts.js';
import {createTrackerAccounts, isAccountRequest} from './tracker-accounts.js';
import {NetError} from './net-error.js';
import {openReplication, type Replication} from './replication.js';
import {accountStore, fileStore, peerStore} from './tracker-replication.js';
import {
  PROTOCOL_VERSION,
  TRACKER_REQUESTS,
  type FileSummary,
  type HolderInfo,
  type PeerInfo,
  type Request,
} from './messages.js';
import {
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_MISSED_BEATS,
  openRegistry,
  type PeerRecord,
  type Registry,
} from './registry.js';
import {listen, type Server} from './server.js';
import type {Limits} from './limits.js';

export const DEFAULT_TRACKER_PORT = 8888;
/** Most peers one REQUEST_CPU may place (a batch asks for one per task). */
const MAX_PLACEMENTS = 1000;

export interface TrackerOptions {
  host: string;
  port: number;
  /** Listen on a free port when `port` is taken (the default port only). */
  fallbackToFreePort?: boolean;
  /** The registry's SQLite file, or ':memory:'. */
  dbPath: string;
  /** The shared files' SQLite file. @default beside dbPath, `tracker-files.sqlite` (':memory:' with it) */
  filesDbPath?: string;
  /** How often peers are told to heartbeat. @default DEFAULT_HEARTBEAT_MS */
  heartbeatMs?: number;
  missedBeats?: number;
  limits?: Partial<Limits>;
  /**
   * The network secret: every link to this tracker is TLS keyed from it and proves it before any
   * message (secure-link.ts). @default plain TCP (--insecure)
   */
  secret?: Uint8Array;
  /** The accounts' SQLite file. @default beside dbPath, `tracker-accounts.sqlite` (':memory:' with it) */
  accountsDbPath?: string;
  /** Account store settings other than the file and the secret (tests lower the scrypt cost). */
  accounts?: Omit<AccountsOptions, 'secret' | 'now'>;
  /**
   * The twin tracker: both replicate every change to each other (replication.ts). It is kept in the
   * change log, and told at each link, so it replicates back even when it was not given this one.
   * null forgets a kept twin. @default the twin kept in the change log, if any
   */
  peerTracker?: {host: string; port: number} | null;
  /** Told when another tracker's TWIN made it this tracker's twin (the join line should name it now). */
  onTwin?: (twin: {host: string; port: number}) => void;
  /** The change log's SQLite file. @default beside dbPath, `tracker-changes.sqlite` (':memory:' with it) */
  changesDbPath?: string;
  log?: (line: string) => void;
  now?: () => number;
}

export interface Tracker {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly heartbeatMs: number;
  /** Whether links are TLS keyed from the network secret (false: plain TCP, --insecure). */
  readonly isSecure: boolean;
  readonly registry: Registry;
  readonly files: FileRegistry;
  readonly accounts: AccountStore;
  /** The change log and the link to the twin; its id is this tracker's, kept across restarts. */
  readonly replication: Replication;
  /** Stop answering, close connections and the database. */
  close(): Promise<void>;
}

export function peerInfo(record: PeerRecord): PeerInfo {
  return {
    id: record.id,
    name: record.name,
    host: record.host,
    port: record.port,
    load: {...record.load},
    queue: record.queue,
    tasksDone: record.tasksDone,
    rttMs: record.rttMs,
    lastHeartbeat: record.lastHeartbeat,
    alive: record.alive,
  };
}

export async function startTracker(options: TrackerOptions): Promise<Tracker> {
  const log = options.log ?? (() => {});
  const now = options.now ?? Date.now;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const missedBeats = options.missedBeats ?? DEFAULT_MISSED_BEATS;
  const registry = openRegistry(options.dbPath, {
    now,
    heartbeatMs,
    missedBeats,
  });
  let files: FileRegistry;
  try {
    files = openFileRegistry(options.filesDbPath ?? filesPathBeside(options.dbPath), {now});
  } catch (error) {
    registry.close();
    throw error;
  }
  let accounts: AccountStore;
  try {
    accounts = openAccounts(options.accountsDbPath ?? pathBeside(options.dbPath, 'accounts'), {
      ...options.accounts,
      // Sessions are signed with the network secret, so the twin tracker and peers can check them;
      // an --insecure tracker has none, and its sessions last as long as this process.
      secret: options.secret ?? randomBytes(32),
      now,
      onChange: (change) => recordAccount(change), // replicated to the twin (called after startup only)
    });
  } catch (error) {
    registry.close();
    files.close();
    throw error;
  }
  const access = createTrackerAccounts(accounts);
  let replication: Replication;
  try {
    replication = openReplication({
      path: options.changesDbPath ?? pathBeside(options.dbPath, 'changes'),
      twin: options.peerTracker,
      onTwin: options.onTwin,
      connectOptions: {limits: options.limits, secret: options.secret},
      log,
      now,
    });
  } catch (error) {
    registry.close();
    files.close();
    accounts.close();
    throw error;
  }
  // Each store's changes go to the twin; one more store is one more plug() (tracker-replication.ts).
  const recordPeer = replication.plug(peerStore(registry));
  const recordFile = replication.plug(fileStore(files));
  const recordAccount = replication.plug(accountStore(accounts));
  /** A holding as the twin should see it, when it differs from what this tracker had before. */
  const recordHolding = (fileId: string, peerId: string, before: number | undefined) => {
    const have = files.holding(fileId, peerId) ?? null;
    if (have !== (before ?? null)) recordFile({op: 'holding', fileId, peerId, have});
  };
  // Persistent (change-log.ts): the twin's cursors of this tracker's changes stay valid across restarts.
  const id = replication.id;
  const isAlive = (peerId: string) => registry.get(peerId)?.alive === true;

  /** A peer may share, unshare and announce only as itself. */
  const asSender = (peerId: string, connection: Connection): string => {
    if (connection.remote?.peer !== peerId)
      throw new NetError('EPERM', `Peer ${connection.remote?.peer} cannot speak for peer ${peerId}.`);
    return peerId;
  };

  // Peers that said at REGISTER they run no tasks for others (--no-remote-exec): never placed on. Kept
  // in memory: a peer says it again when it registers with a restarted or twin tracker.
  const runsNoTasks = new Set<string>();

  const handle = (
    request: Request,
    connection: Connection,
    body: Buffer,
  ): Record<string, unknown> | Reply | Promise<Record<string, unknown>> => {
    if (isAccountRequest(request)) return access.handle(request, connection);
    switch (request.type) {
      case 'REPLICATE':
      case 'CHANGES':
      case 'TWIN':
        return replication.serve(request, connection, body);
      case 'REGISTER': {
        // A peer listening on every interface registers the address it reached us from.
        const wildcard = request.peer.host === '0.0.0.0' || request.peer.host === '::';
        const host = wildcard ? (connection.socket.remoteAddress ?? request.peer.host) : request.peer.host;
        const before = registry.get(request.peer.id);
        const record = registry.register({
          ...request.peer,
          host,
          version: connection.remote?.v ?? PROTOCOL_VERSION,
        });
        if (request.remoteExec === false) runsNoTasks.add(request.peer.id);
        else runsNoTasks.delete(request.peer.id);
        const {name, port, version} = record;
        recordPeer({op: 'registered', peer: {id: record.id, name, host, port, version}});
        log(
          `${before ? 're-registered' : 'registered'} peer ${request.peer.id} (${request.peer.name}) at ${host}:${request.peer.port}`,
        );
        return {heartbeatMs};
      }
      case 'UNREGISTER': {
        runsNoTasks.delete(request.peerId);
        if (registry.unregister(request.peerId)) {
          log(`unregistered peer ${request.peerId}`);
          recordPeer({op: 'unregistered', peerId: request.peerId});
        }
        const held = files.heldBy(request.peerId);
        files.dropPeer(request.peerId);
        for (const fileId of held) recordFile({op: 'holding', fileId, peerId: request.peerId, have: null});
        return {};
      }
      case 'SHARE': {
        const peerId = asSender(request.peerId, connection);
        const user = access.userOf(request.token);
        // A group's file is put on the network by a member; a peer that already holds a registered
        // file may announce it again without a session (a restart, a tracker that forgot it).
        const {group} = request.file;
        if (group !== null && !access.canSee(user)(group) && !files.has(request.file.fileId))
          throw new NetError(
            'EACCES',
            user === null
              ? `Sharing with group ${group} needs a member's session: log in first.`
              : `User ${user} is not a member of group ${group}; ask to join (group join ${group}).`,
          );
        const heldBefore = files.holding(request.file.fileId, peerId);
        const known = files.share(peerId, {
          ...request.file,
          hashes: body,
          owner: user ?? (connection.remote?.name || peerId),
        });
        if (known.created) {
          const {hashes, sharedAt, ...file} = files.resolve(request.file.fileId);
          recordFile({op: 'file', file}, hashes);
        }
        recordHolding(request.file.fileId, peerId, heldBefore);
        log(
          `peer ${peerId} shares ${request.file.fileId.slice(0, 12)} ${request.file.name} (${request.file.size} bytes)`,
        );
        // The name and group the network knows the file by (a known file keeps its first share's), told
        // only to whom may see that file: a non-member with the same bytes learns no group file's name.
        const isVisible = access.canSee(user)(known.group);
        return {
          created: known.created,
          name: isVisible ? known.name : request.file.name,
          group: isVisible ? known.group : request.file.group,
        };
      }
      case 'UNSHARE': {
        const removed = files.unshare(asSender(request.peerId, connection), request.fileId);
        if (removed) recordFile({op: 'holding', fileId: request.fileId, peerId: request.peerId, have: null});
        return {removed};
      }
      case 'HAVE': {
        const peerId = asSender(request.peerId, connection);
        const before = files.holding(request.fileId, peerId);
        files.have(peerId, request.fileId, request.have);
        recordHolding(request.fileId, peerId, before);
        return {};
      }
      case 'FILES':
        // No group asked: every group's files this session may see.
        return {
          files: files.list({
            all: request.all,
            group: request.group ?? undefined,
            isAlive,
            canSee: access.canSee(access.userOf(request.token)),
          }),
        };
      case 'FILE': {
        const file = files.resolve(request.ref, access.canSee(access.userOf(request.token)));
        const holdings = files.holders(file.fileId, isAlive);
        const holders: HolderInfo[] = [];
        for (const holding of holdings) {
          const peer = registry.get(holding.peerId);
          if (peer === undefined) continue;
          holders.push({
            id: peer.id,
            name: peer.name,
            host: peer.host,
            port: peer.port,
            complete: holding.complete,
            have: holding.have,
          });
        }
        const {hashes, ...fields} = file;
        const summary: FileSummary = {
          ...fields,
          seeders: holders.filter((holder) => holder.complete).length,
          partial: holders.filter((holder) => !holder.complete).length,
        };
        return withBody({file: summary, holders}, hashes);
      }
      case 'HEARTBEAT': {
        const wasAlive = registry.get(request.peerId)?.alive;
        registry.heartbeat(request.peerId, {
          ...request.load,
          queue: request.queue,
          tasksDone: request.tasksDone,
          rttMs: request.rttMs,
        });
        // Soft state: the twin learns who is alive, nothing is logged.
        const {peerId, load, queue, tasksDone, rttMs} = request;
        replication.forward('peers', peerId, {peerId, load: {...load}, queue, tasksDone, rttMs});
        if (wasAlive === false) log(`peer ${request.peerId} is alive again`);
        return {};
      }
      case 'REQUEST_CPU': {
        const exclude = new Set([...request.exclude, ...runsNoTasks]);
        const count = Math.min(Math.max(request.count, 1), MAX_PLACEMENTS);
        const chosen: PeerInfo[] = [];
        for (let i = 0; i < count; i++) {
          const peer = registry.leastLoaded({exclude});
          if (peer === undefined) break;
          // Until its next heartbeat, count the task against the peer, so a burst spreads out.
          registry.assign(peer.id);
          chosen.push(peerInfo(peer));
        }
        return {peer: chosen[0] ?? null, peers: chosen};
      }
      case 'PEERS':
        return {peers: registry.list().map(peerInfo)};
      case 'ECHO':
        return {data: request.data};
      default:
        throw new NetError('ENOTSUP', `A tracker does not serve ${request.type}.`);
    }
  };

  let server: Server;
  try {
    server = await listen({
      host: options.host,
      port: options.port,
      fallbackToFreePort: options.fallbackToFreePort,
      hello: {peer: id, role: 'tracker', name: 'tracker'},
      serves: TRACKER_REQUESTS,
      limits: options.limits,
      secret: options.secret,
      log,
      onRequest: handle,
    });
  } catch (error) {
    replication.close();
    registry.close();
    files.close();
    accounts.close();
    throw error;
  }
  const sweeper = setInterval(
    () => {
      try {
        for (const dead of registry.sweep())
          log(`peer ${dead} marked dead: no heartbeat for ${(heartbeatMs * missedBeats) / 1000} s`);
      } catch (error) {
        log(`registry: ${(error as Error).message}`);
      }
    },
    Math.max(50, Math.floor(heartbeatMs / 2)),
  );
  sweeper.unref();
  log(
    `tracker ${id} listening on ${server.host}:${server.port} (${options.secret ? 'TLS, network secret' : 'plain TCP, --insecure'})`,
  );

  replication.start({host: server.host, port: server.port});
  const {twin} = replication;
  if (twin !== undefined)
    log(
      `tracker ${id} replicates with its twin at ${twin.host}:${twin.port}${options.peerTracker ? '' : ' (kept from an earlier start)'}`,
    );

  let isClosed = false;
  return {
    id,
    host: server.host,
    port: server.port,
    heartbeatMs,
    isSecure: options.secret !== undefined,
    registry,
    files,
    accounts,
    replication,
    async close() {
      if (isClosed) return;
      isClosed = true;
      clearInterval(sweeper);
      await server.close();
      registry.close();
      files.close();
      accounts.close();
      replication.close();
      log('tracker stopped');
    },
  };
}

/** The shared files' database beside the peer registry's: `tracker.sqlite` -> `tracker-files.sqlite`. */
export function filesPathBeside(dbPath: string): string {
  return pathBeside(dbPath, 'files');
}

/** Another of the tracker's databases beside the peer registry's: `tracker.sqlite` -> `tracker-WHAT.sqlite`. */
export function pathBeside(dbPath: string, what: string): string {
  if (dbPath === ':memory:') return dbPath;
  return dbPath.replace(/(\.sqlite3?|\.db)?$/, (extension) => `-${what}${extension || '.sqlite'}`);
}
