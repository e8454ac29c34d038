// p2pos: boot a kernel and run commands. With a terminal on stdin and stdout it starts the
// interactive shell; otherwise (a piped file, `p2pos run FILE`, `p2pos -c '…'`) it runs the
// commands as a script and exits 0, or 1 when a command failed, or 2 for bad flags.

import {createInterface} from 'node:readline';
import {createReadStream, mkdirSync, statSync} from 'node:fs';
import {networkInterfaces} from 'node:os';
import {join} from 'node:path';
import chalk, {Chalk, type ChalkInstance} from 'chalk';
import meow from 'meow';
import {
  createKernel,
  FIT_POLICY_NAMES,
  isSchedulerName,
  MAX_HEAP_UNITS,
  MAX_TICKS,
  parseCount,
  parseSize,
  SCHEDULER_NAMES,
  type FitPolicyName,
  type Kernel,
} from './kernel/index.js';
import {MAX_CLOCK_HZ} from './shell/command.js';
import {createScriptContext} from './shell/context.js';
import type {PasswordDefaults} from './shell/command.js';
import {parseBytes, parseRate} from './net/files/upload-limit.js';
import {TRANSFERS_DB_FILE} from './net/files/transfer-store.js';
import {ACCOUNTS_DB_FILE, defaultDataDir, HISTORY_DB_FILE, TRACKER_DB_FILE} from './shell/data-dir.js';
import {openHistoryStore} from './shell/history-store.js';
import {runScript, type Output} from './shell/plain.js';
import {visibleText} from './shell/visible-text.js';
import {createNetAccess, type NetConfig} from './shell/net-access.js';
import {recordTask} from './shell/task-history.js';
import {DEFAULT_TRACKER_PORT, startTracker} from './net/tracker.js';
import {parseTrackerList, type TrackerAddress} from './net/tracker-list.js';
import {decodeJoinToken, encodeJoinToken, type JoinToken} from './net/join-token.js';
import {keepSecret, loadOrCreateSecret, parseSecret, SECRET_FILE_NAME} from './net/network-secret.js';

const FLAGS = {
  json: {type: 'boolean', default: false},
  sched: {type: 'string'},
  quantum: {type: 'string'},
  heap: {type: 'string'},
  fit: {type: 'string'},
  data: {type: 'string'},
  hz: {type: 'string'},
  paused: {type: 'boolean', default: false},
  command: {type: 'string', shortFlag: 'c'},
  tracker: {type: 'string'},
  peerTracker: {type: 'string'},
  port: {type: 'string'},
  host: {type: 'string'},
  name: {type: 'string'},
  offline: {type: 'boolean', default: false},
  run: {type: 'string'},
  maxUpload: {type: 'string'},
  maxFileSize: {type: 'string'},
  join: {type: 'string'},
  secret: {type: 'string'},
  insecure: {type: 'boolean', default: false},
  passwordFile: {type: 'string'},
  remoteExec: {type: 'boolean', default: true},
  password: {type: 'string'},
  // meow answers --help and --version by itself only when they stand alone
  help: {type: 'boolean', default: false},
  version: {type: 'boolean', default: false},
} as const;

