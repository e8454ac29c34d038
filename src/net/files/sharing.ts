// Disk sharing on one peer: the files it shares (served chunk by chunk to other peers), the downloads it
// runs (from every peer that has the file, each also served while it is under way), and what the tracker
// is told of both. The peer (peer.ts) gives it the tracker and the links to other peers; the transfer
// store keeps shares and download progress across restarts.
// Interface:
//   const sharing = createSharing({peerId, peerName, store, askTracker, linkTo, ...})
//   await sharing.upload('/data/big.iso', {group: 'lab'})    // hashed, stored, registered; its manifest
//   await sharing.files({all: false, group: null})            // what the network shares
//   const run = await sharing.download('3fa9', {dest: '.'})   // a handle; await run.done for the path
//   sharing.downloads()                                       // every transfer: progress, rate, peers, ETA
//   await sharing.unshare('3fa9')
//   sharing.serve(request)                                    // CHUNK and HAVE_MAP from other peers
//   await sharing.announce()                                  // after (re)registering: SHARE everything again

import fs from 'node:fs';
import fsp, {type FileHandle} from 'node:fs/promises';
import nodePath from 'node:path';
import {bodyBuffers} from '../buffer-pool.js';
import {withBody, type Connection, type Reply} from '../connection.js';
import {MAX_BODY_BYTES} from '../frame.js';
import type {FileSummary, HolderInfo, Ok, PeerAddress, Request} from '../messages.js';
import {NetError} from '../net-error.js';
import {
  startDownloadRun,
  type DownloadProgress,
  type DownloadRun,
  type DownloadSource,
  type RunState,
} from './downloader.js';
import {FileError} from './errors.js';
import {
  checkManifest,
  chunkRange,
  DEFAULT_MAX_FILE_BYTES,
  hashFile,
  verifyChunk,
  type Manifest,
} from './manifest.js';
import {safeFileName} from './names.js';
import {openPartial, partialPath, type PartialFile} from './partial-file.js';
import {
  clearChunk,
  countChunks,
  emptyChunkBitmap,
  hasChunk,
  type DownloadRecord,
  type ShareRecord,
  type TransferStore,
} from './transfer-store.js';
import type {UploadLimit} from './upload-limit.js';

/** A shared file's size and time are checked at most this often, ms (downloaders verify every chunk anyway). */
const STAT_EVERY_MS = 100;
/** How long one chunk request may take, ms: a capped seeder queues requests behind each other. */
const CHUNK_TIMEOUT_MS = 30_000;
/** Short ids shown and accepted: the first digits of the SHA-256. */
export const SHORT_ID_DIGITS = 12;
const MIN_PREFIX_DIGITS = 4;

export type TrackerAsk = (
  message: Record<string, unknown> & {type: string},
  body?: Uint8Array,
) => Promise<Ok>;

export interface SharingOptions {
  peerId: string;
  peerName: () => string;
  store: TransferStore;
  /** A request to the tracker (throws ENONET offline). */
  askTracker: TrackerAsk;
  /** The connection to another peer, learning its address when given. */
  linkTo: (peerId: string, address?: PeerAddress) => Promise<Connection>;
  uploadLimit?: UploadLimit;
  /** The session token of whoever uses this peer (login), sent with what needs a user; null when nobody is logged in. */
  token?: () => string | null;
  /**
   * Resolves when the holder of `token` may fetch files of `group`, or rejects (EACCES, EAUTH): the tracker
   * decides (ACCESS). A group's chunks are served only then. @default refuse every group file
   */
  checkAccess?: (token: string | null, group: string) => Promise<void>;
  /** Largest file shared or downloaded. @default DEFAULT_MAX_FILE_BYTES */
  maxFileBytes?: number;
  /** How long a download waits with no peer to fetch from before it fails (tests shorten it). */
  downloadStallMs?: number;
  log?: (line: string) => void;
  now?: () => number;
}

