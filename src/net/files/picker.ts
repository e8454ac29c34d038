// The chunk picker: which chunk each peer should fetch next in a download from many peers. Rarest
// first (fewest peers have it), ties broken by the caller's random source; once every fetchable chunk
// is in flight, endgame: a chunk already in flight is handed to a second peer (the slowest fetcher's,
// then the oldest request first). Pure: no I/O, no clock; the downloader drives it. (Issue 5.)
// Interface:
// - createChunkPicker(options); addPeer, updateHave, removePeer as peers come, learn chunks and go
// - next(peer) the chunk to request now; done(peer, index, bytes, ms) / failed(peer, index, reason)
// - peerRanking(), stats(), isComplete()
//
// Cost (n chunks, P peers, F chunks in flight <= P * maxInFlightPerPeer): chunks are kept in
// availability buckets keyed by how many *partial* holders have them (seeders have every chunk, so
// they never change the order), each bucket an array with a position index for O(1) removal, as in
// libtorrent's piece picker. Seeders pick from the one global set of free chunks. A partial holder
// picks from buckets of its own that hold only the chunks it has, so it never scans chunks it lacks.
// Those per-peer buckets are updated lazily: a chunk that went in flight or done, or became more
// common, is dropped or moved when next() meets it (each such fix is paid for once, by the event that
// made it stale). So next() is amortized O(P) (the buckets it looks at) and never O(n); endgame
// next() is O(F); done() is O(copies); failed() is O(P); addPeer O(n); removePeer of a partial
// holder O(h * P) for the h chunks it had (decrements are applied at once, so no chunk looks commoner
// than it is). Memory: O(n), plus for each partial holder 6 bytes a chunk and 8 per chunk it holds.

import {seededRandom} from '../../kernel/index.js';
import {FileError, showValue} from './errors.js';

/**
 * Requests in flight per peer, by default. Four 256 KiB chunks (1 MiB) cover the bandwidth-delay
 * product of a 20 MB/s peer 50 ms away, and on loopback, where a request's round trip is about a
 * millisecond, four keep one seeder above 500 MB/s; fifty peers at four each buffer at most 50 MiB,
 * a quarter of the download's 200 MB memory budget (eight would be half).
 */
export const DEFAULT_MAX_IN_FLIGHT_PER_PEER = 4;
/** Corrupt chunks from one peer before it is avoided. */
export const DEFAULT_MAX_STRIKES = 3;
/** Peers fetching the same chunk at most, in endgame. */
export const DEFAULT_ENDGAME_COPIES = 2;
/** Weight of the newest sample in a peer's speed (an exponentially weighted moving average). */
const SPEED_WEIGHT = 0.3;
/** Chunks a sequential pick looks at past the first free one before it falls back to a random pick. */
const SEQUENTIAL_SCAN = 64;

export type FailureReason = 'corrupt' | 'error' | 'timeout';

export interface ChunkPickerOptions {
  /** Chunks in the file (chunkCount of its manifest), 0 to MAX_CHUNKS. */
  chunkCount: number;
  /** Chunks already verified (a resume): a bitmap as transfer-store keeps it, or their indexes. */
  verified?: Uint8Array | ReadonlySet<number>;
  /** @default DEFAULT_MAX_IN_FLIGHT_PER_PEER */
  maxInFlightPerPeer?: number;
  /** Corrupt chunks before a peer is avoided. @default DEFAULT_MAX_STRIKES */
  maxStrikes?: number;
  /** In endgame, peers fetching one chunk at most (1 turns endgame off). @default DEFAULT_ENDGAME_COPIES */
  endgameCopies?: number;
  /** Floats in [0, 1) for tie-breaks. @default a generator seeded with 1 */
  random?: () => number;
  /**
   * Among equally rare chunks, prefer the lowest index (a random one when none is found within a short
   * scan). A download in order lets its whole-file hash follow the chunks as they arrive instead of
   * reading the file again at the end. @default false
   */
  sequential?: boolean;
}

