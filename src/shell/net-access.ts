// How the shell reaches the network: a peer started on first use (script mode) or at boot (the
// console), joining the tracker named by --tracker/TRACKER_HOST, or else starting a tracker of its
// own on 127.0.0.1 (a network of one). Offline (--offline) the peer opens no port and knows no
// tracker: tasks still run here, in the sandbox; what needs another peer fails with ENONET.
// Links are TLS keyed from the network secret (given, or kept in the data directory; a network of
// one makes its own), or plain TCP with --insecure.

import type {Kernel} from '../kernel/index.js';
import {openTransferStore} from '../net/files/transfer-store.js';
import {startPeer, type EndedTask, type Peer} from '../net/peer.js';
import {DEFAULT_TRACKER_PORT, startTracker, type Tracker} from '../net/tracker.js';
import {DEFAULT_PEER_PORT} from '../net/peer.js';
import {generateSecret, loadOrCreateSecret, loadSecret} from '../net/network-secret.js';
import {NetError} from '../net/net-error.js';
import {ShellError} from './errors.js';

export interface NetConfig {
  offline: boolean;
  /** Join this tracker; undefined starts one here. */
  tracker: {host: string; port: number} | undefined;
  /** Every tracker to use, in order, when several are given (twins; the peer fails over): tracker is the first. */
  trackers?: {host: string; port: number}[];
  /** Where the peer (and a tracker started here) listen. */
  host: string;
  /** The peer's port; undefined for the default (9000, or a free one when taken). */
  port: number | undefined;
  /** The tracker's port when it is started here; undefined for the default (8888, or free). */
  trackerPort: number | undefined;
  name: string | undefined;
  /** Tracker heartbeat period, ms (tests shorten it). */
  heartbeatMs?: number;
  /** Tasks each remote peer may start here a minute (quota.ts); undefined for the default. */
  tasksPerMinute?: number;
  /** Bytes per second this peer uploads of file chunks at most (--max-upload); undefined for no cap. */
  maxUploadRate?: number;
  /** Run tasks for other peers (false: --no-remote-exec). @default true */
  remoteExec?: boolean;
  /** Largest file shared or downloaded (--max-file-size); undefined for 4 GiB. */
  maxFileBytes?: number;
  /** The transfer store's SQLite file (shares, download progress); undefined keeps them in memory. */
  transfersPath?: string;
  /** The network secret given (--secret, --join, P2POS_SECRET, P2POS_JOIN); undefined: see secretDir. */
  secret?: Uint8Array;
  /**
   * Where the network secret is kept (the data directory): a tracker started here uses the one
   * there or makes it; a peer joining another tracker uses it if there is one. @default none: a
   * tracker started here makes a secret for this run only
   */
  secretDir?: string;
  /**
   * Where the network of one keeps its accounts (users, groups), so a user made today logs in tomorrow;
   * undefined keeps them in memory. Its peers and files are re-announced at each start, so they stay there.
   */
  accountsPath?: string;
  /** Plain TCP links, readable on the wire (--insecure): for teaching captures only. */
  isInsecure?: boolean;
}

export interface NetAccess {
  readonly config: NetConfig;
  /** The peer, started on first call (offline: without a port). Throws ShellError ENONET when it cannot start. */
  peer(): Promise<Peer>;
  /** The peer if it has started. */
  current(): Peer | undefined;
  /** The tracker this process runs, if any. */
  tracker(): Tracker | undefined;
  close(): Promise<void>;
}

export interface NetAccessOptions {
  kernel: Kernel;
  config: NetConfig;
  log: (line: string) => void;
  /** Told once the network is up, e.g. "tracker on 127.0.0.1:8888, peer p-1a2b on 127.0.0.1:9000". */
  onStarted?: (line: string) => void;
  onTaskEnded?: (task: EndedTask) => void;
}

