// Disk-sharing test fixtures: an in-process peer joined to a tracker with a transfer store of its own
// (in memory), over TLS when given the tracker's network secret, and a file of random bytes to share.

import {randomFillSync} from 'node:crypto';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {createKernel} from '../../src/kernel/index.js';
import {openTransferStore} from '../../src/net/files/transfer-store.js';
import {startPeer, type Peer} from '../../src/net/peer.js';
import type {SandboxPool} from '../../src/net/sandbox/pool.js';

export function startSharingPeer(options: {
  name: string;
  tracker: {host: string; port: number};
  sandbox: SandboxPool;
  maxUploadRate?: number;
  /** How long a download waits with no peer before it fails. */
  downloadStallMs?: number;
  /** The network secret the tracker was started with; undefined for plain links. */
  secret?: Uint8Array;
}): Promise<Peer> {
  return startPeer({
    kernel: createKernel(),
    host: '127.0.0.1',
    port: 0,
    name: options.name,
    tracker: {host: options.tracker.host, port: options.tracker.port},
    sandbox: options.sandbox,
    transfers: openTransferStore(':memory:'),
    maxUploadRate: options.maxUploadRate,
    downloadStallMs: options.downloadStallMs,
    secret: options.secret,
  });
}

/** `bytes` random bytes in dir/name; returns the path. */
export function randomFile(dir: string, name: string, bytes: number): string {
  const path = join(dir, name);
  writeFileSync(path, randomFillSync(Buffer.alloc(bytes)));
  return path;
}