export interface UploadOptions {
  name?: string;
  group?: string | null;
  chunkSize?: number;
}

export interface Uploaded {
  fileId: string;
  /** The name and group the network knows the file by: a file the tracker knew keeps its first share's. */
  name: string;
  size: number;
  chunkSize: number;
  chunkCount: number;
  group: string | null;
  path: string;
  /** False when the tracker knew the file already (shared by another peer first). */
  isNew: boolean;
  hashMs: number;
}

export interface DownloadOptions {
  /** A directory (the file keeps its shared name) or a file path; the working directory by default. */
  dest?: string;
  /** Fetch from at most this many peers at once. */
  peers?: number;
  /** Replace a file already at the destination. */
  force?: boolean;
}

/** One transfer as `downloads` lists it. */
export interface TransferView {
  id: number;
  fileId: string;
  name: string;
  path: string;
  state: RunState;
  size: number;
  bytesDone: number;
  chunksDone: number;
  chunkCount: number;
  inFlight: number;
  /** Bytes/s: the current rate while active, the average once done. */
  rate: number;
  peers: number;
  etaSeconds: number | null;
  resumedChunks: number;
  corrupt: number;
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
}

export interface Downloading {
  readonly id: number;
  readonly fileId: string;
  readonly name: string;
  readonly path: string;
  /** Resolves with the final path; rejects with a coded error (the partial file stays for a resume). */
  readonly done: Promise<string>;
  view(): TransferView;
  chunkMap(): Uint8Array;
  stop(reason?: string): Promise<void>;
}

export interface Sharing {
  upload(path: string, options?: UploadOptions): Promise<Uploaded>;
  unshare(ref: string): Promise<{fileId: string; name: string}>;
  files(options: {all?: boolean; group?: string | null}): Promise<FileSummary[]>;
  download(ref: string, options?: DownloadOptions): Promise<Downloading>;
  /** Every transfer this peer knows, oldest first; running ones with live figures. */
  downloads(): TransferView[];
  /** The running download of this store id, if any (the pane's chunk map). */
  running(id: number): Downloading | undefined;
  shares(): ShareRecord[];
  serve(request: Request): Promise<Record<string, unknown> | Reply>;
  announce(): Promise<void>;
  close(): Promise<void>;
}

/** A share as served: the store's record, an open handle, and what the file was like when shared. */
interface Served {
  record: ShareRecord;
  handle: Promise<FileHandle> | undefined;
  size: number;
  mtimeMs: number;
  /** Shares restored from the store: chunks not yet checked against their hash since this process started. */
  unchecked: Uint8Array | undefined;
  /** performance.now() of the last size and time check. */
  statAt: number;
}

interface Active {
  handle: Downloading;
  run: DownloadRun;
  partial: PartialFile;
  record: DownloadRecord;
  reader: Promise<FileHandle> | undefined;
  /** The file's group, whose members alone may fetch the chunks it has. */
  group: string | null;
}