export function createNetAccess(options: NetAccessOptions): NetAccess {
  const {config, log} = options;
  let starting: Promise<Peer> | undefined;
  let peer: Peer | undefined;
  let tracker: Tracker | undefined;
  let isClosed = false;

  // What the peer is, online or not; where it listens and whom it joins are added below.
  const peerOptions = {
    kernel: options.kernel,
    host: config.host,
    name: config.name,
    heartbeatMs: config.heartbeatMs,
    quotas: {tasksPerMinute: config.tasksPerMinute},
    maxUploadRate: config.maxUploadRate,
    remoteExec: config.remoteExec,
    maxFileBytes: config.maxFileBytes,
    log,
    onTaskEnded: options.onTaskEnded,
  };

  const start = async (): Promise<Peer> => {
    // Opened per start: a closed network's store is closed with it.
    const transfers = openTransferStore(config.transfersPath ?? ':memory:');
    if (config.offline) {
      peer = await startPeer({...peerOptions, transfers, port: 0, tracker: undefined});
      return peer;
    }
    let trackerAddress = config.tracker;
    const secret = networkSecret(config);
    if (trackerAddress === undefined) {
      tracker = await startTracker({
        host: config.host,
        port: config.trackerPort ?? DEFAULT_TRACKER_PORT,
        fallbackToFreePort: config.trackerPort === undefined,
        dbPath: ':memory:',
        accountsDbPath: config.accountsPath ?? ':memory:',
        heartbeatMs: config.heartbeatMs,
        secret,
        log,
      });
      trackerAddress = {host: tracker.host, port: tracker.port};
    }
    try {
      peer = await startPeer({
        ...peerOptions,
        transfers,
        port: config.port ?? DEFAULT_PEER_PORT,
        fallbackToFreePort: config.port === undefined,
        tracker: config.trackers ?? trackerAddress,
        secret,
      });
    } catch (error) {
      await tracker?.close();
      tracker = undefined;
      throw error;
    }
    // The tracker in use: with twins, the one it registered with (a dead first one is passed over).
    const inUse = peer.tracker ?? trackerAddress;
    const where = tracker
      ? `tracker on ${tracker.host}:${tracker.port}`
      : `tracker ${inUse.host}:${inUse.port}${peer.isRegistered() ? '' : ' (unreachable; retrying)'}`;
    options.onStarted?.(`network: ${where}, peer ${peer.id} (${peer.name}) on ${peer.host}:${peer.port}`);
    return peer;
  };

  return {
    config,
    peer() {
      if (isClosed)
        return Promise.reject(new ShellError('ENONET', 'The network is closed: this shell is leaving.'));
      starting ??= start().catch((error: Error) => {
        starting = undefined;
        throw new ShellError('ENONET', `The network did not start: ${error.message}`);
      });
      return starting;
    },
    current: () => peer,
    tracker: () => tracker,
    async close() {
      isClosed = true;
      // A start still under way (the console starts the network at boot; Ctrl-D may come first)
      // finishes before it is stopped, or its peer and tracker would keep the process alive.
      await starting?.catch(() => {});
      const running = peer;
      peer = undefined;
      starting = undefined;
      await running?.close();
      await tracker?.close();
      tracker = undefined;
    },
  };
}

/**
 * The secret this process's links use: undefined with --insecure; else the one given; else the one
 * kept in the data directory, made there when this process runs the network's tracker (a network of
 * one: no user step), or for this run only when there is no data directory. A peer joining another
 * tracker with none of these throws NetError EAUTH saying how to get it.
 */
function networkSecret(config: NetConfig): Uint8Array | undefined {
  if (config.isInsecure) return undefined;
  if (config.secret !== undefined) return config.secret;
  if (config.tracker === undefined)
    return config.secretDir === undefined ? generateSecret() : loadOrCreateSecret(config.secretDir).secret;
  const kept = config.secretDir === undefined ? undefined : loadSecret(config.secretDir);
  if (kept !== undefined) return kept;
  const {host, port} = config.tracker;
  throw new NetError(
    'EAUTH',
    `Joining the tracker at ${host}:${port} needs the network's secret: run the join command the tracker printed ` +
      `(\`p2pos --join TOKEN\`), or give --secret HEX (or P2POS_SECRET); --insecure joins a network that runs without TLS.`,
  );
}
