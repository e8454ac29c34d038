// Disk sharing as commands: `upload`, `files`, `download`, `downloads`, `unshare`. Thin adapters over
// the peer's sharing service (src/net/files/sharing.ts): they check the arguments, call it, and lay
// out what it returns. A download blocks a script until the file is in place; in the console (or with
// --bg) it returns at once and goes on in the background, shown by `downloads` and the downloads pane.

import {MAX_FILE_NAME_LENGTH, MAX_GROUP_LENGTH, type FileSummary} from '../../net/messages.js';
import {NetError} from '../../net/net-error.js';
import {ProtocolError, RequestError} from '../../net/errors.js';
import {MAX_CHUNK_SIZE, MIN_CHUNK_SIZE} from '../../net/files/manifest.js';
import {safeFileName} from '../../net/files/names.js';
import {SHORT_ID_DIGITS, type Downloading, type Sharing, type TransferView} from '../../net/files/sharing.js';
import {parseBytes} from '../../net/files/upload-limit.js';
import {expectPositionals, flagInteger, flagText, runSubcommand, toInteger, type Args} from '../args.js';
import type {Command, Context, Result} from '../command.js';
import {ShellError} from '../errors.js';
import {tableBlock} from '../format.js';
import {
  doneFraction,
  formatEta,
  formatPercent,
  formatRate,
  printable,
  progressBar,
  shownState,
} from '../transfer-format.js';
import {formatBytes, peerOf} from './net-commands.js';

/** Most peers `download --peers` may name: more than any swarm here, fewer than a typo's worth. */
const MAX_DOWNLOAD_PEERS = 1000;
/** Download failures whose message already says the verified chunks are kept for a resume (downloader.ts). */
const SAYS_RESUME = new Set(['ENOPEER', 'ECANCELED']);
/** Cells of the bar in the `downloads` table. */
const TABLE_BAR_CELLS = 10;

async function sharingOf(context: Context): Promise<Sharing> {
  return (await peerOf(context)).sharing;
}

/** The console runs commands with its panes; a script has none. A console download goes on in the background. */
function isConsole(context: Context): boolean {
  return context.panes !== undefined;
}

const shortId = (fileId: string) => fileId.slice(0, SHORT_ID_DIGITS);

/**
 * Run a call into the sharing service, turning errors of its file modules (FileError, PartialFileError,
 * DownloadError, the transfer store's) into RequestErrors with the same code and message. The runner
 * reports NetError, RequestError and ProtocolError with their code; it would call the others internal.
 */
async function coded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw codedError(error);
  }
}

function codedError(error: unknown): unknown {
  if (
    error instanceof ShellError ||
    error instanceof NetError ||
    error instanceof RequestError ||
    error instanceof ProtocolError
  )
    return error;
  const code = (error as {code?: unknown} | null)?.code;
  if (error instanceof Error && typeof code === 'string') return new RequestError(code, error.message);
  return error;
}

/** A value flag checked as a size (parseBytes: 256K, 1M, 262144) from `min` to `max` bytes. */
function flagBytes(args: Args, name: string, min: number, max: number): number | undefined {
  const text = flagText(args, name);
  if (text === undefined) return undefined;
  const bytes = parseBytes(text);
  if (bytes === undefined || bytes < min || bytes > max)
    throw new ShellError(
      'EUSAGE',
      `Bad --${name} \`${text}\`: expected a size from ${formatBytes(min)} to ${formatBytes(max)}, such as 64KiB, 256K or 1M.`,
    );
  return bytes;
}

/** --group as the tracker takes it: 1 to MAX_GROUP_LENGTH characters. */
function flagGroup(args: Args): string | undefined {
  const group = flagText(args, 'group');
  if (group !== undefined && (group.length === 0 || group.length > MAX_GROUP_LENGTH))
    throw new ShellError(
      'EUSAGE',
      `Bad --group \`${printable(group)}\`: expected 1 to ${MAX_GROUP_LENGTH} characters.`,
    );
  return group;
}

