// Baselines for disk sharing (issue 5): how fast common tools move one file over loopback, to set
// p2pos's download figure beside. curl and aria2c fetch from a local nginx (sendfile, its own temp
// config, no root needed); a plain Node TCP receiver takes the file from a child Node process, hashes it
// with SHA-256 and writes it. Each is timed from the request to the last byte written (nobody fsyncs),
// checks the size (curl, aria2c) or the hash (tcp), and removes its output. An absent tool gives null.
// Interface:
// - curlBaseline, aria2cBaseline, tcpHashWriteBaseline (file, workDir, {runs}): median MB/s or null
// - writeRandomFile(path, bytes): the random test file
// Run alone: node --import tsx bench/transfer-baselines.ts [MiB, default 256] [runs, default 3]

import {execFile, spawn, type ChildProcess} from 'node:child_process';
import {createHash, randomFillSync} from 'node:crypto';
import {
  accessSync,
  constants,
  createReadStream,
  createWriteStream,
  mkdtempSync,
  rmSync,
  statSync,
} from 'node:fs';
import {open, writeFile} from 'node:fs/promises';
import {connect, createServer, type AddressInfo, type Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {basename, delimiter, dirname, join} from 'node:path';
import {pipeline} from 'node:stream/promises';
import {pathToFileURL} from 'node:url';
import {median, secondsSince} from './figure.js';

/** Figures in MB/s (10^6 bytes/s), or null when the tool is absent (with why). */
export interface BaselineResult {
  mbPerS: number | null;
  /** What was measured, or which tool is absent; a few words for the bench's label. */
  note: string;
}

const START_TIMEOUT_MS = 10_000; // nginx or the sender child listening; both take ~10-50 ms here
const STOP_TIMEOUT_MS = 5_000; // after SIGTERM, then SIGKILL
/** A transfer slower than this on loopback is broken: the child is killed and the baseline throws. */
const MIN_MB_PER_S = 10;
const NGINX_START_ATTEMPTS = 3; // the free port can be taken between our probe and nginx's bind
const RANDOM_CHUNK_BYTES = 16 * 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024; // the sender's reads: 64 KiB ones made it the bottleneck here
const WRITE_BUFFER_BYTES = 1024 * 1024; // the receiver's write buffer: the default 16 KiB was ~30% slower
/** Where nginx lives when PATH (a non-root user's, say) leaves out the sbin directories. */
const SBIN_DIRECTORIES = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/** The time one transfer of `bytes` may take before its child is killed. */
function transferTimeoutMs(bytes: number): number {
  return START_TIMEOUT_MS + Math.ceil(bytes / (MIN_MB_PER_S * 1e3));
}

/** The executable's path, from PATH then the sbin directories; undefined when absent. */
function findTool(name: string): string | undefined {
  const directories = [...(process.env['PATH'] ?? '').split(delimiter), ...SBIN_DIRECTORIES];
  for (const directory of directories.filter(Boolean)) {
    const path = join(directory, name);
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

interface ToolRun {
  stdout: string;
  stderr: string;
  /** Set when the tool exited non-zero, died by a signal or ran out of time. */
  error?: Error;
}

/** Runs a tool to its end, killed (SIGKILL) after timeoutMs. Never rejects: a failure is in `error`. */
function runTool(path: string, args: string[], timeoutMs: number): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(
      path,
      args,
      {timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024, env: withoutProxies()},
      (error, stdout, stderr) => {
        const isTimedOut = error?.killed && error.signal === 'SIGKILL';
        if (isTimedOut) error = new Error(`${basename(path)} took over ${timeoutMs} ms and was killed.`);
        resolve({stdout, stderr, error: error ?? undefined});
      },
    );
  });
}

/** The environment minus proxy settings: loopback traffic must not be sent to a proxy. */
function withoutProxies(): NodeJS.ProcessEnv {
  const env = {...process.env};
  for (const name of Object.keys(env)) if (/^(https?|all|ftp)_proxy$/i.test(name)) delete env[name];
  return env;
}