export interface PeerStats {
  id: string;
  inFlight: number;
  /** Bytes per ms, a moving average of finished chunks; 0 until the first one. */
  speed: number;
  strikes: number;
  avoided: boolean;
}

export interface PickerStats {
  /** Neither done nor being fetched. */
  missing: number;
  inFlight: number;
  done: number;
  peers: PeerStats[];
}

export interface ChunkPicker {
  /** Add a peer with every chunk ('all') or the chunks set in `have` (bitmap, bit i of byte i >> 3, low bit first). Throws EINVAL if the id is taken. */
  addPeer(peerId: string, have: 'all' | Uint8Array): void;
  /** A partial holder now has chunk `index`. No effect for a seeder, an avoided or unknown peer. */
  updateHave(peerId: string, index: number): void;
  /** Drop a peer. Returns the chunks it was fetching (they are missing again unless another peer fetches them): cancel them. */
  removePeer(peerId: string): number[];
  /** The chunk this peer should request now, marked in flight; undefined if it is at its limit, avoided, unknown, has nothing we miss, or all is done. */
  next(peerId: string): number | undefined;
  /** Chunk `index` arrived from this peer and verified. Returns the other peers still fetching it: cancel those requests. */
  done(peerId: string, index: number, bytes: number, elapsedMs: number): string[];
  /**
   * This peer's request for `index` failed; the chunk is missing again (unless others fetch it), and
   * a corrupt one is never given to this peer again. The maxStrikes-th corrupt chunk gets the peer
   * avoided: returns the chunks it was still fetching (cancel them); otherwise [].
   */
  failed(peerId: string, index: number, reason: FailureReason): number[];
  /** Peers not avoided, fastest first; peers not yet measured last, in the order they were added. */
  peerRanking(): string[];
  stats(): PickerStats;
  /** Every chunk done. */
  isComplete(): boolean;
}

// A chunk's state.
const FREE = 0; // missing and nobody is fetching it
const FETCHING = 1;
const DONE = 2;

/** An indexable set of chunks per key: buckets[key] holds them, pos[chunk] is the chunk's place in its bucket (-1: absent). */
interface Buckets {
  lists: number[][];
  pos: Int32Array;
}

interface PeerState {
  // fixed when added
  id: string;
  order: number;
  /** Undefined for a seeder. */
  have: Uint8Array | undefined;
  /** A partial holder's free chunks by the partial-holder count they had when filed (never more than now). */
  own: (Buckets & {key: Uint16Array}) | undefined;
  // changes with every request
  fetching: Set<number>;
  speed: number | undefined;
  // changes on failures
  strikes: number;
  /** Chunks this peer sent corrupt: never asked of it again (fewer than maxStrikes of them). */
  corrupt: Set<number>;
  avoided: boolean;
}

interface Flight {
  fetchers: PeerState[];
  /** Request order of the first fetcher: smaller is in flight longer. */
  since: number;
}

