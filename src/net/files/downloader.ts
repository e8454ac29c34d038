// One download from many peers: the loop that keeps several chunk requests in flight to every peer
// that has the file, writes each chunk once its hash matches, and ends with the whole-file check.
// The picker (picker.ts) decides which chunk each peer fetches; the partial file (partial-file.ts)
// verifies and writes; the transfer store (transfer-store.ts) remembers what is verified, so a
// stopped download resumes. The network is behind `DownloadSource`, so this module has no sockets.
// Interface:
//   const run = startDownloadRun({manifest, partial, store, downloadId, source, ...})
//   run.progress()    // bytes, chunks, rate, peers, ETA: what `downloads` and the pane show
//   await run.done    // the final path, or a DownloadError; the partial file and the marks stay on failure
//   await run.stop()  // pause: requests are dropped, the partial file is kept for a resume

import {MAX_RUN_CHUNKS} from '../messages.js';
import {chunkRange, type Manifest} from './manifest.js';
import type {PartialFile} from './partial-file.js';
import {createChunkPicker, type ChunkPicker, type FailureReason} from './picker.js';
import {countChunks, hasChunk, type TransferStore} from './transfer-store.js';
import {startVerifier, type Stored, type Verifier} from './verifier.js';

/** A peer that has the file (or part of it), as the tracker lists it. */
export interface Holder {
  id: string;
  complete: boolean;
}

/** What a download needs of the network. */
export interface DownloadSource {
  /** Live peers with the file, this one excluded. */
  holders(): Promise<Holder[]>;
  /** A partial holder's verified chunks (transfer-store's bitmap layout), or 'all' once it has them all. */
  haveMap(peerId: string): Promise<Uint8Array | 'all'>;
  /**
   * Chunks [index, index + count) from `peerId`: their bytes end to end, unverified. Rejects with an error
   * whose `code` says why.
   */
  fetch(peerId: string, index: number, count: number): Promise<Uint8Array>;
  /** Tell the tracker this peer now holds `have` verified chunks (it then serves them). */
  announce(have: number): Promise<void>;
}

export type RunState = 'active' | 'verifying' | 'done' | 'failed' | 'paused';

export interface DownloadProgress {
  state: RunState;
  bytesDone: number;
  chunksDone: number;
  chunkCount: number;
  inFlight: number;
  /** Bytes per second over the last few seconds. */
  rate: number;
  /** Peers that sent at least one chunk, and peers fetched from now. */
  peersUsed: number;
  peersActive: number;
  /** Seconds to go at the current rate; null when unknown. */
  etaSeconds: number | null;
  /** Chunks verified when it started: more than 0 for a resume. */
  resumedChunks: number;
  /** Corrupt chunks received (and fetched again). */
  corrupt: number;
  error: string | null;
}

/** Chunk states in chunkMap(). */
export const CHUNK_MISSING = 0;
export const CHUNK_IN_FLIGHT = 1;
export const CHUNK_DONE = 2;

export class DownloadError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DownloadError';
    this.code = code;
  }
}