const cli = parseFlags(() =>
  meow(
    `
  Usage
    $ p2pos                      the interactive console (when stdin and stdout are a terminal)
    $ p2pos < lab.txt            run a command file
    $ p2pos run lab.txt          run a command file
    $ p2pos -c 'spawn a --burst 5; wait all; ps'
    $ p2pos tracker [--port N] [--data DIR]         a headless tracker; prints the join command
    $ p2pos serve [--join TOKEN] [--port N] [--data DIR] [--run FILE]
                                                 a headless peer (kernel and network, no shell)
    $ p2pos --join TOKEN         the console, joining the network the tracker's join command names

  Options
    --json            One JSON line per command: {"cmd", "ok", "data"} or {"cmd", "ok", "error"}
    --sched ALG       Scheduler at boot: ${SCHEDULER_NAMES.join(', ')} (default fcfs)
    --quantum N       Round-robin quantum in ticks (default 4)
    --heap SIZE       Heap size, K/M suffixes allowed (default 1M)
    --fit ALG         Allocation policy: ${FIT_POLICY_NAMES.join(', ')} (default first)
    --hz N            Console clock rate in ticks per second, 1 to ${MAX_CLOCK_HZ} (default 10)
    --paused          Start the console with the clock paused
    --data DIR        Where history.sqlite lives (default $P2POS_DATA or the per-user data dir)
    -c, --command STR Run STR as a script (';' separates commands)
    --tracker H:P     Join the tracker at H:P (default: start one here on 127.0.0.1:8888, or a free port);
                      H:A,H:B names twin trackers: the peer uses the first and fails over to the next
    --peer-tracker H:P  With \`tracker\`: its twin; the two replicate every change and catch up (one
                      side is enough: the twin is told; kept in --data; \`none\` forgets it)
    --join TOKEN      Join a network: its trackers and secret, as \`p2pos tracker\` prints them
    --secret HEX      The network secret (64 hex digits) every link proves; default: the token's,
                      else the one kept in --data (a tracker or a network of one makes it there)
    --insecure        Plain TCP links, readable by anyone on the path: for teaching captures only
    --port N          This peer's port (default 9000, or a free one); for \`tracker\`, the tracker's port
    --host ADDR       Address to listen on (default 127.0.0.1; 0.0.0.0 listens on every interface)
    --name NAME       This peer's name in \`peers\` (default peer-PORT)
    --offline         No tracker and no port opened; tasks run in this process's own sandbox
    --run FILE        With \`serve\`: run a command file first, then keep serving
    --max-upload RATE Cap on the file chunks this peer sends, e.g. 50M (bytes/s; k/M/G, KiB/MiB/GiB)
    --max-file-size SIZE  Largest file shared or downloaded (default 4G)
    --no-remote-exec  Run no tasks for other peers (this peer's own tasks still run here)
    --password-file FILE  Password for useradd, login and passwd in a script (its first line)
    --password P      The same, given inline: visible to others in ps and shell history (warned)
    --help, --version

  Environment
    NO_COLOR, FORCE_COLOR   colour control; P2POS_DATA   default for --data
    TRACKER_HOST, TRACKER_PORT   the tracker to join when --tracker is not given
    PEER_PORT   default for --port;  P2POS_HEARTBEAT_MS   heartbeat period (default 3000)
    P2POS_LOG=1   network events on stderr in script mode and the console's output
    P2POS_TASKS_PER_MINUTE   tasks each remote peer may start here a minute (default 600; Infinity lifts it)
    P2POS_MAX_UPLOAD   default for --max-upload
    P2POS_JOIN   default for --join;  P2POS_SECRET   default for --secret
    P2POS_PASSWORD, P2POS_NEW_PASSWORD   passwords for login/useradd and passwd's new one in a script
`,
    {
      importMeta: import.meta,
      // Unknown flags are refused below, with the usage (meow's own refusal prints neither p2pos: nor it).
      allowUnknownFlags: true,
      flags: FLAGS,
    },
  ),
);
refuseUnknownFlags(Object.keys(cli.unnormalizedFlags));
refuseMissingValues();

/**
 * A value flag given without its value is a bad flag. meow reads `--sched` at the end, or followed
 * by another flag, as '' (which then surfaced as "Unknown scheduler ``", or for --port and
 * --max-upload as no flag at all), and -c so as an empty script that would run nothing and exit 0.
 */