export const upload: Command = {
  name: 'upload',
  usage: ['upload PATH [--name NAME] [--group G] [--chunk-size SIZE]'],
  summary: 'Share a file with the network: hashed in chunks, registered with the tracker, served from here',
  details: [
    'The file id is the SHA-256 of the whole file; each chunk (256 KiB unless --chunk-size) has its own.',
    `--chunk-size takes ${formatBytes(MIN_CHUNK_SIZE)} to ${formatBytes(MAX_CHUNK_SIZE)} (K, M are 1000s; KiB, MiB 1024s).`,
    '--name shares it under another name; --group files it under a group (`files --group G`).',
    'The file is served from where it is: change it and peers get ECHANGED; share it again then.',
  ],
  flags: {name: {kind: 'value'}, group: {kind: 'value'}, 'chunk-size': {kind: 'value'}},
  async run(args, context) {
    expectPositionals(args, 1);
    const path = args.positionals[0]!;
    const name = flagText(args, 'name');
    if (name !== undefined) {
      try {
        safeFileName(name);
      } catch (error) {
        throw new ShellError('EUSAGE', `Bad --name: ${(error as Error).message}`);
      }
    }
    const group = flagGroup(args);
    const chunkSize = flagBytes(args, 'chunk-size', MIN_CHUNK_SIZE, MAX_CHUNK_SIZE);
    const sharing = await sharingOf(context);
    const uploaded = await coded(() => sharing.upload(path, {name, group, chunkSize}));
    const mbPerS = uploaded.hashMs > 0 ? uploaded.size / 1e3 / uploaded.hashMs : 0;
    const chunks = `${uploaded.chunkCount} chunk${uploaded.chunkCount === 1 ? '' : 's'}`;
    return {
      lines: [
        uploaded.fileId,
        `shared ${uploaded.name}: ${formatBytes(uploaded.size)}, ${chunks} of ${formatBytes(uploaded.chunkSize)}, hashed in ${uploaded.hashMs.toFixed(0)} ms (${mbPerS.toFixed(1)} MB/s)` +
          (uploaded.group === null ? '' : `, group ${uploaded.group}`) +
          (uploaded.isNew ? '' : '; the tracker knew it already'),
      ],
      data: {...uploaded},
    };
  },
};

/** "2", or "2+1" with partial holders: seeders first. */
function holdersText(file: FileSummary): string {
  return file.partial > 0 ? `${file.seeders}+${file.partial}` : String(file.seeders);
}

export const files: Command = {
  name: 'files',
  usage: ['files [--all] [--group G]'],
  summary: 'Files the network shares: id, name, size, peers that have them (seeders+partial), group, owner',
  details: [
    'ID is the first 12 hex digits of the file id; `download` and `unshare` take any unique prefix of 4 or more, or the name.',
    'PEERS counts live seeders, then +N peers with part of it (downloading, and serving what they have).',
    '--all also lists files no live peer holds now; --group G only that group.',
  ],
  flags: {all: {kind: 'boolean'}, group: {kind: 'value'}},
  async run(args, context) {
    expectPositionals(args, 0);
    const group = flagGroup(args) ?? null;
    const sharing = await sharingOf(context);
    const list = await coded(() => sharing.files({all: args.flags.has('all'), group}));
    return {
      lines: [
        tableBlock(list, [
          {header: 'ID', value: (file) => shortId(file.fileId)},
          {header: 'NAME', value: (file) => printable(file.name)},
          {header: 'SIZE', value: (file) => formatBytes(file.size), align: 'right'},
          {header: 'PEERS', value: (file) => holdersText(file), align: 'right'},
          {header: 'GROUP', value: (file) => (file.group === null ? '-' : printable(file.group))},
          {header: 'OWNER', value: (file) => printable(file.owner)},
        ]),
        `${list.length} file${list.length === 1 ? '' : 's'}${group === null ? '' : ` in group ${printable(group)}`}`,
      ],
      data: {files: list},
    };
  },
};

/** MB/s of the bytes this run fetched (a resume's chunks already here do not count) over `ms`. */
function rateOf(view: TransferView, ms: number, bytesBefore: number): number {
  return ms > 0 ? Math.max(0, view.size - bytesBefore) / 1e3 / ms : 0;
}

