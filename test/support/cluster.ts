// A network of real p2pos processes on 127.0.0.1 for the multi-process tests: a tracker, `serve`
// peers and script clients, each a child process of the built binary with its own temp data dir and
// an OS-assigned port (--port 0), heartbeating every HEARTBEAT_MS so a dead peer shows quickly.
// Every process a Cluster starts is stopped by close() (SIGTERM, then SIGKILL), and by an exit hook
// should the test process leave without it. Links are TLS: every process gets the cluster's network
// secret in P2POS_SECRET (a process's own env may override it); `new Cluster({insecure: true})`
// runs them all with --insecure instead.
// Interface:
//   const cluster = new Cluster();  after(() => cluster.close())
//   const tracker = await cluster.startTracker()             `p2pos tracker --port 0`; tracker.join is its token
//   const peer = await cluster.serve({name: 'alpha', env})     `p2pos serve`, registered and listening
//   const {records} = await cluster.client(['net', 'peers'])   a script client: one JSON record per command
//   const session = await cluster.session(); await session.send('tasks')   commands one at a time on stdin
//   await cluster.trackerPeers()                               PEERS asked of the tracker in-process (for polling)

import assert from 'node:assert/strict';
import {spawn, type ChildProcess} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {connect} from '../../src/net/connection.js';
import type {PeerInfo} from '../../src/net/messages.js';
import {formatSecret, generateSecret} from '../../src/net/network-secret.js';
import {BIN} from './binary.js';

/** Heartbeat period of every process: a peer silent for 3 of them (600 ms) is marked dead. */
export const HEARTBEAT_MS = 200;
/** How long one wait (a log line, an answer, a condition) may take before the test fails. */
export const WAIT_MS = 8_000;
/** SIGTERM's grace before SIGKILL: a peer lets running tasks finish for up to 2 s as it closes. */
const STOP_GRACE_MS = 4_000;
const POLL_MS = 50;
/** Variables that would point a process at the user's tracker, network, ports or data. */
const CLEARED_ENV = [
  'TRACKER_HOST',
  'TRACKER_PORT',
  'PEER_PORT',
  'P2POS_DATA',
  'P2POS_LOG',
  'NO_COLOR',
  'P2POS_JOIN',
  'P2POS_SECRET',
];

/** One line of `--json` output. */
export interface JsonRecord {
  cmd: string;
  ok: boolean;
  data?: unknown;
  error?: string;
  code?: string;
}