function refuseMissingValues(): void {
  const flags = cli.flags as Record<string, unknown>;
  for (const [key, spec] of Object.entries(FLAGS)) {
    if (spec.type !== 'string' || flags[key] !== '') continue;
    if (key === 'command') {
      // `-c ''` given as such is an empty script, as `sh -c ''` is: it runs nothing and exits 0
      const at = process.argv.findIndex((word) => word === '-c' || word === '--command');
      if (at !== -1 && process.argv[at + 1] === '') continue;
      const name = process.argv.some((word) => word.startsWith('--command')) ? '--command' : '-c';
      usageError(`${name} needs a script, e.g. p2pos -c 'spawn a --burst 5; wait all; ps'.`);
    }
    usageError(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs a value.`);
  }
}

/** An unknown flag is a bad flag: its name, the usage, status 2 (meow gives its values camelCased keys). */
function refuseUnknownFlags(given: readonly string[]): void {
  const known = new Set<string>(['c', '--', ...Object.keys(FLAGS)]);
  const unknown = given
    .filter((key) => !known.has(key))
    .map((key) =>
      key.length === 1 ? `-${key}` : `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    );
  if (unknown.length > 0)
    usageError(
      `Unknown flag${unknown.length === 1 ? '' : 's'}: ${unknown.map((flag) => `\`${flag}\``).join(', ')}.`,
    );
}

/** meow's own refusals (a flag given twice) as a one-line error and status 2, not a stack trace. */
function parseFlags<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    process.stderr.write(`p2pos: ${(error as Error).message} Run \`p2pos --help\` for the options.\n`);
    process.exit(2);
  }
}

/** Print a flag error with the usage and exit 2. */
function usageError(message: string): never {
  process.stderr.write(`p2pos: ${message}\n${cli.help}\n`);
  process.exit(2);
}

function bootKernel(): Kernel {
  const {sched, quantum, heap, fit} = cli.flags;
  if (sched !== undefined && !isSchedulerName(sched)) {
    return usageError(`Unknown scheduler \`${sched}\`. Expected one of: ${SCHEDULER_NAMES.join(', ')}.`);
  }
  const quantumTicks = quantum === undefined ? undefined : parseCount(quantum);
  if (quantum !== undefined && (quantumTicks === undefined || quantumTicks < 1 || quantumTicks > MAX_TICKS)) {
    usageError(`Bad --quantum \`${quantum}\`: expected a whole number of ticks from 1 to ${MAX_TICKS}.`);
  }
  const heapUnits = heap === undefined ? undefined : parseSize(heap);
  if (heap !== undefined && (heapUnits === undefined || heapUnits < 1 || heapUnits > MAX_HEAP_UNITS)) {
    usageError(`Bad --heap \`${heap}\`: expected a size such as 64K or 1M, at most 4G.`);
  }
  if (fit !== undefined && !(FIT_POLICY_NAMES as readonly string[]).includes(fit)) {
    usageError(`Unknown --fit \`${fit}\`. Expected one of: ${FIT_POLICY_NAMES.join(', ')}.`);
  }
  return createKernel({
    scheduler: sched,
    schedulerOptions: quantumTicks === undefined ? {} : {quantum: quantumTicks},
    heapSize: heapUnits,
    fit: fit as FitPolicyName | undefined,
  });
}

/** Colour only for a terminal, never with NO_COLOR or --json; FORCE_COLOR forces it on. */
function chooseStyle(isJson: boolean): ChalkInstance {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  const level = isJson || noColor ? 0 : (chalk.level ?? 0);
  return new Chalk({level});
}

/**
 * stdout is buffered in large writes (scripts print a lot) until the script waits for anything (input,
 * the network, a timer), so a program that writes commands to our stdin sees each answer at once;
 * stderr flushes stdout first so order holds.
 */