/** The first `pattern` match in the tool's version output, or '' when it prints none. */
async function toolVersion(path: string, args: string[], pattern: RegExp): Promise<string> {
  const run = await runTool(path, args, START_TIMEOUT_MS);
  return pattern.exec(run.stdout + run.stderr)?.[1] ?? '';
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const {port} = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once `child` has exited (at once if it already has). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL if the child has not exited within STOP_TIMEOUT_MS. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>(
    (resolve) => (timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS)),
  );
  if (await Promise.race([exited(child).then(() => false), timedOut])) {
    child.kill('SIGKILL');
    await exited(child);
  }
  clearTimeout(timer);
}

/** Connects to 127.0.0.1:port, retrying until START_TIMEOUT_MS; rejects early if `child` exits. */
async function waitForListener(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`nginx exited (${child.exitCode ?? child.signalCode}) before listening: ${output()}`);
    const isListening = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (isListening) return;
    if (Date.now() > deadline)
      throw new Error(`nginx is not listening on ${port} after ${START_TIMEOUT_MS} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A path quoted for nginx.conf; a `$` would be read as a variable in `root`, so it is refused. */
function nginxPath(path: string): string {
  if (/["$\\]/.test(path))
    throw new Error(`nginx cannot serve ${path}: it has a ", $ or \\. Use another directory.`);
  return `"${path}"`;
}

/** An nginx.conf for one process serving `root` on 127.0.0.1:port, with every path it writes in `prefix`. */
function nginxConfig(root: string, port: number, prefix: string): string {
  const inPrefix = (name: string) => nginxPath(join(prefix, name));
  return `# written by bench/transfer-baselines.ts; removed after the run
daemon off;
master_process off; # one process we start and stop; no root needed
pid ${inPrefix('nginx.pid')};
error_log stderr warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${inPrefix('body')};
  proxy_temp_path ${inPrefix('proxy')};
  fastcgi_temp_path ${inPrefix('fastcgi')};
  uwsgi_temp_path ${inPrefix('uwsgi')};
  scgi_temp_path ${inPrefix('scgi')};
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${nginxPath(root)};
  }
}
`;
}

/**
 * Runs `fn` with the URL of `file` served by a fresh nginx from the file's directory, and stops nginx
 * afterwards, also when `fn` throws. nginx's config, pid file and temp paths go in a directory under
 * workDir that is removed afterwards. Throws when nginx does not start.
 */
async function withNginx<T>(
  nginx: string,
  file: string,
  workDir: string,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const prefix = mkdtempSync(join(workDir, 'nginx-'));
  try {
    for (let attempt = 1; ; attempt += 1) {
      const port = await findFreePort();
      const configPath = join(prefix, 'nginx.conf');
      await writeFile(configPath, nginxConfig(dirname(file), port, prefix));
      // Not detached: a Ctrl-C of the bench reaches nginx too.
      const child = spawn(nginx, ['-p', `${prefix}/`, '-c', configPath], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let output = '';
      child.stderr!.setEncoding('utf8').on('data', (text: string) => (output = (output + text).slice(-8192)));
      try {
        await waitForListener(port, child, () => output);
      } catch (error) {
        await stopChild(child);
        if (attempt < NGINX_START_ATTEMPTS && /in use/i.test(output)) continue;
        throw error;
      }
      try {
        return await fn(`http://127.0.0.1:${port}/${encodeURIComponent(basename(file))}`);
      } finally {
        await stopChild(child);
      }
    }
  } finally {
    rmSync(prefix, {recursive: true, force: true});
  }
}

/** Throws unless `output` is a file of `bytes` bytes. */
function checkSize(tool: string, output: string, bytes: number): void {
  let size: number | undefined;
  try {
    size = statSync(output).size;
  } catch {
    // missing: reported below
  }
  if (size !== bytes) throw new Error(`${tool} wrote ${size ?? 'no file'} bytes to ${output}, not ${bytes}.`);
}

/** MB/s of `bytes` over the seconds since `start`. */
function mbPerS(bytes: number, start: bigint): number {
  return bytes / 1e6 / secondsSince(start);
}

/** The median MB/s of `runs` calls of `once`, rounded. */
async function medianRate(runs: number, once: () => Promise<number>): Promise<number> {
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`Bad runs ${runs}. Expected a whole number, 1 or more.`);
  const rates: number[] = [];
  for (let run = 0; run < runs; run += 1) rates.push(await once());
  return Math.round(median(rates));
}