/** Every child any Cluster started and has not seen exit: killed if the test process exits first. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) {
    const hosts = childrenOf(child.pid);
    child.kill('SIGKILL');
    killSandboxHosts(hosts);
  }
});

/** The processes `pid` has started (its sandbox hosts), as Linux lists them; none elsewhere. */
function childrenOf(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * SIGKILL those of `pids` that are still sandbox hosts: a host ends itself within a fraction of a
 * second of its peer's death, but a test that fails must not leave one behind either way.
 */
function killSandboxHosts(pids: number[]): void {
  for (const pid of pids) {
    try {
      if (isSandboxHost(pid)) process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Whether `pid` is a sandbox host still running (not gone, not a zombie waiting to be reaped). */
function isSandboxHost(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== 'Z' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sandbox-host');
  } catch {
    return false;
  }
}

/** A started p2pos process: its output so far, waits on it, and stopping it. */
export class Proc {
  readonly child: ChildProcess;
  readonly label: string;
  stdout = '';
  stderr = '';
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>;
  #exit: {code: number | null; signal: NodeJS.Signals | null} | undefined;
  #listeners = new Set<() => void>();

  constructor(label: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.label = label;
    const base: NodeJS.ProcessEnv = {...process.env};
    for (const name of CLEARED_ENV) delete base[name];
    this.child = spawn(process.execPath, [BIN, ...args], {
      env: {...base, FORCE_COLOR: '0', P2POS_HEARTBEAT_MS: String(HEARTBEAT_MS), ...env},
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    running.add(this.child);
    this.child.stdin!.on('error', () => {}); // EPIPE when it has exited: its exit says why
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      this.stdout += text;
      this.#changed();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text;
      this.#changed();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        running.delete(this.child);
        this.#exit = {code, signal};
        this.#changed();
        resolve(this.#exit);
      });
      this.child.on('error', (error) => {
        this.stderr += `\n(spawn failed: ${error.message})`;
        running.delete(this.child);
        this.#exit = {code: null, signal: null};
        this.#changed();
        resolve(this.#exit);
      });
    });
  }

  get hasExited(): boolean {
    return this.#exit !== undefined;
  }

  /** Call `listener` on every output chunk and on exit; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Wait until stdout or stderr matches `pattern`; fails on timeout or exit, showing the output. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = WAIT_MS): Promise<RegExpMatchArray> {
    return this.until(() => this[stream].match(pattern) ?? undefined, `${pattern} on ${stream}`, timeoutMs);
  }

  /** Wait until `check` returns a value, looking again on each output chunk; fails on timeout or exit. */
  until<T>(check: () => T | undefined, what: string, timeoutMs = WAIT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const look = () => {
        const found = check();
        if (found !== undefined) done(() => resolve(found));
        else if (this.hasExited)
          done(() => reject(new Error(`${this.label} exited before ${what}.\n${this.describe()}`)));
      };
      const timer = setTimeout(
        () =>
          done(() =>
            reject(new Error(`${this.label}: no ${what} within ${timeoutMs} ms.\n${this.describe()}`)),
          ),
        timeoutMs,
      );
      const unsubscribe = this.onChange(look);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        unsubscribe();
        settle();
      };
      look();
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it exited. Its sandbox hosts go too. */
  async stop(graceMs = STOP_GRACE_MS): Promise<{code: number | null; signal: NodeJS.Signals | null}> {
    if (!this.hasExited) {
      const hosts = childrenOf(this.child.pid);
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
      killSandboxHosts(hosts); // a client has no SIGTERM handler: it dies without closing its sandbox
    }
    return this.exited;
  }

  /** SIGKILL, as a crash: the process gets no chance to unregister. Its sandbox hosts go too. */
  /**
   * SIGKILL it, as a crash would. Resolves with the sandbox hosts it left that did not end by
   * themselves within `hostGraceMs` (those are killed then): a host should notice its peer's death.
   */
  async kill(hostGraceMs = 3_000): Promise<number[]> {
    if (this.hasExited) return [];
    const hosts = childrenOf(this.child.pid).filter(isSandboxHost);
    this.child.kill('SIGKILL');
    await this.exited;
    const deadline = Date.now() + hostGraceMs;
    while (hosts.some(isSandboxHost) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const left = hosts.filter(isSandboxHost);
    killSandboxHosts(left);
    return left;
  }

  /** Everything it printed, for failure messages. */
  describe(): string {
    const exit = this.#exit ? `exited ${this.#exit.code ?? this.#exit.signal}` : 'running';
    return `--- ${this.label} (${exit}) stdout ---\n${this.stdout.slice(-4000)}\n--- stderr ---\n${this.stderr.slice(-4000)}`;
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

export interface TrackerProc {
  proc: Proc;
  id: string;
  host: string;
  port: number;
  /** "host:port", for --tracker. */
  address: string;
  /** The join token it printed (`join: p2pos --join TOKEN`); undefined with --insecure. */
  join: string | undefined;
}

export interface ServePeer {
  proc: Proc;
  id: string;
  name: string;
  host: string;
  port: number;
}

export interface ClientResult {
  status: number | null;
  records: JsonRecord[];
  stdout: string;
  stderr: string;
}

/** A client reading commands on stdin: each send() is one command and resolves with its answer. */
export class Session {
  readonly proc: Proc;
  #read = 0;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(proc: Proc) {
    this.proc = proc;
  }

  /** Run one command (no `;`) and return its JSON record. */
  send(command: string, timeoutMs = WAIT_MS): Promise<JsonRecord> {
    const answer = this.#queue.then(async () => {
      this.proc.child.stdin!.write(`${command}\n`);
      const line = await this.proc.until(
        () => {
          const end = this.proc.stdout.indexOf('\n', this.#read);
          if (end < 0) return undefined;
          const text = this.proc.stdout.slice(this.#read, end);
          this.#read = end + 1;
          return text;
        },
        `an answer to \`${command}\``,
        timeoutMs,
      );
      return parseRecord(line, this.proc);
    });
    this.#queue = answer.catch(() => {});
    return answer;
  }

  /** End its input and wait for it to leave; resolves with its exit status. */
  async end(timeoutMs = WAIT_MS): Promise<number | null> {
    this.proc.child.stdin!.end();
    const timer = setTimeout(() => void this.proc.stop(), timeoutMs);
    const {code} = await this.proc.exited;
    clearTimeout(timer);
    return code;
  }
}

export class Cluster {
  tracker: TrackerProc | undefined;
  /** The network secret every process is given (P2POS_SECRET); undefined with --insecure. */
  readonly secret: Buffer | undefined;
  readonly #procs: Proc[] = [];
  readonly #dirs: string[] = [];

  constructor(options: {insecure?: boolean} = {}) {
    this.secret = options.insecure ? undefined : generateSecret();
  }

  /** A fresh data directory, removed by close(). */
  dataDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'p2pos-net-'));
    this.#dirs.push(dir);
    return dir;
  }

  /** Start a p2pos process with the cluster's secret (or --insecure); close() stops it. */
  spawn(label: string, args: string[], env?: NodeJS.ProcessEnv): Proc {
    const proc =
      this.secret === undefined
        ? new Proc(label, [...args, '--insecure'], env)
        : new Proc(label, args, {P2POS_SECRET: formatSecret(this.secret), ...env});
    this.#procs.push(proc);
    return proc;
  }

  /** `p2pos tracker --port 0`; resolves once it prints where it listens. */
  async startTracker(): Promise<TrackerProc> {
    const proc = this.spawn('tracker', ['tracker', '--port', '0', '--data', this.dataDir()]);
    const match = await proc.waitFor('stdout', /^tracker (\S+) on (\S+):(\d+)$/m);
    const [, id, host, port] = match as unknown as [string, string, string, string];
    const join = (await proc.waitFor('stdout', /^join: p2pos (?:--join (\S+)|--tracker .*)$/m))[1];
    this.tracker = {proc, id, host, port: Number(port), address: `${host}:${port}`, join};
    return this.tracker;
  }

  /** `p2pos serve` joined to the tracker; resolves once it has registered and listens. */
  async serve(options: {
    name: string;
    run?: string;
    json?: boolean;
    env?: NodeJS.ProcessEnv;
    /** More flags for `p2pos serve`, e.g. ['--no-remote-exec']. */
    args?: string[];
  }): Promise<ServePeer> {
    const tracker = this.#requireTracker();
    const args = [
      'serve',
      '--tracker',
      tracker.address,
      '--port',
      '0',
      '--data',
      this.dataDir(),
      '--name',
      options.name,
    ];
    if (options.run !== undefined) args.push('--run', options.run);
    if (options.json) args.push('--json');
    if (options.args) args.push(...options.args);
    const proc = this.spawn(`serve ${options.name}`, args, options.env);
    await proc.waitFor('stderr', /registered with the tracker at /);
    const match = await proc.waitFor(
      'stderr',
      new RegExp(`peer (p-[0-9a-f]+) \\(${options.name}\\) listening on (\\S+):(\\d+)`),
    );
    const [, id, host, port] = match as unknown as [string, string, string, string];
    return {proc, id, name: options.name, host, port: Number(port)};
  }

  /** Run `commands` as a script client (`p2pos --tracker … --port 0 --json`, commands on stdin). */
  async client(commands: string[], options: {timeoutMs?: number; data?: string} = {}): Promise<ClientResult> {
    const proc = this.spawn('client', this.#clientArgs(options.data));
    proc.child.stdin!.end(commands.map((command) => `${command}\n`).join(''));
    const timeoutMs = options.timeoutMs ?? WAIT_MS;
    const timer = setTimeout(() => void proc.stop(1_000), timeoutMs);
    const {code, signal} = await proc.exited;
    clearTimeout(timer);
    if (signal !== null) assert.fail(`The client did not finish within ${timeoutMs} ms.\n${proc.describe()}`);
    const records = proc.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => parseRecord(line, proc));
    return {status: code, records, stdout: proc.stdout, stderr: proc.stderr};
  }

  /** A client that keeps running, reading commands on stdin one at a time. */
  async session(options: {data?: string} = {}): Promise<Session> {
    const proc = this.spawn('session', this.#clientArgs(options.data));
    const session = new Session(proc);
    await session.send('echo ready'); // answered once the network is up (it starts before the first command)
    return session;
  }

  /** The tracker's peer list, asked over the protocol by this test process (no peer is started). */
  async trackerPeers(): Promise<PeerInfo[]> {
    const tracker = this.#requireTracker();
    const connection = await connect({
      host: tracker.host,
      port: tracker.port,
      hello: {peer: 'test-observer', role: 'client', name: 'test'},
      secret: this.secret,
    });
    try {
      return (await connection.request({type: 'PEERS'})).peers as PeerInfo[];
    } finally {
      connection.close('done');
    }
  }

  /** Poll the tracker's list until `accept` holds for it; fails after `timeoutMs`. */
  async waitForPeers(
    accept: (peers: PeerInfo[]) => boolean,
    what: string,
    timeoutMs = WAIT_MS,
  ): Promise<PeerInfo[]> {
    let last: PeerInfo[] = [];
    await waitUntil(
      async () => accept((last = await this.trackerPeers())),
      () => `${what}; the tracker lists ${JSON.stringify(last)}`,
      timeoutMs,
    );
    return last;
  }

  /** Stop every process (all at once, each SIGTERM then SIGKILL) and remove the data dirs. */
  async close(): Promise<void> {
    await Promise.all(this.#procs.map((proc) => proc.stop()));
    for (const dir of this.#dirs.splice(0)) rmSync(dir, {recursive: true, force: true});
  }

  #clientArgs(data: string | undefined): string[] {
    const tracker = this.#requireTracker();
    return ['--tracker', tracker.address, '--port', '0', '--data', data ?? this.dataDir(), '--json'];
  }

  #requireTracker(): TrackerProc {
    assert.ok(this.tracker, 'start the tracker first');
    return this.tracker;
  }
}

/** Poll `condition` every POLL_MS until it holds; fails with `what()` after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: () => string,
  timeoutMs = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) assert.fail(`Waited ${timeoutMs} ms for ${what()}.`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** A record's data, failing with the record (and the process's output) when it is not ok. */
export function dataOf<T = Record<string, unknown>>(record: JsonRecord | undefined, context = ''): T {
  assert.ok(record, `missing JSON record\n${context}`);
  assert.equal(record.ok, true, `expected ok: ${JSON.stringify(record)}\n${context}`);
  return record.data as T;
}

/** One `--json` line; fails naming the process when stdout holds something else. */
function parseRecord(line: string, proc: Proc): JsonRecord {
  try {
    return JSON.parse(line) as JsonRecord;
  } catch {
    return assert.fail(`${proc.label} printed a line that is not JSON: ${line}\n${proc.describe()}`);
  }
}