/** What `download` prints once the file is in place, and its JSON. */
function finished(handle: Downloading, path: string, ms: number, bytesBefore: number): Result {
  const view = handle.view();
  const mbPerS = rateOf(view, ms, bytesBefore);
  const resumed =
    view.resumedChunks > 0
      ? `, resumed with ${view.resumedChunks} of ${view.chunkCount} chunks already here`
      : '';
  return {
    lines: [
      path,
      `${formatBytes(view.size)} in ${(ms / 1000).toFixed(2)} s (${mbPerS.toFixed(1)} MB/s) from ${view.peers} peer${view.peers === 1 ? '' : 's'}${resumed}`,
    ],
    data: {
      path,
      fileId: view.fileId,
      size: view.size,
      ms,
      mbPerS,
      peers: view.peers,
      resumedChunks: view.resumedChunks,
    },
  };
}

/** A failed download's code and message, saying how to resume when the downloader's message does not. */
function failureOf(handle: Downloading, error: unknown): {code: string; message: string} {
  const failure = codedError(error) as Error & {code?: string};
  const code = failure.code ?? 'EIO';
  const resume = SAYS_RESUME.has(code)
    ? ''
    : ` The partial file is kept: \`download ${shortId(handle.fileId)}\` to the same place resumes it.`;
  return {code, message: `${failure.message}${resume}`};
}

export const download: Command = {
  name: 'download',
  usage: ['download ID|NAME [DEST] [--peers N] [--force] [--bg]'],
  summary: 'Fetch a shared file from every peer that has it, each chunk verified; resumes a stopped download',
  details: [
    'ID is a file id or a unique prefix (4+ hex digits); NAME an exact shared name. DEST is a directory',
    '(the file keeps its name) or a file path; the working directory by default.',
    'The file is written under a temporary name and renamed into place once its SHA-256 matches.',
    '--peers N: fetch from at most N peers at once (the fastest). --force: replace a file already at DEST.',
    'A script waits until the file is in place; --bg (and the console) return at once: see `downloads`',
    'and the downloads pane (`pane show downloads`). A stopped or failed download keeps its verified',
    'chunks: `download` of the same file and DEST again resumes it.',
  ],
  flags: {peers: {kind: 'value'}, force: {kind: 'boolean'}, bg: {kind: 'boolean'}},
  async run(args, context) {
    expectPositionals(args, 1, 2);
    const [ref, dest] = args.positionals as [string, string | undefined];
    // The tracker takes a ref of 1 to 255 characters; another is a malformed message that closes the link.
    if (ref.length === 0 || ref.length > MAX_FILE_NAME_LENGTH)
      throw new ShellError(
        'EUSAGE',
        `Bad file \`${ref.slice(0, 32)}${ref.length > 32 ? '…' : ''}\`: expected a file id, an id prefix or a name of 1 to ${MAX_FILE_NAME_LENGTH} characters.`,
      );
    const peers = flagInteger(args, 'peers', 1, MAX_DOWNLOAD_PEERS);
    const sharing = await sharingOf(context);
    const started = performance.now();
    const handle = await coded(() => sharing.download(ref, {dest, peers, force: args.flags.has('force')}));
    const before = handle.view();
    if (args.flags.has('bg') || isConsole(context)) {
      // The console's download returns at once: how it ends comes later, as a line of output.
      const {notify} = context;
      if (notify !== undefined) {
        handle.done.then(
          (path) => {
            const view = handle.view();
            const mbPerS = rateOf(view, performance.now() - started, before.bytesDone);
            const figures = `${formatBytes(view.size)}, ${mbPerS.toFixed(1)} MB/s`;
            notify(`download ${before.id} done: ${path}, ${figures}`);
          },
          (error: unknown) => {
            const {code, message} = failureOf(handle, error);
            // a pause (`downloads stop` says so itself) is not reported
            if (code !== 'ECANCELED')
              notify(context.style.red(`download ${before.id} failed: ${code}: ${message}`));
          },
        );
      }
      const resumed =
        before.resumedChunks > 0
          ? `, resuming at ${before.resumedChunks} of ${before.chunkCount} chunks`
          : '';
      return {
        lines: [
          `downloading ${before.name} (${formatBytes(before.size)}) as download ${before.id} to ${handle.path}${resumed}`,
          `watch it with \`downloads\`${isConsole(context) ? ' or in the downloads pane (F9)' : ''}; \`downloads stop ${before.id}\` pauses it`,
        ],
        data: {...before},
      };
    }
    let path: string;
    try {
      path = await handle.done;
    } catch (error) {
      const failure = failureOf(handle, error);
      throw new RequestError(failure.code, failure.message);
    }
    return finished(handle, path, performance.now() - started, before.bytesDone);
  },
};