export interface DownloadRunOptions {
  manifest: Manifest;
  partial: PartialFile;
  store: TransferStore;
  downloadId: number;
  source: DownloadSource;
  /** Fetch from at most this many peers at once (the fastest). @default all */
  maxPeers?: number;
  /** Requests in flight to one peer. @default IN_FLIGHT_BYTES_PER_PEER worth of chunks, 4 to 64 */
  maxInFlightPerPeer?: number;
  /** Ask the tracker for holders again this often while the download runs, ms. @default 2000 */
  refreshMs?: number;
  /** With no peer able to send a missing chunk, give up after this long, ms. @default 15000 */
  stallMs?: number;
  random?: () => number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface DownloadRun {
  readonly done: Promise<string>;
  progress(): DownloadProgress;
  /** Each chunk's state: CHUNK_MISSING, CHUNK_IN_FLIGHT or CHUNK_DONE (a copy). */
  chunkMap(): Uint8Array;
  /** Pause: in-flight answers are dropped, marks are written, the partial file is kept. */
  stop(reason?: string): Promise<void>;
}

/** A peer's refusals that mean this session may not have the file at all (accounts, issue 6). */
const NOT_ALLOWED = new Set(['EACCES', 'EAUTH']);

/** Network errors after which a peer is dropped from this download (its chunks go to the others). */
const PEER_GONE = new Set([
  'ECLOSED',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHANDSHAKE',
  'ENOPEER',
  'EDEAD',
  'EPIPE',
  'ENOENT',
  'ECHANGED',
]);
const RATE_WINDOW_MS = 3_000;
/**
 * Bytes requested of one peer at a time: enough to keep a loopback link busy while the peer reads its
 * disk for the next chunks (4 MiB, like aria2's default piece window).
 */
const IN_FLIGHT_BYTES_PER_PEER = 4 * 1024 * 1024;
/**
 * Consecutive chunks asked of a peer in one request (1 MiB of 256 KiB chunks): each request, answer and
 * hand-off to the hashing thread costs about as much CPU as a chunk's bytes on 2 cores, so fewer, larger
 * ones leave more for the bytes (measured: 1 GiB from one seeder went from about 250 to 330 MB/s).
 */
const RUN_BYTES = 1024 * 1024;
const ANNOUNCE_MS = 1_000;
/** Whole-file mismatches (bad chunks found and fetched again) before the download fails. */
const MAX_COMPLETE_TRIES = 3;

export function startDownloadRun(options: DownloadRunOptions): DownloadRun {
  const {manifest, partial, store, downloadId, source} = options;
  const now = options.now ?? (() => performance.now());
  const log = options.log ?? (() => {});
  const maxPeers = options.maxPeers ?? Number.POSITIVE_INFINITY;
  const refreshMs = options.refreshMs ?? 2_000;
  const stallMs = options.stallMs ?? 15_000;
  const count = manifest.chunkHashes.length;
  const runChunks = Math.max(
    1,
    Math.min(MAX_RUN_CHUNKS, Math.floor(RUN_BYTES / Math.max(1, manifest.chunkSize))),
  );

  const states = new Uint8Array(count);
  const inFlightCopies = new Uint8Array(count); // endgame fetches a chunk from two peers
  let verified = partial.verified();
  for (let index = 0; index < count; index += 1) if (hasChunk(verified, index)) states[index] = CHUNK_DONE;
  const resumedChunks = countChunks(verified);
  let chunksDone = resumedChunks;
  let bytesDone = 0;
  for (let index = 0; index < count; index += 1)
    if (states[index] === CHUNK_DONE) bytesDone += chunkBytes(manifest, index);

  let picker: ChunkPicker = newPicker(verified);
  // Hashing (each chunk, and the whole file as its prefix grows) runs on a thread of its own.
  let verifier: Verifier = newVerifier(verified);
  const peers = new Map<string, {complete: boolean; requests: number}>(); // in the picker now
  const used = new Set<string>();
  const gone = new Set<string>(); // dropped: not added again until the tracker lists it anew
  const avoided = new Set<string>(); // sent corrupt chunks repeatedly: never asked again in this download
  // Why each dropped peer was dropped, for the error if no peer is left (a seeder's file changed…).
  const dropReasons = new Map<string, string>();
  let inFlight = 0;
  let corrupt = 0;
  let state: RunState = 'active';
  let error: string | null = null;
  let generation = 0; // a stop() or a new picker makes older answers stale
  const samples: [number, number][] = [[now(), bytesDone]];
  let lastAnnounce = 0;
  let stalledSince: number | undefined;
  let completeTries = 0; // whole-file checks so far: bounded by MAX_COMPLETE_TRIES
  let refreshing: Promise<void> | undefined;
  let refreshTimer: NodeJS.Timeout | undefined;
  let settle!: {resolve: (path: string) => void; reject: (error: Error) => void};
  const done = new Promise<string>((resolve, reject) => (settle = {resolve, reject}));
  done.catch(() => {}); // a caller that only polls progress must not crash the process

  function newPicker(bitmap: Uint8Array): ChunkPicker {
    return createChunkPicker({
      chunkCount: count,
      verified: bitmap,
      maxInFlightPerPeer:
        options.maxInFlightPerPeer ??
        Math.min(64, Math.max(4, Math.floor(IN_FLIGHT_BYTES_PER_PEER / manifest.chunkSize))),
      random: options.random,
      sequential: true, // so the whole-file hash keeps up with the chunks (verifier.ts)
    });
  }

  /** The thread that checks, writes and hashes the chunks (verifier.ts). */
  function newVerifier(written: Uint8Array): Verifier {
    return startVerifier({manifest, tempPath: partial.tempPath, identity: partial.identity, written});
  }

  function isLive(): boolean {
    return state === 'active';
  }

  function fail(code: string, message: string): void {
    if (state !== 'active' && state !== 'verifying') return;
    state = 'failed';
    error = `${code}: ${message}`;
    finish();
    try {
      store.failDownload(downloadId, error);
    } catch (storeError) {
      log(`download ${downloadId}: ${(storeError as Error).message}`);
    }
    void partial.abandon().then(() => settle.reject(new DownloadError(code, message)));
  }

  function finish(): void {
    generation += 1;
    clearTimeout(refreshTimer);
    void verifier.close();
    try {
      store.flush();
    } catch (storeError) {
      log(`download ${downloadId}: ${(storeError as Error).message}`);
    }
  }

  /** Start requests until every peer is at its limit. */
  function pump(): void {
    if (!isLive()) return;
    const ranking = picker.peerRanking();
    let active = 0;
    for (const peerId of ranking) {
      if (active >= maxPeers) break;
      active += 1;
      // Consecutive picks go out together, up to runChunks a request.
      let first = -1;
      let length = 0;
      for (let index = picker.next(peerId); index !== undefined; index = picker.next(peerId)) {
        if (length > 0 && (index !== first + length || length === runChunks)) {
          request(peerId, first, length);
          length = 0;
        }
        if (length === 0) first = index;
        length += 1;
      }
      if (length > 0) request(peerId, first, length);
    }
    if (picker.isComplete()) void verifyWhole();
    else if (inFlight === 0) stalled();
  }

  function request(peerId: string, first: number, length: number): void {
    const started = now();
    const at = generation;
    inFlight += length;
    const peer = peers.get(peerId);
    if (peer) peer.requests += 1;
    for (let index = first; index < first + length; index += 1) {
      inFlightCopies[index]! += 1;
      if (states[index] !== CHUNK_DONE) states[index] = CHUNK_IN_FLIGHT;
    }
    source.fetch(peerId, first, length).then(
      (bytes) => void received(peerId, first, length, bytes, started, at),
      (fetchError: Error & {code?: string}) => {
        for (let index = first; index < first + length; index += 1) settled(peerId, index, at, fetchError);
        endRequest(peerId);
        // A group's file refused to this session (it left the group, logged out, or its session
        // expired): no peer will serve it either, so the download stops now, its chunks kept.
        if (at === generation && NOT_ALLOWED.has(fetchError.code ?? ''))
          return fail(fetchError.code!, `${fetchError.message} The verified chunks are kept.`);
        pump();
      },
    );
  }

  function release(index: number): void {
    inFlight -= 1;
    inFlightCopies[index]! -= 1;
    if (inFlightCopies[index] === 0 && states[index] === CHUNK_IN_FLIGHT) states[index] = CHUNK_MISSING;
  }

  function endRequest(peerId: string): void {
    const peer = peers.get(peerId);
    if (peer) peer.requests -= 1;
  }

  function releaseAll(peerId: string, first: number, length: number): void {
    for (let index = first; index < first + length; index += 1) release(index);
    endRequest(peerId);
  }

  async function received(
    peerId: string,
    first: number,
    length: number,
    bytes: Uint8Array,
    started: number,
    at: number,
  ): Promise<void> {
    if (at !== generation) return releaseAll(peerId, first, length);
    let results: (Stored | undefined)[];
    try {
      // The bytes go to the verifier's thread: not readable here from this call on.
      results = await verifier.store(first, length, bytes);
    } catch (writeError) {
      releaseAll(peerId, first, length);
      if (at !== generation) return;
      // The disk, not the peer: stop here; every chunk verified so far is kept.
      return fail((writeError as {code?: string}).code ?? 'EIO', (writeError as Error).message);
    }
    if (at !== generation) return releaseAll(peerId, first, length);
    const perChunkMs = Math.max(now() - started, 0.001) / length;
    let isAnyNew = false;
    for (let index = first; index < first + length; index += 1) {
      const stored = results[index - first];
      if (stored === undefined) {
        corrupt += 1;
        log(`chunk ${index} from ${peerId} failed its hash; fetching it again`);
        settled(peerId, index, at, Object.assign(new Error('corrupt chunk'), {code: 'ECORRUPT'}));
        continue;
      }
      release(index);
      used.add(peerId);
      const chunkLength = chunkBytes(manifest, index);
      if (stored.wrote && partial.markWritten(index, stored.digest)) {
        isAnyNew = true;
        states[index] = CHUNK_DONE;
        chunksDone += 1;
        bytesDone += chunkLength;
        try {
          store.markVerified(downloadId, index);
        } catch (storeError) {
          log(`download ${downloadId}: ${(storeError as Error).message}`); // fetched again after a crash at worst
        }
      }
      if (peers.has(peerId)) picker.done(peerId, index, chunkLength, perChunkMs);
    }
    endRequest(peerId);
    if (isAnyNew) {
      sample();
      maybeAnnounce();
    }
    pump();
  }

  /** Chunk `index` did not come from `peerId` (the caller pumps). */
  function settled(peerId: string, index: number, at: number, fetchError: Error & {code?: string}): void {
    release(index);
    if (at !== generation || !peers.has(peerId)) return;
    const code = fetchError.code ?? 'EIO';
    if (PEER_GONE.has(code)) {
      log(`peer ${peerId} dropped from the download: ${fetchError.message}`);
      dropReasons.set(peerId, fetchError.message);
      drop(peerId);
    } else {
      const reason: FailureReason =
        code === 'ECORRUPT' ? 'corrupt' : code === 'ETIMEDOUT' ? 'timeout' : 'error';
      picker.failed(peerId, index, reason);
      if (picker.stats().peers.find((peer) => peer.id === peerId)?.avoided) {
        log(`peer ${peerId} sent corrupt chunks repeatedly; it is avoided`);
        drop(peerId);
        avoided.add(peerId);
      }
    }
  }

  /** Why peers were dropped, as the end of the no-peer error: ' Dropped: p-1 (why), p-2 (why).' */
  function droppedText(): string {
    if (dropReasons.size === 0) return '';
    const shown = [...dropReasons].slice(0, 3).map(([id, why]) => `${id} (${why.replace(/\.$/, '')})`);
    const more = dropReasons.size > 3 ? ` and ${dropReasons.size - 3} more` : '';
    return ` Dropped: ${shown.join(', ')}${more}.`;
  }

  function drop(peerId: string): void {
    picker.removePeer(peerId);
    peers.delete(peerId);
    gone.add(peerId);
  }

  function sample(): void {
    const at = now();
    const last = samples[samples.length - 1]!;
    if (at - last[0] < 100) last[1] = bytesDone;
    else samples.push([at, bytesDone]);
    while (samples.length > 2 && at - samples[0]![0] > RATE_WINDOW_MS) samples.shift();
  }

  function maybeAnnounce(): void {
    const at = now();
    if (chunksDone === count || at - lastAnnounce < ANNOUNCE_MS) return; // the share announces the end
    lastAnnounce = at;
    source.announce(chunksDone).catch((announceError: Error) => log(`HAVE: ${announceError.message}`));
  }

  function stalled(): void {
    const at = now();
    stalledSince ??= at;
    if (at - stalledSince >= stallMs) {
      const missing = count - chunksDone;
      fail(
        'ENOPEER',
        `No live peer has the ${missing} missing chunk${missing === 1 ? '' : 's'} of ${manifest.name}; the ${chunksDone} verified are kept: run download again to resume.` +
          droppedText(),
      );
      return;
    }
    void refresh();
  }

  /** Ask the tracker who has the file; add new peers (partial holders with their chunk maps). */
  function refresh(): Promise<void> {
    refreshing ??= (async () => {
      try {
        const holders = await source.holders();
        const listed = new Set(holders.map((holder) => holder.id));
        for (const peerId of gone) if (!listed.has(peerId)) gone.delete(peerId); // may come back later
        for (const holder of holders) {
          if (!isLive()) return;
          const known = peers.get(holder.id);
          if (known?.complete || avoided.has(holder.id)) continue;
          if (gone.has(holder.id) && !holder.complete) continue;
          let have: Uint8Array | 'all';
          try {
            have = holder.complete ? 'all' : await source.haveMap(holder.id);
          } catch {
            continue;
          }
          if (!isLive()) return;
          if (known !== undefined) {
            // A partial holder has more now: tell the picker (a seeder now is added afresh).
            if (have === 'all') drop(holder.id);
            else {
              for (let index = 0; index < count; index += 1)
                if (hasChunk(have, index)) picker.updateHave(holder.id, index);
              continue;
            }
          }
          gone.delete(holder.id);
          picker.addPeer(holder.id, have);
          peers.set(holder.id, {complete: have === 'all', requests: 0});
        }
        if (peers.size > 0) stalledSince = undefined;
      } catch (refreshError) {
        log(`download ${downloadId}: cannot ask for holders: ${(refreshError as Error).message}`);
      } finally {
        refreshing = undefined;
      }
      if (isLive()) {
        clearTimeout(refreshTimer);
        // Soon while nobody can send anything, else at the usual pace for new peers.
        refreshTimer = setTimeout(
          () => void refresh(),
          inFlight === 0 ? Math.min(500, refreshMs) : refreshMs,
        );
        refreshTimer.unref();
        pump();
      }
    })();
    return refreshing;
  }

  async function verifyWhole(): Promise<void> {
    if (state !== 'active') return;
    state = 'verifying';
    generation += 1; // endgame copies still in flight are not needed now
    clearTimeout(refreshTimer);
    completeTries += 1;
    try {
      store.flush();
      const digest = await verifier.digest().catch(() => undefined); // else complete() reads the file
      if (state !== 'verifying') return;
      const path = await partial.complete(digest);
      if (state !== 'verifying') return;
      store.finishDownload(downloadId);
      state = 'done';
      finish();
      settle.resolve(path);
    } catch (completeError) {
      const code = (completeError as {code?: string}).code ?? 'EIO';
      const bad = (completeError as {chunks?: number[]}).chunks ?? [];
      if (state !== 'verifying') return;
      if (code !== 'ECORRUPT' || bad.length === 0 || completeTries >= MAX_COMPLETE_TRIES)
        return fail(code, (completeError as Error).message);
      // Chunks that went bad on disk after they were verified: fetch them again (pump() checks again once they are in).
      log(`download ${downloadId}: ${bad.length} chunks no longer match on disk; fetching them again`);
      verified = partial.verified();
      store.replaceVerified(downloadId, verified);
      for (const index of bad) {
        states[index] = CHUNK_MISSING;
        chunksDone -= 1;
        bytesDone -= chunkBytes(manifest, index);
      }
      generation += 1;
      picker = newPicker(verified);
      void verifier.close();
      verifier = newVerifier(verified);
      for (const [peerId, peer] of peers)
        picker.addPeer(
          peerId,
          peer.complete ? 'all' : await source.haveMap(peerId).catch(() => new Uint8Array(0)),
        );
      state = 'active';
      pump();
    }
  }

  // Start: a file with nothing missing (a resume of a finished fetch, or an empty file) goes straight to the check.
  queueMicrotask(() => {
    if (picker.isComplete()) void verifyWhole();
    else void refresh();
  });

  return {
    done,
    progress() {
      const at = now();
      const first = samples[0]!;
      const span = (at - first[0]) / 1000;
      const rate = span > 0.05 ? Math.max(0, (bytesDone - first[1]) / span) : 0;
      const left = manifest.size - bytesDone;
      let active = 0;
      for (const peer of peers.values()) if (peer.requests > 0) active += 1;
      return {
        state,
        bytesDone,
        chunksDone,
        chunkCount: count,
        inFlight,
        rate,
        peersUsed: used.size,
        peersActive: active,
        etaSeconds: state === 'active' && rate > 0 ? left / rate : state === 'done' ? 0 : null,
        resumedChunks,
        corrupt,
        error,
      };
    },
    chunkMap: () => Uint8Array.from(states),
    async stop(reason = 'stopped') {
      if (state !== 'active' && state !== 'verifying') return;
      state = 'paused';
      error = reason;
      finish();
      try {
        store.pauseDownload(downloadId);
      } catch (storeError) {
        log(`download ${downloadId}: ${(storeError as Error).message}`);
      }
      await partial.abandon();
      settle.reject(
        new DownloadError(
          'ECANCELED',
          `Download of ${manifest.name} ${reason}; run download again to resume.`,
        ),
      );
    },
  };
}

function chunkBytes(manifest: Manifest, index: number): number {
  const [start, end] = chunkRange(manifest, index);
  return end - start;
}