/** Create a picker for one download. Throws EINVAL for a chunk count or option out of range. */
export function createChunkPicker(options: ChunkPickerOptions): ChunkPicker {
  const n = options.chunkCount;
  checkWhole('chunkCount', n, 0);
  const maxInFlight = checkWhole(
    'maxInFlightPerPeer',
    options.maxInFlightPerPeer ?? DEFAULT_MAX_IN_FLIGHT_PER_PEER,
    1,
  );
  const maxStrikes = checkWhole('maxStrikes', options.maxStrikes ?? DEFAULT_MAX_STRIKES, 1);
  const endgameCopies = checkWhole('endgameCopies', options.endgameCopies ?? DEFAULT_ENDGAME_COPIES, 1);
  const random = options.random ?? seededRandom(1);
  const sequential = options.sequential === true;
  let cursor = 0; // sequential: no FREE chunk below it

  // changes as chunks move: state, the free set, flights
  const state = new Uint8Array(n);
  /** Partial holders (not avoided) of each chunk; seeders count for every chunk alike. */
  const holders = new Uint16Array(n);
  /** Every FREE chunk, by holders[chunk]: seeders pick from here. */
  const free: Buckets = {lists: [[]], pos: new Int32Array(n).fill(-1)};
  const flights = new Map<number, Flight>();
  let doneCount = 0;
  let requests = 0;
  // changes as peers come and go
  const peers = new Map<string, PeerState>();
  const partials = new Set<PeerState>();
  let seeders = 0;
  let added = 0;

  const verified = options.verified;
  for (let index = 0; index < n; index += 1) {
    const isDone = verified instanceof Uint8Array ? hasBit(verified, index) : (verified?.has(index) ?? false);
    if (isDone) {
      state[index] = DONE;
      doneCount += 1;
    } else insert(free, index, 0);
  }

  function checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= n)
      throw new FileError('EINVAL', `Chunk ${showValue(index)} does not exist; expected 0 to ${n - 1}.`);
  }

  function hasChunk(peer: PeerState, index: number): boolean {
    return peer.have === undefined || hasBit(peer.have, index);
  }

  /** A chunk became free (at the start, or a fetch failed): file it for seeders and for each partial holder. */
  function release(index: number): void {
    state[index] = FREE;
    if (index < cursor) cursor = index;
    insert(free, index, holders[index]!);
    for (const peer of partials)
      if (hasBit(peer.have!, index) && peer.own!.pos[index]! < 0 && !peer.corrupt.has(index))
        insertOwn(peer, index);
  }

  function insertOwn(peer: PeerState, index: number): void {
    peer.own!.key[index] = holders[index]!;
    insert(peer.own!, index, holders[index]!);
  }

  /** Another partial holder for `index` (peer added or updateHave); other holders' buckets learn it lazily. */
  function gainHolder(index: number): void {
    holders[index]! += 1;
    if (state[index] === FREE) move(free, index, holders[index]! - 1, holders[index]!);
  }

  /** One partial holder fewer: refile at once wherever the chunk would now look commoner than it is. */
  function loseHolder(index: number): void {
    const count = (holders[index]! -= 1);
    if (state[index] === FREE) move(free, index, count + 1, count);
    for (const peer of partials) {
      const own = peer.own!;
      if (own.pos[index]! >= 0 && own.key[index]! > count) {
        move(own, index, own.key[index]!, count);
        own.key[index] = count;
      }
    }
  }

  /** Mark a chunk fetched by `peer` (it was FREE, or in flight elsewhere in endgame). */
  function startFetch(peer: PeerState, index: number): void {
    if (state[index] === FREE) {
      remove(free, index, holders[index]!);
      state[index] = FETCHING;
      flights.set(index, {fetchers: [peer], since: requests});
    } else flights.get(index)!.fetchers.push(peer);
    requests += 1;
    peer.fetching.add(index);
  }

  /** `peer` no longer fetches `index`; the chunk is free again if nobody else does. */
  function stopFetch(peer: PeerState, index: number): void {
    peer.fetching.delete(index);
    const flight = flights.get(index);
    if (!flight) return;
    const at = flight.fetchers.indexOf(peer);
    if (at >= 0) flight.fetchers.splice(at, 1);
    if (flight.fetchers.length === 0) {
      flights.delete(index);
      release(index);
    }
  }

  /** Take a peer out of the swarm's counts (removed or avoided); returns the chunks it was fetching. */
  function detach(peer: PeerState): number[] {
    const fetching = [...peer.fetching];
    if (peer.have === undefined) seeders -= 1;
    else {
      partials.delete(peer);
      for (let index = 0; index < n; index += 1) if (hasBit(peer.have, index)) loseHolder(index);
      peer.own = undefined;
    }
    for (const index of fetching) stopFetch(peer, index);
    return fetching;
  }

  /** A random chunk of the first bucket that has one this peer may take (seeders: from the free set). */
  function pickFree(peer: PeerState): number | undefined {
    // With no seeder, bucket 0 holds chunks nobody has.
    for (let key = seeders > 0 ? 0 : 1; key < free.lists.length; key += 1) {
      const list = free.lists[key]!;
      if (list.length === 0) continue;
      if (sequential) {
        while (cursor < n && state[cursor] !== FREE) cursor += 1; // release() moves it back
        const end = Math.min(n, cursor + SEQUENTIAL_SCAN);
        for (let index = cursor; index < end; index += 1)
          if (state[index] === FREE && holders[index] === key && !peer.corrupt.has(index)) return index;
      }
      const start = Math.floor(random() * list.length);
      // Only this peer's few corrupt chunks are ever passed over.
      for (let step = 0; step < list.length; step += 1) {
        const index = list[(start + step) % list.length]!;
        if (!peer.corrupt.has(index)) return index;
      }
    }
    return undefined;
  }

  /** A random chunk of the partial holder's first non-empty bucket, dropping or refiling stale entries met on the way. */
  function pickOwn(peer: PeerState): number | undefined {
    const own = peer.own!;
    for (let key = 0; key < own.lists.length; key += 1) {
      const list = own.lists[key]!;
      while (list.length > 0) {
        const index = list[Math.floor(random() * list.length)]!;
        // A chunk it sent corrupt can sit here from before (it took it as an endgame copy).
        if (state[index] !== FREE || peer.corrupt.has(index)) remove(own, index, key);
        else if (holders[index]! > key) {
          move(own, index, key, holders[index]!);
          own.key[index] = holders[index]!;
        } else {
          remove(own, index, key);
          return index;
        }
      }
    }
    return undefined;
  }

  /** Endgame: the in-flight chunk this peer should fetch too, slowest fetcher first, then the oldest request. */
  function pickDuplicate(peer: PeerState): number | undefined {
    let best: number | undefined;
    let bestSpeed = Infinity;
    let bestSince = Infinity;
    for (const [index, flight] of flights) {
      if (flight.fetchers.length >= endgameCopies || peer.fetching.has(index)) continue;
      if (!hasChunk(peer, index) || peer.corrupt.has(index)) continue;
      let speed = Infinity;
      for (const fetcher of flight.fetchers) speed = Math.min(speed, fetcher.speed ?? 0);
      if (speed < bestSpeed || (speed === bestSpeed && flight.since < bestSince)) {
        best = index;
        bestSpeed = speed;
        bestSince = flight.since;
      }
    }
    return best;
  }

  /** Free chunks some peer could serve: none left means endgame. */
  function fetchableFree(): number {
    const total = n - doneCount - flights.size;
    return seeders > 0 ? total : total - free.lists[0]!.length;
  }

  function peerStats(peer: PeerState): PeerStats {
    const {id, strikes, avoided} = peer;
    return {id, inFlight: peer.fetching.size, speed: peer.speed ?? 0, strikes, avoided};
  }

  return {
    addPeer(peerId, have) {
      if (peers.has(peerId))
        throw new FileError('EINVAL', `Peer ${showValue(peerId)} is already in the download.`);
      const peer: PeerState = {
        id: peerId,
        order: added++,
        have: undefined,
        own: undefined,
        fetching: new Set(),
        speed: undefined,
        strikes: 0,
        corrupt: new Set(),
        avoided: false,
      };
      peers.set(peerId, peer);
      if (have === 'all') {
        seeders += 1;
        return;
      }
      // A copy sized for n chunks: updateHave sets bits in it, and bits past n are ignored.
      peer.have = new Uint8Array(Math.ceil(n / 8));
      peer.have.set(have.subarray(0, peer.have.length));
      if (n % 8 !== 0 && peer.have.length > 0) peer.have[peer.have.length - 1]! &= (1 << (n % 8)) - 1;
      peer.own = {lists: [], pos: new Int32Array(n).fill(-1), key: new Uint16Array(n)};
      for (let index = 0; index < n; index += 1) if (hasBit(peer.have, index)) gainHolder(index);
      partials.add(peer);
      for (let index = 0; index < n; index += 1)
        if (state[index] === FREE && hasBit(peer.have, index)) insertOwn(peer, index);
    },

    updateHave(peerId, index) {
      checkIndex(index);
      const peer = peers.get(peerId);
      if (!peer || peer.avoided || peer.have === undefined || hasBit(peer.have, index)) return;
      peer.have[index >> 3]! |= 1 << (index & 7);
      gainHolder(index);
      if (state[index] === FREE) insertOwn(peer, index);
    },

    removePeer(peerId) {
      const peer = peers.get(peerId);
      if (!peer) return [];
      peers.delete(peerId);
      return peer.avoided ? [] : detach(peer);
    },

    next(peerId) {
      const peer = peers.get(peerId);
      if (!peer || peer.avoided || peer.fetching.size >= maxInFlight || doneCount === n) return undefined;
      let index = peer.own ? pickOwn(peer) : pickFree(peer);
      if (index === undefined && endgameCopies > 1 && fetchableFree() === 0) index = pickDuplicate(peer);
      if (index !== undefined) startFetch(peer, index);
      return index;
    },

    done(peerId, index, bytes, elapsedMs) {
      checkIndex(index);
      const peer = peers.get(peerId);
      if (peer) {
        peer.fetching.delete(index);
        if (elapsedMs > 0 && Number.isFinite(elapsedMs) && bytes >= 0) {
          const sample = bytes / elapsedMs;
          peer.speed = peer.speed === undefined ? sample : peer.speed + SPEED_WEIGHT * (sample - peer.speed);
        }
      }
      if (state[index] === DONE) return [];
      // Verified bytes count even from a peer already removed (a late answer).
      if (state[index] === FREE) remove(free, index, holders[index]!);
      const others = (flights.get(index)?.fetchers ?? []).filter((fetcher) => fetcher !== peer);
      for (const other of others) other.fetching.delete(index);
      flights.delete(index);
      state[index] = DONE;
      doneCount += 1;
      return others.map((other) => other.id);
    },

    failed(peerId, index, reason) {
      checkIndex(index);
      const peer = peers.get(peerId);
      if (!peer || !peer.fetching.has(index)) return [];
      if (reason === 'corrupt') {
        peer.strikes += 1;
        peer.corrupt.add(index);
      }
      stopFetch(peer, index);
      if (peer.strikes < maxStrikes || peer.avoided) return [];
      peer.avoided = true;
      return detach(peer);
    },

    peerRanking() {
      return [...peers.values()]
        .filter((peer) => !peer.avoided)
        .sort((a, b) => (b.speed ?? -1) - (a.speed ?? -1) || a.order - b.order)
        .map((peer) => peer.id);
    },

    stats() {
      const inFlight = flights.size;
      return {
        missing: n - doneCount - inFlight,
        inFlight,
        done: doneCount,
        peers: [...peers.values()].map(peerStats),
      };
    },

    isComplete() {
      return doneCount === n;
    },
  };
}

function hasBit(bitmap: Uint8Array, index: number): boolean {
  // The layout of transfer-store's chunk bitmaps: bit (index & 7) of byte (index >> 3).
  return ((bitmap[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
}

function insert(buckets: Buckets, index: number, key: number): void {
  while (buckets.lists.length <= key) buckets.lists.push([]);
  const list = buckets.lists[key]!;
  buckets.pos[index] = list.length;
  list.push(index);
}

/** Swap-remove: the bucket's last chunk takes the removed one's place. */
function remove(buckets: Buckets, index: number, key: number): void {
  const list = buckets.lists[key]!;
  const at = buckets.pos[index]!;
  const last = list.pop()!;
  if (last !== index) {
    list[at] = last;
    buckets.pos[last] = at;
  }
  buckets.pos[index] = -1;
}

function move(buckets: Buckets, index: number, from: number, to: number): void {
  remove(buckets, index, from);
  insert(buckets, index, to);
}

function checkWhole(name: string, value: number, least: number): number {
  if (!Number.isSafeInteger(value) || value < least)
    throw new FileError(
      'EINVAL',
      `Picker option \`${name}\` is ${showValue(value)}; expected a whole number, ${least} or more.`,
    );
  return value;
}