function createOutput(): Output & {flush(): void} {
  let buffered = '';
  let isFlushScheduled = false;
  const flush = () => {
    if (buffered) process.stdout.write(buffered);
    buffered = '';
  };
  return {
    stdout(text) {
      buffered += text;
      if (buffered.length > 64 * 1024) flush();
      else if (!isFlushScheduled) {
        // A script that never waits runs in one turn of the event loop: still one write at its end.
        isFlushScheduled = true;
        setImmediate(() => {
          isFlushScheduled = false;
          flush();
        });
      }
    },
    stderr(text) {
      flush();
      process.stderr.write(text);
    },
    flush,
  };
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** A file's lines, or a one-line reason it cannot be read. */
async function openLines(path: string): Promise<AsyncIterable<string> | string> {
  const stream = createReadStream(path, {encoding: 'utf8'});
  // A directory opens fine and fails on the first read, so wait for data or an error.
  const failure = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    stream.once('readable', () => resolve(undefined));
    stream.once('error', resolve);
  });
  if (failure) {
    const code = failure.code ?? 'EIO';
    return `cannot read ${path}: ${READ_ERRORS[code] ?? failure.message} (${code})`;
  }
  return createInterface({input: stream, crlfDelay: Infinity});
}

/** Parse a port flag or variable: 0 means any free port. */
function portOf(text: string | undefined, what: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const port = parseCount(text);
  if (port === undefined || port > 65535)
    usageError(`Bad ${what} \`${text}\`: expected a port number from 0 to 65535.`);
  return port;
}

/** The network settings from flags, then TRACKER_HOST/TRACKER_PORT/PEER_PORT. */
function netConfig(): NetConfig {
  const {flags} = cli;
  const env = process.env;
  const links = linkSecurity();
  let tracker: NetConfig['tracker'];
  let trackers: NetConfig['trackers'];
  if (flags.tracker !== undefined) {
    const list = parseTrackerList(flags.tracker);
    if (typeof list === 'string') usageError(`Bad --tracker: ${list}.`);
    tracker = list[0];
    if (list.length > 1) trackers = list;
  } else if (links.join !== undefined) {
    tracker = links.join.trackers[0];
    if (links.join.trackers.length > 1) trackers = links.join.trackers;
  } else if (env.TRACKER_HOST || env.TRACKER_PORT) {
    tracker = {
      host: env.TRACKER_HOST || '127.0.0.1',
      port: portOf(env.TRACKER_PORT, 'TRACKER_PORT') || DEFAULT_TRACKER_PORT,
    };
  }
  const name = flags.name;
  if (name !== undefined && (name.length === 0 || name.length > 64 || /[\s\x00-\x1f\x7f-\x9f]/.test(name)))
    usageError(`Bad --name \`${visibleText(name)}\`: 1 to 64 characters, no spaces or control characters.`);
  const heartbeat = env.P2POS_HEARTBEAT_MS ? parseCount(env.P2POS_HEARTBEAT_MS) : undefined;
  if (env.P2POS_HEARTBEAT_MS && (heartbeat === undefined || heartbeat < 10))
    usageError(`Bad P2POS_HEARTBEAT_MS \`${env.P2POS_HEARTBEAT_MS}\`: expected milliseconds, at least 10.`);
  const quota = env.P2POS_TASKS_PER_MINUTE;
  const tasksPerMinute = !quota ? undefined : quota === 'Infinity' ? Infinity : parseCount(quota);
  if (quota && tasksPerMinute === undefined)
    usageError(`Bad P2POS_TASKS_PER_MINUTE \`${quota}\`: expected a whole number, 0 or more, or Infinity.`);
  if (flags.offline && (flags.tracker !== undefined || flags.port !== undefined || flags.host !== undefined))
    usageError('--offline opens no port; it cannot go with --tracker, --port or --host.');
  if (flags.offline && flags.join !== undefined)
    usageError('--offline joins no network; it cannot go with --join.');
  const uploadText = flags.maxUpload ?? env.P2POS_MAX_UPLOAD;
  const maxUploadRate = uploadText === undefined || uploadText === '' ? undefined : parseRate(uploadText);
  if (uploadText && maxUploadRate === undefined)
    usageError(
      `Bad --max-upload \`${uploadText}\`: expected bytes per second, e.g. 50M or 2MiB, at least 1K.`,
    );
  const maxFileBytes = flags.maxFileSize === undefined ? undefined : parseBytes(flags.maxFileSize);
  if (flags.maxFileSize !== undefined && maxFileBytes === undefined)
    usageError(`Bad --max-file-size \`${flags.maxFileSize}\`: expected a size, e.g. 4G or 512MiB.`);
  return {
    offline: flags.offline,
    tracker,
    trackers,
    host: flags.host ?? '127.0.0.1',
    port: portOf(flags.port, '--port') ?? portOf(env.PEER_PORT, 'PEER_PORT'),
    trackerPort: undefined,
    name,
    heartbeatMs: heartbeat,
    tasksPerMinute,
    maxUploadRate,
    remoteExec: flags.remoteExec,
    maxFileBytes,
    secret: links.secret,
    secretDir: flags.data ?? defaultDataDir(),
    accountsPath: join(flags.data ?? defaultDataDir(), ACCOUNTS_DB_FILE),
    isInsecure: flags.insecure,
  };
}