export function createSharing(options: SharingOptions): Sharing {
  const {peerId, store, askTracker, linkTo} = options;
  const token = options.token ?? (() => null);
  const checkAccess =
    options.checkAccess ??
    ((_token: string | null, group: string) =>
      Promise.reject(new NetError('EACCES', `This peer serves no files of group ${group}.`)));
  const log = options.log ?? (() => {});
  const now = options.now ?? Date.now;
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const served = new Map<string, Served>();
  const active = new Map<number, Active>(); // by download id
  const activeByFile = new Map<string, Active>(); // the one serving chunks of that file id
  let isClosed = false;

  // Shares from an earlier run of this peer are served again; their files are checked chunk by chunk as they go out.
  let restored: ShareRecord[] = [];
  try {
    restored = store.listShares();
  } catch (error) {
    log(`cannot read the shares: ${(error as Error).message}`);
  }
  for (const record of restored) {
    try {
      const stats = fs.statSync(record.path);
      if (stats.size !== record.manifest.size)
        throw new Error(`its size is ${stats.size}, not ${record.manifest.size}`);
      served.set(record.manifest.fileId, {
        record,
        handle: undefined,
        size: stats.size,
        mtimeMs: stats.mtimeMs,
        unchecked: emptyChunkBitmap(record.manifest.chunkHashes.length).fill(0xff),
        statAt: 0,
      });
    } catch (error) {
      log(`no longer sharing ${record.manifest.name} (${record.path}): ${(error as Error).message}`);
      store.removeShare(record.manifest.fileId);
    }
  }

  // Downloads left 'active' by a process that ended without stopping them (a crash, a SIGKILL): paused, to resume.
  try {
    for (const record of store.listDownloads({state: 'active'})) store.pauseDownload(record.id);
  } catch (error) {
    log(`cannot read the downloads: ${(error as Error).message}`);
  }

  const hashesBody = (manifest: Manifest): Buffer => Buffer.from(manifest.chunkHashes.join(''), 'hex');

  /** SHARE the file; returns whether the tracker registered it now, and the name and group it knows it by. */
  const share = async (
    manifest: Manifest,
    group: string | null,
  ): Promise<{isNew: boolean; name: string; group: string | null}> => {
    const answer = await askTracker(
      {
        type: 'SHARE',
        peerId,
        file: {
          fileId: manifest.fileId,
          name: manifest.name,
          size: manifest.size,
          chunkSize: manifest.chunkSize,
          chunkCount: manifest.chunkHashes.length,
          group,
        },
        token: token(),
      },
      hashesBody(manifest),
    );
    return {
      isNew: answer.created !== false,
      name: typeof answer.name === 'string' ? answer.name : manifest.name,
      group: typeof answer.group === 'string' || answer.group === null ? answer.group : group,
    };
  };

  const closeHandle = (entry: Served | undefined): void => {
    entry?.handle?.then((handle) => handle.close()).catch(() => {});
  };

  const serveLocal = (
    record: ShareRecord,
    stats: {size: number; mtimeMs: number},
    unchecked?: Uint8Array,
  ) => {
    closeHandle(served.get(record.manifest.fileId));
    served.set(record.manifest.fileId, {record, handle: undefined, ...stats, unchecked, statAt: 0});
  };

  /** Stop serving `fileId` here and forget the share (throws what the store throws); the tracker is the caller's. */
  const forgetShare = (fileId: string): void => {
    closeHandle(served.get(fileId));
    served.delete(fileId);
    store.removeShare(fileId);
  };

  /** A share that cannot be served any more: forgotten, logged, and the tracker told in the background. */
  const stopServing = (fileId: string, why: string): void => {
    const entry = served.get(fileId);
    if (entry === undefined) return;
    try {
      forgetShare(fileId);
    } catch (error) {
      log((error as Error).message);
    }
    log(`stopped sharing ${entry.record.manifest.name}: ${why}`);
    askTracker({type: 'UNSHARE', peerId, fileId}).catch(() => {});
  };

  const upload = async (path: string, upOptions: UploadOptions = {}): Promise<Uploaded> => {
    const absolute = nodePath.resolve(path);
    const started = performance.now();
    const manifest = await hashFile(absolute, {
      name: upOptions.name,
      chunkSize: upOptions.chunkSize,
      maxBytes,
    });
    const hashMs = performance.now() - started;
    const stats = await fsp.stat(absolute);
    if (stats.size !== manifest.size)
      throw new NetError(
        'ECHANGED',
        `${absolute} changed while it was hashed; share it again once it is still.`,
      );
    const group = upOptions.group ?? null;
    const known = await share(manifest, group); // the tracker first: a refused share is not served
    // Kept as the network knows it, so `unshare` names it so and a group file's chunks are served
    // only to members, whatever this upload asked for.
    const record = store.addShare({
      manifest: {...manifest, name: known.name},
      path: absolute,
      group: known.group,
    });
    serveLocal(record, {size: stats.size, mtimeMs: stats.mtimeMs});
    return {
      fileId: manifest.fileId,
      name: known.name,
      size: manifest.size,
      chunkSize: manifest.chunkSize,
      chunkCount: manifest.chunkHashes.length,
      group: known.group,
      path: absolute,
      isNew: known.isNew,
      hashMs,
    };
  };

  const findShare = (ref: string): ShareRecord => {
    const wanted = ref.toLowerCase();
    const matches = [...served.values()]
      .map((entry) => entry.record)
      .filter(
        (record) =>
          record.manifest.name === ref ||
          (wanted.length >= MIN_PREFIX_DIGITS &&
            /^[0-9a-f]+$/.test(wanted) &&
            record.manifest.fileId.startsWith(wanted)),
      );
    if (matches.length === 0)
      throw new NetError('ENOENT', `This peer shares no file \`${ref}\` (see \`files\`).`);
    if (matches.length > 1)
      throw new NetError(
        'EAMBIG',
        `\`${ref}\` matches ${matches.length} shared files: ${matches
          .slice(0, 5)
          .map((record) => `${record.manifest.fileId.slice(0, SHORT_ID_DIGITS)} ${record.manifest.name}`)
          .join(', ')}; give more of the id.`,
      );
    return matches[0]!;
  };

  const unshare = async (ref: string) => {
    const record = findShare(ref);
    const {fileId, name} = record.manifest;
    forgetShare(fileId);
    await askTracker({type: 'UNSHARE', peerId, fileId});
    return {fileId, name};
  };

  const files = async ({all = false, group = null}: {all?: boolean; group?: string | null}) =>
    (await askTracker({type: 'FILES', all, group, token: token()})).files as FileSummary[];

  /** The tracker's record of a file: its manifest (name made safe) and who has it. */
  const lookUp = async (
    ref: string,
  ): Promise<{manifest: Manifest; file: FileSummary; holders: HolderInfo[]}> => {
    const answer = await askTracker({type: 'FILE', ref, token: token()});
    const file = answer.file as FileSummary;
    const body = answer.body ?? Buffer.alloc(0);
    if (body.length !== file.chunkCount * 32)
      throw new NetError(
        'EINVAL',
        `The tracker sent ${body.length} bytes of chunk hashes for ${file.chunkCount} chunks.`,
      );
    const chunkHashes: string[] = new Array(file.chunkCount);
    for (let index = 0; index < file.chunkCount; index += 1)
      chunkHashes[index] = body.toString('hex', index * 32, index * 32 + 32);
    // A name from the network is made safe before anything else sees it: sanitised, or refused.
    const name = safeFileName(file.name);
    const manifest = checkManifest(
      {fileId: file.fileId, name, size: file.size, chunkSize: file.chunkSize, chunkHashes},
      {maxBytes},
    );
    return {manifest, file, holders: answer.holders as HolderInfo[]};
  };

  const destination = async (
    manifest: Manifest,
    dest: string | undefined,
  ): Promise<{dir: string; name: string}> => {
    const target = nodePath.resolve(dest ?? '.');
    const stats = await fsp.stat(target).catch(() => undefined);
    if (stats?.isDirectory()) return {dir: target, name: manifest.name};
    const dir = nodePath.dirname(target);
    const dirStats = await fsp.stat(dir).catch(() => undefined);
    if (!dirStats?.isDirectory())
      throw new FileError('ENOENT', `Directory ${dir} does not exist; create it or download somewhere else.`);
    return {dir, name: safeFileName(nodePath.basename(target))};
  };

  const download = async (ref: string, downloadOptions: DownloadOptions = {}): Promise<Downloading> => {
    const {manifest, file, holders} = await lookUp(ref);
    if (!holders.some((holder) => holder.id !== peerId))
      throw new NetError(
        'ENOPEER',
        `No live peer shares ${manifest.name} (${manifest.fileId.slice(0, SHORT_ID_DIGITS)})${served.has(manifest.fileId) ? ' but this one' : ''}.`,
      );
    const {dir, name} = await destination(manifest, downloadOptions.dest);
    const tempPath = partialPath(dir, name, manifest.fileId);
    for (const entry of active.values()) if (entry.record.tempPath === tempPath) return entry.handle; // already under way: the same transfer
    const {download: record, isResumed} = store.startDownload(manifest, {dir, name, tempPath});
    let partial: PartialFile;
    try {
      partial = await openPartial({
        dir,
        name,
        manifest,
        force: downloadOptions.force === true,
        verified: isResumed ? store.verifiedChunks(record.id) : undefined,
      });
      if (partial.isResumed && !isResumed) store.replaceVerified(record.id, await partial.rescan());
      else if (!partial.isResumed && isResumed)
        store.replaceVerified(record.id, emptyChunkBitmap(manifest.chunkHashes.length));
    } catch (error) {
      if (isResumed) store.failDownload(record.id, (error as Error).message);
      else store.removeDownload(record.id);
      throw error;
    }
    const source: DownloadSource = {
      holders: async () => {
        const {holders} = await lookUp(manifest.fileId);
        return holders
          .filter((holder) => holder.id !== peerId)
          .map((holder) => {
            void linkTo(holder.id, holder).catch(() => {}); // learn its address, connect early
            return {id: holder.id, complete: holder.complete};
          });
      },
      haveMap: async (holder) => {
        const answer = await (
          await linkTo(holder)
        ).request({
          type: 'HAVE_MAP',
          fileId: manifest.fileId,
          token: token(),
        });
        return answer.complete === true ? 'all' : (answer.body ?? new Uint8Array(0));
      },
      fetch: async (holder, index, count) => {
        const connection = await linkTo(holder);
        const answer = await connection.request(
          {type: 'CHUNK', fileId: manifest.fileId, index, count, token: token()},
          CHUNK_TIMEOUT_MS,
        );
        return answer.body ?? new Uint8Array(0);
      },
      announce: async (have) => {
        await askTracker({type: 'HAVE', peerId, fileId: manifest.fileId, have});
      },
    };
    const run = startDownloadRun({
      manifest,
      partial,
      store,
      downloadId: record.id,
      source,
      maxPeers: downloadOptions.peers,
      stallMs: options.downloadStallMs,
      log,
    });
    let entry: Active;
    const forget = () => {
      active.delete(record.id);
      if (activeByFile.get(manifest.fileId) === entry) activeByFile.delete(manifest.fileId);
      entry.reader?.then((reader) => reader.close()).catch(() => {});
    };
    // Done means in place and shared from where it landed, like any upload: this peer seeds it from then on.
    const done = run.done.then(
      async (path) => {
        forget();
        try {
          const stats = await fsp.stat(path);
          const shared = store.addShare({manifest, path, group: file.group});
          serveLocal(shared, {size: stats.size, mtimeMs: stats.mtimeMs});
          if (!isClosed) await share(manifest, file.group);
        } catch (error) {
          log(`downloaded ${path} but cannot share it: ${(error as Error).message}`);
        }
        return path;
      },
      (error: unknown) => {
        forget();
        throw error;
      },
    );
    done.catch(() => {}); // a caller that only watches `downloads` must not crash the process
    const handle: Downloading = {
      id: record.id,
      fileId: manifest.fileId,
      name,
      path: nodePath.join(dir, name),
      done,
      view: () => viewOf(store.getDownload(record.id) ?? record, run.progress()),
      chunkMap: () => run.chunkMap(),
      stop: (reason) => run.stop(reason),
    };
    entry = {handle, run, partial, record, reader: undefined, group: file.group};
    active.set(record.id, entry);
    activeByFile.set(manifest.fileId, entry);
    return handle;
  };

  /** Chunks [first, first + count) read into one pooled buffer (a short read gives fewer bytes); give it back after sending. */
  const readRun = async (
    handle: FileHandle,
    manifest: Manifest,
    first: number,
    count: number,
  ): Promise<Buffer> => {
    const start = chunkRange(manifest, first)[0];
    const end = chunkRange(manifest, first + count - 1)[1];
    const bytes = bodyBuffers.take(end - start);
    try {
      let done = 0;
      while (done < bytes.length) {
        const {bytesRead} = await handle.read(bytes, done, bytes.length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === bytes.length ? bytes : bytes.subarray(0, done);
    } catch (error) {
      bodyBuffers.give(bytes);
      throw error;
    }
  };

  /** Chunks as an answer; their buffer goes back to the pool once written to the socket. */
  const runReply = async (first: number, count: number, bytes: Buffer): Promise<Reply> => {
    try {
      await options.uploadLimit?.take(bytes.length);
    } catch (error) {
      bodyBuffers.give(bytes);
      throw error;
    }
    return withBody({index: first, count}, bytes, () => bodyBuffers.give(bytes));
  };

  /** Throws EINVAL unless chunks [first, first + count) exist and fit one frame body. */
  const checkRun = (manifest: Manifest, first: number, count: number): void => {
    const chunks = manifest.chunkHashes.length;
    if (first + count > chunks)
      throw new NetError(
        'EINVAL',
        count === 1
          ? `Chunk ${first} is out of range: ${manifest.name} has ${chunks}.`
          : `Chunks ${first} to ${first + count - 1} are out of range: ${manifest.name} has ${chunks}.`,
      );
    if (count * manifest.chunkSize > MAX_BODY_BYTES)
      throw new NetError(
        'EINVAL',
        `${count} chunks of ${manifest.chunkSize} bytes are over the ${MAX_BODY_BYTES}-byte answer limit; ask for fewer.`,
      );
  };

  const serveChunks = async (fileId: string, first: number, count: number): Promise<Reply> => {
    const entry = served.get(fileId);
    if (entry !== undefined) {
      const {manifest} = entry.record;
      checkRun(manifest, first, count);
      entry.handle ??= fsp.open(entry.record.path, 'r');
      let bytes: Buffer;
      try {
        const handle = await entry.handle;
        if (performance.now() - entry.statAt >= STAT_EVERY_MS) {
          entry.statAt = performance.now();
          const stats = await handle.stat();
          if (stats.size !== entry.size || stats.mtimeMs !== entry.mtimeMs) {
            stopServing(fileId, `${entry.record.path} changed on disk since it was shared`);
            throw new NetError(
              'ECHANGED',
              `${manifest.name} changed on disk at its sharer; it is no longer shared there.`,
            );
          }
        }
        bytes = await readRun(handle, manifest, first, count);
      } catch (error) {
        if (error instanceof NetError) throw error;
        stopServing(fileId, `cannot read ${entry.record.path}: ${(error as Error).message}`);
        throw new NetError(
          'ECHANGED',
          `${manifest.name} cannot be read at its sharer any more; it is no longer shared there.`,
        );
      }
      // A restored share's chunks are checked the first time each goes out.
      for (let index = first; index < first + count; index += 1) {
        if (entry.unchecked === undefined || !hasChunk(entry.unchecked, index)) continue;
        const [start, end] = chunkRange(manifest, index);
        const offset = start - chunkRange(manifest, first)[0];
        if (!verifyChunk(manifest, index, bytes.subarray(offset, offset + end - start))) {
          stopServing(fileId, `chunk ${index} of ${entry.record.path} no longer matches its hash`);
          throw new NetError(
            'ECHANGED',
            `${manifest.name} changed on disk at its sharer; it is no longer shared there.`,
          );
        }
        clearChunk(entry.unchecked, index);
      }
      return runReply(first, count, bytes);
    }
    const running = activeByFile.get(fileId);
    if (running !== undefined) {
      const {manifest} = running.partial;
      checkRun(manifest, first, count);
      for (let index = first; index < first + count; index += 1)
        if (!running.partial.hasChunk(index))
          throw new NetError(
            'ENOCHUNK',
            `This peer has not got chunk ${index} of ${running.record.manifestName} yet.`,
          );
      running.reader ??= fsp.open(running.partial.tempPath, 'r');
      return runReply(first, count, await readRun(await running.reader, manifest, first, count));
    }
    throw new NetError('ENOENT', `This peer does not share file ${fileId.slice(0, SHORT_ID_DIGITS)}.`);
  };

  /** A group's file goes only to its members: the tracker is asked about each request's session. */
  const mayServe = async (fileId: string, requestToken: string | null | undefined): Promise<void> => {
    const group = served.get(fileId)?.record.group ?? activeByFile.get(fileId)?.group ?? null;
    if (group !== null) await checkAccess(requestToken ?? null, group);
  };

  const serve = async (request: Request): Promise<Record<string, unknown> | Reply> => {
    if (request.type === 'CHUNK' || request.type === 'HAVE_MAP')
      await mayServe(request.fileId, request.token);
    if (request.type === 'CHUNK') return serveChunks(request.fileId, request.index, request.count);
    if (request.type === 'HAVE_MAP') {
      if (served.has(request.fileId)) return {complete: true};
      const running = activeByFile.get(request.fileId);
      if (running === undefined)
        throw new NetError(
          'ENOENT',
          `This peer does not share file ${request.fileId.slice(0, SHORT_ID_DIGITS)}.`,
        );
      const bitmap = running.partial.verified();
      return withBody({complete: false, have: countChunks(bitmap)}, bitmap);
    }
    throw new NetError('EINVAL', `Sharing does not serve ${request.type}.`);
  };

  const viewOf = (record: DownloadRecord, progress?: DownloadProgress): TransferView => {
    const elapsed = ((record.finishedAt ?? now()) - record.startedAt) / 1000;
    return {
      id: record.id,
      fileId: record.fileId,
      name: record.name,
      path: nodePath.join(record.dir, record.name),
      state: progress?.state ?? record.state,
      size: record.size,
      bytesDone: progress?.bytesDone ?? record.bytesDone,
      chunksDone: progress?.chunksDone ?? record.chunksDone,
      chunkCount: record.chunkCount,
      inFlight: progress?.inFlight ?? 0,
      rate:
        progress !== undefined && progress.state === 'active'
          ? progress.rate
          : elapsed > 0
            ? record.bytesDone / elapsed
            : 0,
      peers: progress?.peersUsed ?? 0,
      etaSeconds: progress?.etaSeconds ?? null,
      resumedChunks: progress?.resumedChunks ?? 0,
      corrupt: progress?.corrupt ?? 0,
      error: progress?.error ?? record.error,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
    };
  };

  return {
    upload,
    unshare,
    files,
    download,
    downloads() {
      return store.listDownloads().map((record) => {
        const running = active.get(record.id);
        return running ? running.handle.view() : viewOf(record);
      });
    },
    running: (id) => active.get(id)?.handle,
    shares: () => [...served.values()].map((entry) => entry.record),
    serve,
    async announce() {
      for (const entry of [...served.values()]) {
        try {
          await share(entry.record.manifest, entry.record.group);
        } catch (error) {
          log(`cannot share ${entry.record.manifest.name} again: ${(error as Error).message}`);
        }
      }
      for (const running of active.values()) {
        const have = running.run.progress().chunksDone;
        if (have > 0) askTracker({type: 'HAVE', peerId, fileId: running.record.fileId, have}).catch(() => {});
      }
    },
    async close() {
      if (isClosed) return;
      isClosed = true;
      await Promise.all(
        [...active.values()].map((entry) => entry.run.stop('stopped: the peer is shutting down')),
      );
      for (const entry of served.values()) closeHandle(entry);
      served.clear();
      store.close();
    },
  };
}