/** How many runs a note should mention. */
function ofRuns(runs: number): string {
  return runs === 1 ? 'one run' : `median of ${runs}`;
}

/** A baseline that could not run, naming the tools not found. */
function absent(what: string, tools: Record<string, string | undefined>): BaselineResult {
  const missing = Object.keys(tools).filter((name) => !tools[name]);
  const where = ['PATH', ...SBIN_DIRECTORIES].join(', ');
  return {mbPerS: null, note: `${what}: no ${missing.join(' and no ')} (looked in ${where})`};
}

export interface BaselineOptions {
  /**
   * Transfers to take the median of. One transfer of 1 GiB varies by about 20% from run to run on a
   * 2-core VM.
   * @default 3
   */
  runs?: number;
}

const DEFAULT_RUNS = 3;

/**
 * The median MB/s of `runs` downloads of `file` by a client from one local nginx, each timed from the
 * client's start to its exit and its output's size checked, then removed. Throws when nginx or the
 * client fails, or the size is wrong.
 */
async function httpRate(
  nginx: string,
  client: string,
  file: string,
  output: string,
  runs: number,
  argsFor: (url: string) => string[],
): Promise<number> {
  const bytes = statSync(file).size;
  const name = basename(client);
  return withNginx(nginx, file, dirname(output), (url) =>
    medianRate(runs, async () => {
      try {
        const start = process.hrtime.bigint();
        const run = await runTool(client, argsFor(url), transferTimeoutMs(bytes));
        if (run.error)
          throw new Error(`${name} failed: ${run.error.message} ${run.stdout} ${run.stderr}`.trim());
        const rate = mbPerS(bytes, start);
        checkSize(name, output, bytes);
        return rate;
      } finally {
        rmSync(output, {force: true});
        rmSync(`${output}.aria2`, {force: true}); // aria2c's control file, left when a download stops short
      }
    }),
  );
}

/**
 * curl fetching `file` from a local nginx (sendfile) into a file in workDir, timed from curl's start to
 * its exit. Returns null when curl or nginx is absent; throws when one fails or the size is wrong.
 */
export async function curlBaseline(
  file: string,
  workDir: string,
  {runs = DEFAULT_RUNS}: BaselineOptions = {},
): Promise<BaselineResult> {
  const curl = findTool('curl');
  const nginx = findTool('nginx');
  const what = 'curl from a local nginx';
  if (!curl || !nginx) return absent(what, {curl, nginx});
  const output = join(workDir, `curl-${basename(file)}`);
  // -q first: no ~/.curlrc; --noproxy: never through a proxy, whatever the environment says
  const rate = await httpRate(nginx, curl, file, output, runs, (url) => [
    ...['-q', '--silent', '--show-error', '--fail', '--noproxy', '*', '--output', output, url],
  ]);
  const versions = `curl ${await toolVersion(curl, ['--version'], /curl (\S+)/)}, nginx ${await toolVersion(nginx, ['-v'], /nginx\/(\S+)/)}`;
  return {mbPerS: rate, note: `${what} (sendfile) into a file, size checked, ${ofRuns(runs)} (${versions})`};
}

/**
 * aria2c -x4 -s4 fetching `file` from a local nginx (sendfile) into a file in workDir, timed from
 * aria2c's start to its exit. Returns null when aria2c or nginx is absent; throws when one fails or the
 * size is wrong.
 */