/**
 * How links are secured, from --insecure, --secret/P2POS_SECRET and --join/P2POS_JOIN (flags before
 * variables): the secret given, if any, and the join token's trackers. Exits 2 for a bad token or
 * secret (never echoing it) and for flags that contradict each other.
 */
function linkSecurity(): {secret: Uint8Array | undefined; join: JoinToken | undefined} {
  const {flags} = cli;
  const env = process.env;
  if (flags.insecure && (flags.secret !== undefined || flags.join !== undefined))
    usageError('--insecure runs without the network secret; it cannot go with --secret or --join.');
  if (flags.secret !== undefined && flags.join !== undefined)
    usageError('--join carries the network secret already; give --join or --secret, not both.');
  const joinText = flags.join ?? (env.P2POS_JOIN || undefined);
  let join: JoinToken | undefined;
  if (joinText !== undefined) {
    try {
      join = decodeJoinToken(joinText);
    } catch (error) {
      usageError(`Bad ${flags.join !== undefined ? '--join' : 'P2POS_JOIN'}: ${(error as Error).message}`);
    }
  }
  if (flags.insecure) return {secret: undefined, join};
  const secretText = flags.secret ?? (flags.join === undefined ? env.P2POS_SECRET || undefined : undefined);
  let secret: Uint8Array | undefined = join?.secret;
  if (secretText !== undefined) {
    try {
      secret = parseSecret(secretText);
    } catch (error) {
      usageError(
        `Bad ${flags.secret !== undefined ? '--secret' : 'P2POS_SECRET'}: ${(error as Error).message}`,
      );
    }
  }
  return {secret, join};
}

/** Say once, on stderr, that --insecure links can be read and changed on the wire. */
function warnIfInsecure(): void {
  if (!cli.flags.insecure) return;
  process.stderr.write(
    'p2pos: warning: --insecure: links are plain TCP, so anyone on the path can read and change the ' +
      'traffic (tasks, files and, with accounts, passwords). Use it for teaching captures only.\n',
  );
}

/**
 * The host a join token should name for a tracker listening on `host`: itself, or for every
 * interface (0.0.0.0, ::) this machine's first external IPv4 address (127.0.0.1 when it has none),
 * with a note saying which was picked.
 */
function advertisedHost(host: string): {host: string; note?: string} {
  if (host !== '0.0.0.0' && host !== '::') return {host};
  const external = Object.values(networkInterfaces())
    .flat()
    .filter((address) => address !== undefined && address.family === 'IPv4' && !address.internal)
    .map((address) => address!.address);
  const picked = external[0] ?? '127.0.0.1';
  const others = external.length > 1 ? ` (it also has ${external.slice(1).join(', ')})` : '';
  return {
    host: picked,
    note:
      `the tracker listens on every interface; the join command names ${picked}, ` +
      `${external.length > 0 ? "this machine's first external IPv4 address" : 'as this machine has no external address'}${others}. ` +
      'A machine that reaches it by another address can add --tracker ADDRESS:PORT to the join command.',
  };
}