function listing(sharing: Sharing): Result {
  const views = sharing
    .downloads()
    .map((view) => ({...view, running: sharing.running(view.id) !== undefined}));
  return {
    lines: [
      tableBlock(views, [
        {header: 'ID', value: (view) => view.id},
        {header: 'NAME', value: (view) => view.name},
        {header: 'STATE', value: (view) => shownState(view, view.running)},
        {
          header: 'PROGRESS',
          value: (view) => {
            const fraction = doneFraction(view);
            return `${formatPercent(fraction).padStart(4)} ${progressBar(fraction, TABLE_BAR_CELLS)}`;
          },
        },
        {header: 'SIZE', value: (view) => formatBytes(view.size), align: 'right'},
        {header: 'RATE', value: (view) => (view.rate > 0 ? formatRate(view.rate) : '-'), align: 'right'},
        {header: 'PEERS', value: (view) => (view.running ? view.peers : '-'), align: 'right'},
        {header: 'ETA', value: (view) => (view.running ? formatEta(view.etaSeconds) : '-'), align: 'right'},
      ]),
      `${views.length} download${views.length === 1 ? '' : 's'}, ${views.filter((view) => view.running).length} running`,
      ...views
        .filter((view) => view.state === 'failed' && view.error !== null)
        .map((view) => `download ${view.id} failed: ${view.error}`),
    ],
    data: {downloads: views},
  };
}

const DOWNLOADS_SUBCOMMANDS = {
  ls: {
    run: async (rest: Args, context: Context) => {
      expectPositionals(rest, 0);
      return listing(await sharingOf(context));
    },
  },
  stop: {
    run: async (rest: Args, context: Context): Promise<Result> => {
      expectPositionals(rest, 1);
      const id = toInteger(rest.positionals[0]!, 'download id', 1, Number.MAX_SAFE_INTEGER);
      const sharing = await sharingOf(context);
      const handle = sharing.running(id);
      if (handle === undefined) {
        const known = sharing.downloads().find((view) => view.id === id);
        throw new ShellError(
          'ENOENT',
          known === undefined
            ? `There is no download ${id} (see \`downloads\`).`
            : `Download ${id} (${known.name}) is not running: it is ${shownState(known, false)}.`,
        );
      }
      await coded(() => handle.stop('stopped by `downloads stop`'));
      const view = handle.view();
      return {
        lines: [
          `paused download ${id} (${view.name}) at ${formatPercent(doneFraction(view))}: ${view.chunksDone} of ${view.chunkCount} chunks kept; \`download ${shortId(view.fileId)}\` to the same place resumes it`,
        ],
        data: {...view},
      };
    },
  },
};

export const downloads: Command = {
  name: 'downloads',
  usage: ['downloads [ls]', 'downloads stop ID'],
  summary:
    'Every download on this peer: state, progress, size, rate, peers, ETA; `downloads stop ID` pauses one',
  details: [
    'ID is the number in the first column. States: active, verifying (the whole-file check), done, paused,',
    'failed (the error is listed under the table), stopped (it was running when its process ended).',
    'A paused, failed or stopped download resumes with `download` of the same file to the same place.',
  ],
  subcommands: ['ls', 'stop'],
  run(args, context) {
    return runSubcommand(args, 'downloads', DOWNLOADS_SUBCOMMANDS, context, 'ls');
  },
};

export const unshare: Command = {
  name: 'unshare',
  usage: ['unshare ID|NAME'],
  summary: 'Stop sharing a file from this peer and tell the tracker',
  details: [
    'ID is a file id or a unique prefix (4+ hex digits) of a file this peer shares; NAME its exact name.',
  ],
  async run(args, context) {
    expectPositionals(args, 1);
    const sharing = await sharingOf(context);
    const {fileId, name} = await coded(() => sharing.unshare(args.positionals[0]!));
    return {lines: [`stopped sharing ${name} (${shortId(fileId)})`], data: {fileId, name}};
  },
};