export async function aria2cBaseline(
  file: string,
  workDir: string,
  {runs = DEFAULT_RUNS}: BaselineOptions = {},
): Promise<BaselineResult> {
  const aria2c = findTool('aria2c');
  const nginx = findTool('nginx');
  const what = 'aria2c -x4 -s4 from a local nginx';
  if (!aria2c || !nginx) return absent(what, {aria2c, nginx});
  const name = `aria2c-${basename(file)}`;
  const output = join(workDir, name);
  // Other settings tried here (--disk-cache=0 or 64M, --enable-mmap, nginx with 2 workers) moved the
  // figure less than the run-to-run noise: aria2c's one thread is the limit.
  const rate = await httpRate(nginx, aria2c, file, output, runs, (url) => [
    '--no-conf=true', // no ~/.aria2/aria2.conf
    '--no-netrc=true',
    '--no-proxy=127.0.0.1',
    '--quiet=true',
    '--max-connection-per-server=4',
    '--split=4',
    '--min-split-size=1M',
    '--file-allocation=none', // like curl: no preallocation pass before the download
    '--allow-overwrite=true',
    '--auto-file-renaming=false',
    `--dir=${workDir}`,
    `--out=${name}`,
    url,
  ]);
  const versions = `aria2 ${await toolVersion(aria2c, ['--version'], /aria2 version (\S+)/)}, nginx ${await toolVersion(nginx, ['-v'], /nginx\/(\S+)/)}`;
  return {mbPerS: rate, note: `${what} (sendfile) into a file, size checked, ${ofRuns(runs)} (${versions})`};
}

// The sender: serves the file (argv[1]) once on 127.0.0.1, port 0, prints the port, and exits when done
// or when its stdin closes (the bench died).
const SENDER_SOURCE = `
const {createServer} = require('node:net');
const {createReadStream} = require('node:fs');
const {pipeline} = require('node:stream');
process.stdin.on('end', () => process.exit(2)).resume();
const server = createServer((socket) => {
  server.close();
  pipeline(createReadStream(process.argv[1], {highWaterMark: ${READ_CHUNK_BYTES}}), socket, (error) => {
    if (error) console.error(error.message);
    process.exit(error ? 1 : 0);
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

/** The SHA-256 of a file, hex. */
async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, {highWaterMark: READ_CHUNK_BYTES}), hash);
  return hash.digest('hex');
}

/** Resolves with the port the sender prints; rejects when it exits first or takes START_TIMEOUT_MS. */
function senderPort(child: ChildProcess, output: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(
      () => finish(new Error(`printed no port within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const onExit = () => finish(new Error(`exited (${child.exitCode ?? child.signalCode}) before its port`));
    const onData = (text: string) => {
      stdout += text;
      const match = /^(\d+)\n/.exec(stdout);
      if (match) finish(undefined, Number(match[1]));
    };
    const finish = (error?: Error, port?: number) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout!.off('data', onData);
      if (error) reject(new Error(`The TCP sender ${error.message}: ${output()}`));
      else resolve(port!);
    };
    child.once('exit', onExit);
    child.stdout!.setEncoding('utf8').on('data', onData);
  });
}

/**
 * Receives the file from `port` into `output`, hashing every chunk as it arrives; resolves with the hex
 * digest once the output is written and closed. Backpressure: the socket pauses while the write
 * buffer is full. (A `pipeline` through an async generator measured ~10% slower here.)
 */
function receive(socket: Socket, output: string): Promise<string> {
  const hash = createHash('sha256');
  const written = createWriteStream(output, {highWaterMark: WRITE_BUFFER_BYTES});
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      socket.destroy();
      written.destroy();
      reject(error);
    };
    socket.once('error', fail);
    written.once('error', fail);
    socket.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      if (!written.write(chunk)) {
        socket.pause();
        written.once('drain', () => socket.resume());
      }
    });
    socket.once('end', () => written.end());
    written.once('close', () => {
      if (written.writableFinished) resolve(hash.digest('hex'));
      else reject(new Error(`The TCP receiver's output ${output} closed before the end.`));
    });
  });
}