/** True when a network flag was given: script mode then starts the network before the first command. */
function hasNetworkFlag(): boolean {
  const {flags} = cli;
  return (
    flags.tracker !== undefined ||
    flags.join !== undefined ||
    flags.port !== undefined ||
    flags.host !== undefined ||
    flags.name !== undefined
  );
}

/** One line per event on stderr, with the time, as the headless verbs log. */
function stderrLog(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

/** Resolve on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: string) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * --peer-tracker: the twin tracker's address; null for `none` (forget the twin kept in the data
 * directory); undefined when not given. Exits 2 unless it is one HOST:PORT or none.
 */
function twinTracker(): TrackerAddress | null | undefined {
  const text = cli.flags.peerTracker;
  if (text === undefined) return undefined;
  if (text === 'none') return null;
  const list = parseTrackerList(text);
  if (typeof list === 'string') usageError(`Bad --peer-tracker: ${list}.`);
  if (list.length !== 1)
    usageError(`Bad --peer-tracker \`${text}\`: expected one HOST:PORT, the twin tracker, or none.`);
  return list[0];
}

/**
 * A data directory that is a file is a bad flag, said before anything opens: later it surfaced as
 * Node's "EEXIST: file already exists, mkdir" from whichever store first tried to use it.
 */
function checkDataDir(): void {
  const dir = cli.flags.data ?? defaultDataDir();
  const what =
    cli.flags.data !== undefined ? '--data' : process.env.P2POS_DATA ? 'P2POS_DATA' : 'data directory';
  if (dir === '') usageError(`Bad ${what}: the data directory's path is empty.`);
  const stats = statSync(dir, {throwIfNoEntry: false});
  if (stats !== undefined && !stats.isDirectory())
    usageError(`Bad ${what} \`${dir}\`: it is a file, not a directory.`);
}

/** `p2pos tracker`: serve the registry until a signal. */
async function runTracker(): Promise<number> {
  const dataDir = cli.flags.data ?? defaultDataDir();
  const explicit = portOf(cli.flags.port, '--port') ?? portOf(process.env.TRACKER_PORT, 'TRACKER_PORT');
  const config = netConfig();
  const peerTracker = twinTracker(); // a bad --peer-tracker is refused before anything is written
  mkdirSync(dataDir, {recursive: true, mode: 0o700});
  warnIfInsecure();
  // The network's secret: given (a twin tracker's, or one chosen), and then kept in the data directory
  // so a restart needs no flag (one it keeps already must be the same); else the one it keeps, made by
  // the first tracker to start on it.
  let secret = config.isInsecure ? undefined : config.secret;
  const secretPath = join(dataDir, SECRET_FILE_NAME);
  if (secret !== undefined) {
    if (keepSecret(dataDir, secret)) stderrLog(`keeping the network secret given in ${secretPath}`);
  } else if (!config.isInsecure) {
    const kept = loadOrCreateSecret(dataDir);
    if (kept.isNew) stderrLog(`made a new network secret in ${secretPath}`);
    secret = kept.secret;
  }
  /** The line to copy to every other machine: this tracker and its twin (peers fail over to it). */
  const joinLine = (self: TrackerAddress, twin: TrackerAddress | undefined) => {
    const trackers = [self, ...(twin === undefined ? [] : [twin])];
    return secret === undefined
      ? `join: p2pos --tracker ${trackers.map(({host, port}) => `${host}:${port}`).join(',')} --insecure\n`
      : `join: p2pos --join ${encodeJoinToken({trackers, secret})}\n`;
  };
  let advertised: {host: string; note?: string} | undefined;
  const tracker = await startTracker({
    host: config.host,
    port: explicit ?? DEFAULT_TRACKER_PORT,
    fallbackToFreePort: explicit === undefined,
    dbPath: join(dataDir, TRACKER_DB_FILE),
    peerTracker,
    heartbeatMs: config.heartbeatMs,
    secret,
    log: stderrLog,
    // A tracker that named this one as its twin: the join line names both from now on.
    onTwin(twin) {
      if (advertised === undefined) return; // said before the first join line, which names it
      stderrLog('the twin tracker is in the join line from now on:');
      process.stdout.write(joinLine({host: advertised.host, port: tracker.port}, twin));
    },
  });
  process.stdout.write(`tracker ${tracker.id} on ${tracker.host}:${tracker.port}\n`);
  advertised = advertisedHost(tracker.host);
  if (advertised.note !== undefined) stderrLog(advertised.note);
  // It carries the secret: keep it as private as the secret.
  process.stdout.write(joinLine({host: advertised.host, port: tracker.port}, tracker.replication.twin));
  const signal = await untilSignal();
  stderrLog(`${signal}: shutting down`);
  await tracker.close();
  return 0;
}

async function main(): Promise<number> {
  if (cli.flags.help) cli.showHelp(0);
  if (cli.flags.version) cli.showVersion();
  const [verb, ...rest] = cli.input;
  if (verb !== undefined && !['run', 'tracker', 'serve'].includes(verb))
    usageError(
      `Unknown command \`${verb}\`. Did you mean \`p2pos run FILE\`, \`p2pos serve\` or \`p2pos tracker\`?`,
    );
  if (verb === 'run' && rest.length !== 1) usageError('`p2pos run` takes exactly one FILE.');
  if ((verb === 'tracker' || verb === 'serve') && rest.length > 0)
    usageError(`\`p2pos ${verb}\` takes no arguments (got \`${rest.join(' ')}\`).`);
  if (verb === 'run' && cli.flags.command !== undefined)
    usageError('Give either `run FILE` or `-c`, not both.');
  if (cli.flags.run !== undefined && verb !== 'serve') usageError('--run goes with `p2pos serve`.');
  if (cli.flags.peerTracker !== undefined && verb !== 'tracker')
    usageError('--peer-tracker goes with `p2pos tracker`; a peer names both trackers in --tracker H:A,H:B.');
  checkDataDir();
  if (verb === 'tracker') return runTracker();

  const hz = cli.flags.hz === undefined ? 10 : parseCount(cli.flags.hz);
  if (hz === undefined || hz < 1 || hz > MAX_CLOCK_HZ)
    usageError(
      `Bad --hz \`${cli.flags.hz}\`: expected a whole number of ticks per second from 1 to ${MAX_CLOCK_HZ}.`,
    );
  const config = netConfig();
  config.transfersPath = join(cli.flags.data ?? defaultDataDir(), TRANSFERS_DB_FILE);
  warnIfInsecure();
  if (verb === 'serve' && config.offline) usageError('`p2pos serve` is a peer: it cannot be --offline.');
  const kernel = bootKernel();
  const dataDir = cli.flags.data ?? defaultDataDir();
  const isInteractive =
    verb === undefined && cli.flags.command === undefined && process.stdin.isTTY && process.stdout.isTTY;
  // A peer and the console write history from a worker thread, off the event loop; scripts write in
  // this thread, which starts faster and is all a short run needs.
  const history = openHistoryStore(join(dataDir, HISTORY_DB_FILE), {
    backgroundWrites: verb === 'serve' || isInteractive,
  });
  const style = chooseStyle(cli.flags.json);
  const wantsLog = process.env.P2POS_LOG === '1' || verb === 'serve';
  const net = createNetAccess({
    kernel,
    config,
    log: wantsLog && !isInteractive ? stderrLog : () => {},
    onStarted: isInteractive ? undefined : (line) => process.stderr.write(`p2pos: ${line}\n`),
    onTaskEnded: (task) => recordTask(history, task),
  });

  if (cli.flags.password !== undefined)
    process.stderr.write(
      'p2pos: warning: --password is visible to other users of this machine (ps, shell history); prefer --password-file FILE or P2POS_PASSWORD\n',
    );
  let status: number;
  if (isInteractive) {
    const {runConsole} = await importConsole();
    status = await runConsole({
      kernel,
      history,
      style,
      hz,
      isPaused: cli.flags.paused,
      net,
      passwords: passwordDefaults(),
    });
  } else {
    const context = createScriptContext(kernel, history, style, {awaitTasks: true});
    context.net = net;
    context.passwords = passwordDefaults();
    const output = createOutput();
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0); // the reader went away (| head)
      throw error;
    });
    // serve listens for its signal from the start: one during start-up or the --run script (which
    // would otherwise end it on the spot, still registered) shuts it down once the script is done.
    const signalled = verb === 'serve' ? untilSignal() : undefined;
    // A script killed by a signal still leaves cleanly: it unregisters from the tracker (rather than
    // be thought alive for three heartbeats), fails its tasks in flight, and keeps its history.
    if (signalled === undefined) {
      void untilSignal().then(async (signal) => {
        output.flush();
        process.stderr.write(`p2pos: ${signal}: stopping\n`);
        await net.close().catch(() => {});
        try {
          history.close();
        } catch (error) {
          process.stderr.write(`p2pos: ${(error as Error).message}\n`);
        }
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    }
    if (verb === 'serve' || hasNetworkFlag()) await net.peer();
    let lines: AsyncIterable<string> | Iterable<string> | undefined;
    let source: string;
    if (cli.flags.command !== undefined) {
      lines = cli.flags.command.split(/\r?\n/);
      source = '-c';
    } else if (verb === 'run' || cli.flags.run !== undefined) {
      source = verb === 'run' ? rest[0]! : cli.flags.run!;
      const opened = await openLines(source);
      if (typeof opened === 'string') {
        process.stderr.write(`p2pos: ${opened}\n`);
        await net.close();
        return 1;
      }
      lines = opened;
    } else if (verb === 'serve') {
      source = '';
      lines = undefined;
    } else {
      source = '<stdin>';
      lines = createInterface({input: process.stdin, crlfDelay: Infinity});
    }
    status =
      lines === undefined ? 0 : await runScript(lines, context, output, {source, json: cli.flags.json});
    output.flush();
    if (signalled !== undefined) {
      const signal = await signalled;
      stderrLog(`${signal}: shutting down`);
    }
  }
  try {
    await net.close();
  } catch (error) {
    process.stderr.write(`p2pos: closing the network: ${(error as Error).message}\n`);
  }
  try {
    history.close();
  } catch (error) {
    process.stderr.write(`p2pos: ${(error as Error).message}\n`);
    status = status || 1;
  }
  return status;
}

main().then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`p2pos: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);

/**
 * Load the console chunk with CI and CONTINUOUS_INTEGRATION hidden. Ink reads them once, at import
 * (is-in-ci), and in "CI mode" draws only the last frame on exit: a user whose shell exports CI=1
 * would get a blank console on a real terminal. Both are put back for everything else.
 */
async function importConsole(): Promise<typeof import('./shell/ui/console.js')> {
  const hidden = ['CI', 'CONTINUOUS_INTEGRATION'].flatMap((name) => {
    const value = process.env[name];
    delete process.env[name];
    return value === undefined ? [] : [[name, value] as const];
  });
  try {
    return await import('./shell/ui/console.js');
  } finally {
    for (const [name, value] of hidden) process.env[name] = value;
  }
}

/** The passwords given to the whole shell: --password-file, then --password, then the environment. */
function passwordDefaults(): PasswordDefaults {
  const env = process.env;
  return {
    file: cli.flags.passwordFile,
    value: cli.flags.password ?? (env.P2POS_PASSWORD || undefined),
    newValue: env.P2POS_NEW_PASSWORD || undefined,
  };
}
