// The tracker's stores as replication.ts sees them: what kind of change each makes, which record a change
// sets (for last-writer-wins), and how the twin's changes are applied. One more store is one more
// function here and one plug() line in tracker.ts.
//   peers     PeerChange (registry.ts), one record per peer; heartbeats are soft state
//   files     FileChange (file-registry.ts), one record per file and per (file, peer) holding
//   accounts  AccountChange (accounts.ts), which orders its own changes (each record keeps its `at`)

import type {AccountChange, AccountStore} from './accounts.js';
import type {FileChange, FileRegistry} from './file-registry.js';
import type {PeerLoad} from './messages.js';
import type {PeerChange, Registry} from './registry.js';
import type {ReplicatedStore} from './replication.js';

/** A heartbeat as it is forwarded to the twin (soft state, never logged). */
export interface ForwardedBeat {
  peerId: string;
  load: PeerLoad;
  queue: number;
  tasksDone: number;
  rttMs: number | null;
}

export function peerStore(registry: Registry): ReplicatedStore<PeerChange | ForwardedBeat> {
  return {
    kind: 'peers',
    keyOf: (change) =>
      `peer:${'op' in change && change.op === 'registered' ? change.peer.id : change.peerId}`,
    apply: (change, at) => registry.apply(change as PeerChange, at),
    applySoft(beat) {
      const {peerId, load, queue, tasksDone, rttMs} = beat as ForwardedBeat;
      if (registry.get(peerId) === undefined) return; // its registration is on its way
      registry.heartbeat(peerId, {...load, queue, tasksDone, rttMs});
    },
  };
}

export function fileStore(files: FileRegistry): ReplicatedStore<FileChange> {
  return {
    kind: 'files',
    keyOf: (change) =>
      change.op === 'file' ? `file:${change.file.fileId}` : `holding:${change.fileId}:${change.peerId}`,
    apply: (change, at, blob) => files.apply(change, at, blob),
  };
}

export function accountStore(accounts: AccountStore): ReplicatedStore<AccountChange> {
  return {
    kind: 'accounts',
    // Accounts keep each record's time and apply only what is newer (accounts.ts): no key here.
    keyOf: () => undefined,
    timeOf: (change) => ('at' in change ? change.at : undefined),
    apply: (change) => accounts.apply(change),
  };
}