/** One transfer from a fresh sender process: MB/s. Throws when the hash differs or it times out. */
async function tcpHashWriteRate(
  file: string,
  bytes: number,
  expected: string,
  output: string,
): Promise<number> {
  const sender = spawn(process.execPath, ['-e', SENDER_SOURCE, file], {stdio: ['pipe', 'pipe', 'pipe']});
  let errors = '';
  sender.stderr!.setEncoding('utf8').on('data', (text: string) => (errors = (errors + text).slice(-8192)));
  let socket: Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const port = await senderPort(sender, () => errors);
    const timeoutMs = transferTimeoutMs(bytes);
    timer = setTimeout(() => {
      sender.kill('SIGKILL');
      socket?.destroy(new Error(`The TCP transfer took over ${timeoutMs} ms.`));
    }, timeoutMs);
    const start = process.hrtime.bigint();
    socket = connect(port, '127.0.0.1');
    const actual = await receive(socket, output);
    const rate = mbPerS(bytes, start);
    if (actual !== expected) throw new Error(`The TCP receiver hashed ${actual}, not ${expected} (${file}).`);
    return rate;
  } finally {
    clearTimeout(timer);
    socket?.destroy();
    sender.stdin!.end(); // the sender exits when its stdin closes, if it has not already
    await stopChild(sender);
    rmSync(output, {force: true});
  }
}

/**
 * A child Node process sends `file` over one TCP connection on 127.0.0.1; this process receives it,
 * SHA-256 hashes it and writes it to a file in workDir, timed from the connect to the last byte
 * written and the digest. Throws when the hash differs from the file's or a transfer times out.
 */
export async function tcpHashWriteBaseline(
  file: string,
  workDir: string,
  {runs = DEFAULT_RUNS}: BaselineOptions = {},
): Promise<BaselineResult> {
  const bytes = statSync(file).size;
  const expected = await sha256File(file);
  const output = join(workDir, `tcp-${basename(file)}`);
  const rate = await medianRate(runs, () => tcpHashWriteRate(file, bytes, expected, output));
  return {
    mbPerS: rate,
    note: `Node child -> TCP -> this process hashes (SHA-256) and writes a file, hash checked, ${ofRuns(runs)}`,
  };
}

/** Writes `bytes` random bytes to `path`, 16 MiB at a time. */
export async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const handle = await open(path, 'w');
  try {
    const chunk = Buffer.allocUnsafe(RANDOM_CHUNK_BYTES);
    for (let written = 0; written < bytes;) {
      const length = Math.min(RANDOM_CHUNK_BYTES, bytes - written);
      randomFillSync(chunk, 0, length);
      written += (await handle.write(chunk, 0, length)).bytesWritten;
    }
  } finally {
    await handle.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const mebibytes = Number(process.argv[2] ?? 256);
  const runs = Number(process.argv[3] ?? DEFAULT_RUNS);
  if (!Number.isInteger(mebibytes) || mebibytes < 1)
    throw new Error(`Bad size \`${process.argv[2]}\`. Expected a whole number of MiB, 1 or more.`);
  const workDir = mkdtempSync(join(tmpdir(), 'p2pos-bench-baselines-'));
  try {
    const file = join(workDir, 'random.bin');
    await writeRandomFile(file, mebibytes * 1024 * 1024);
    for (const [name, baseline] of [
      ['curl', curlBaseline],
      ['aria2c', aria2cBaseline],
      ['tcp', tcpHashWriteBaseline],
    ] as const) {
      const result = await baseline(file, workDir, {runs});
      console.log(
        `${name.padEnd(6)}  ${String(result.mbPerS ?? '-').padStart(7)} MB/s  ${mebibytes} MiB, ${result.note}`,
      );
    }
  } finally {
    rmSync(workDir, {recursive: true, force: true});
  }
}
