// Twin trackers between real processes on 127.0.0.1 (issue 6): two `p2pos tracker --peer-tracker`
// replicating to each other, peers and a client given both (--tracker A,B). The first tracker is
// SIGKILLed while a download runs: everything carries on through the second within 2 s, nothing
// registered before is lost, and the killed tracker, restarted on its data dir, catches up.
// Then the README's join flow for a twin (B names A, A takes B on), and the banner after failover.
// Needs dist/ (a before hook builds). Unit tests of the replication itself: replication.test.ts.

import assert from 'node:assert/strict';
import {randomFillSync} from 'node:crypto';
import {mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {connect} from '../../src/net/connection.js';
import {decodeJoinToken} from '../../src/net/join-token.js';
import type {FileSummary, PeerInfo} from '../../src/net/messages.js';
import {formatSecret, generateSecret} from '../../src/net/network-secret.js';
import {ensureBuilt} from '../support/binary.js';
import {Cluster, dataOf, Session, type JsonRecord, type Proc} from '../support/cluster.js';
import {freePort} from '../support/free-port.js';

const TEST_TIMEOUT_MS = 60_000;
/** The bound on failing over. */
const FAILOVER_MS = 2_000;
const MiB = 1024 * 1024;

const secret = generateSecret();
const secretText = formatSecret(secret);
const cluster = new Cluster();
before(() => ensureBuilt());
after(() => cluster.close());

interface TrackerRun {
  proc: Proc;
  id: string;
  port: number;
  dir: string;
}

async function startTracker(label: string, dir: string, port: number, twinPort: number): Promise<TrackerRun> {
  const proc = cluster.spawn(label, [
    'tracker',
    '--port',
    String(port),
    '--data',
    dir,
    '--peer-tracker',
    `127.0.0.1:${twinPort}`,
    '--secret',
    secretText,
  ]);
  const match = await proc.waitFor('stdout', /^tracker (\S+) on \S+:(\d+)$/m);
  return {proc, id: match[1]!, port: Number(match[2]), dir};
}

/** Ask one tracker directly, as a client of the protocol. */
async function ask(port: number, type: 'PEERS' | 'FILES'): Promise<Record<string, unknown>> {
  const link = await connect({
    host: '127.0.0.1',
    port,
    secret,
    hello: {peer: 'test-observer', role: 'client', name: 'test'},
  });
  try {
    return await link.request(type === 'FILES' ? {type, all: true, group: null} : {type});
  } finally {
    link.close('done');
  }
}

const peersOf = async (port: number) => (await ask(port, 'PEERS')).peers as PeerInfo[];
const filesOf = async (port: number) => (await ask(port, 'FILES')).files as FileSummary[];

async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check().catch(() => undefined);
    if (found !== undefined) return found;
    if (Date.now() > deadline) assert.fail(`Waited ${timeoutMs} ms for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function recordsOf(proc: Proc): JsonRecord[] {
  return proc.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as JsonRecord);
}

/** `p2pos serve` on both trackers; with `upload`, shares that file from a --run file. */
async function serve(name: string, trackers: string, upload?: {bytes: number; maxUpload?: string}) {
  const dir = cluster.dataDir();
  const args = ['serve', '--tracker', trackers, '--port', '0', '--data', join(dir, 'data'), '--name', name];
  args.push('--secret', secretText, '--json');
  mkdirSync(join(dir, 'data'));
  if (upload !== undefined) {
    const path = join(dir, `${name}.bin`);
    writeFileSync(path, randomFillSync(Buffer.alloc(upload.bytes)));
    writeFileSync(join(dir, 'run.txt'), `upload ${path} --chunk-size 16384\n`);
    args.push('--run', join(dir, 'run.txt'));
    if (upload.maxUpload !== undefined) args.push('--max-upload', upload.maxUpload);
  }
  const proc = cluster.spawn(`serve ${name}`, args);
  const match = await proc.waitFor('stderr', new RegExp(`peer (p-[0-9a-f]+) \\(${name}\\) listening on`));
  let fileId: string | undefined;
  if (upload !== undefined) {
    const record = await proc.until(() => recordsOf(proc).find((entry) => entry.cmd === 'upload'), 'upload');
    fileId = dataOf<{fileId: string}>(record, proc.describe()).fileId;
  }
  return {proc, id: match[1]!, fileId};
}

test(
  'peers fail over to the twin tracker within 2 s of a SIGKILL, lose nothing, and the restarted tracker catches up',
  {timeout: TEST_TIMEOUT_MS},
  async (t) => {
    const portB = await freePort();
    let a = await startTracker('tracker A', cluster.dataDir(), 0, portB);
    const b = await startTracker('tracker B', cluster.dataDir(), portB, a.port);
    await a.proc.waitFor('stderr', /replication: linked to twin/);
    await b.proc.waitFor('stderr', /replication: linked to twin/);
    const trackers = `127.0.0.1:${a.port},127.0.0.1:${portB}`;

    // A seeder slowed to 1 MiB/s, so the download below is midway when A dies.
    const seeder = await serve('alpha', trackers, {bytes: 3 * MiB, maxUpload: '1M'});
    const other = await serve('beta', trackers);
    const fileId = seeder.fileId!;
    await until(
      async () =>
        (await filesOf(portB)).some((file) => file.fileId === fileId && file.seeders === 1)
          ? true
          : undefined,
      'B to list the file shared at A, with its seeder alive',
    );

    const client = new Session(
      cluster.spawn('session', [
        '--tracker',
        trackers,
        '--port',
        '0',
        '--data',
        cluster.dataDir(),
        '--json',
        '--secret',
        secretText,
      ]),
    );
    await client.send('echo ready');
    const before = dataOf<{tracker: string; trackers: string[]}>(await client.send('net'));
    assert.equal(before.tracker, `127.0.0.1:${a.port}`);
    assert.deepEqual(before.trackers, [`127.0.0.1:${a.port}`, `127.0.0.1:${portB}`]);
    const started = dataOf<{downloadId?: number}>(
      await client.send(`download ${fileId} ${cluster.dataDir()} --bg`),
    );
    assert.ok(started, 'the download started');

    const seederOut = seeder.proc.stderr.length;
    const otherOut = other.proc.stderr.length;
    const killedAt = Date.now();
    await a.proc.kill();

    // A request in flight or sent right after: answered by B, retried there if A took it down.
    const files = dataOf<{files: FileSummary[]}>(await client.send('files --all'));
    const filesMs = Date.now() - killedAt;
    assert.ok(
      files.files.some((file) => file.fileId === fileId),
      'the file is still listed',
    );
    const registeredAgain = new RegExp(`registered with the tracker at 127\\.0\\.0\\.1:${portB}`);
    await seeder.proc.until(
      () => registeredAgain.exec(seeder.proc.stderr.slice(seederOut)) ?? undefined,
      'B',
      FAILOVER_MS * 2,
    );
    const seederMs = Date.now() - killedAt;
    await other.proc.until(
      () => registeredAgain.exec(other.proc.stderr.slice(otherOut)) ?? undefined,
      'B',
      FAILOVER_MS * 2,
    );
    const otherMs = Date.now() - killedAt;
    t.diagnostic(`after the kill: files ${filesMs} ms, seeder on B ${seederMs} ms, other peer ${otherMs} ms`);
    assert.ok(filesMs < FAILOVER_MS, `files answered ${filesMs} ms after the kill`);
    assert.ok(seederMs < FAILOVER_MS, `the seeder registered with B ${seederMs} ms after the kill`);
    assert.ok(otherMs < FAILOVER_MS, `the other peer registered with B ${otherMs} ms after the kill`);

    const listed = dataOf<{tracker: string; peers: PeerInfo[]}>(await client.send('peers'));
    assert.equal(listed.tracker, `127.0.0.1:${portB}`, 'peers says which tracker answered');
    for (const id of [seeder.id, other.id])
      assert.ok(listed.peers.find((peer) => peer.id === id)?.alive, `${id} is listed and alive on B`);
    const after = dataOf<{tracker: string}>(await client.send('net'));
    assert.equal(after.tracker, `127.0.0.1:${portB}`, 'net says B is in use');

    // The download goes on (its holder lookups now go to B) and completes.
    await until(
      async () => {
        const {downloads} = dataOf<{downloads: Array<{fileId: string; state: string}>}>(
          await client.send('downloads'),
        );
        const row = downloads.find((entry) => entry.fileId === fileId);
        if (row?.state === 'failed') assert.fail(`the download failed: ${JSON.stringify(row)}`);
        return row?.state === 'done' ? true : undefined;
      },
      'the download to finish',
      20_000,
    );

    // Shared while A is down: only B sees it happen.
    const late = await serve('gamma', trackers, {bytes: 64 * 1024});
    await until(
      async () => ((await filesOf(portB)).some((file) => file.fileId === late.fileId) ? true : undefined),
      'B to list the file shared while A is down',
    );

    // A restarts on its data dir and port: same id, what it knew, and what B did meanwhile.
    const oldId = a.id;
    a = await startTracker('tracker A again', a.dir, a.port, portB);
    assert.equal(a.id, oldId, 'the tracker id survives the restart');
    await a.proc.waitFor('stderr', /replication: linked to twin/);
    await until(
      async () => ((await filesOf(a.port)).some((file) => file.fileId === late.fileId) ? true : undefined),
      'the restarted tracker to list the file shared while it was down',
    );
    const files2 = (await filesOf(a.port)).map((file) => file.fileId);
    assert.ok(files2.includes(fileId), 'and the one shared before it died');
    const peers2 = (await peersOf(a.port)).map((peer) => peer.id);
    for (const id of [seeder.id, other.id, late.id]) assert.ok(peers2.includes(id), `${id} is known again`);
    await client.end();
  },
);

/** The last `join: p2pos --join TOKEN` line a tracker printed: its token. */
function lastToken(proc: Proc): string {
  const tokens = [...proc.stdout.matchAll(/^join: p2pos --join (\S+)$/gm)].map((match) => match[1]!);
  assert.ok(tokens.length > 0, `no join line\n${proc.describe()}`);
  return tokens.at(-1)!;
}

/** The trackers a join token names, as HOST:PORT. */
function trackersOf(token: string): string[] {
  return decodeJoinToken(token).trackers.map(({host, port}) => `${host}:${port}`);
}

/** Ask one tracker, as a client of the protocol holding `key`. */
async function askWith(key: Buffer, port: number, message: Record<string, unknown> & {type: string}) {
  const link = await connect({
    host: '127.0.0.1',
    port,
    secret: key,
    hello: {peer: 'test-observer', role: 'client', name: 'test'},
  });
  try {
    return await link.request(message as never);
  } finally {
    link.close('done');
  }
}

/** Processes given no secret: a tracker makes its own, the rest get it from a join token. */
const noSecret = {P2POS_SECRET: ''};

/**
 * The README's join flow for a twin: tracker A alone (making its secret), then tracker B given
 * `--peer-tracker A --join A's-token`; A was told nothing of B. Resolves once B has linked to A.
 */
async function joinTwin() {
  const dirA = cluster.dataDir();
  const a = cluster.spawn('tracker A alone', ['tracker', '--port', '0', '--data', dirA], noSecret);
  const portA = Number((await a.waitFor('stdout', /^tracker \S+ on \S+:(\d+)$/m))[1]);
  const tokenA = (await a.waitFor('stdout', /^join: p2pos --join (\S+)$/m))[1]!;
  const dirB = cluster.dataDir();
  const argsB = (port: number) => [
    'tracker',
    '--port',
    String(port),
    '--data',
    dirB,
    '--peer-tracker',
    `127.0.0.1:${portA}`,
  ];
  const b = cluster.spawn('tracker B', [...argsB(0), '--join', tokenA], noSecret);
  const portB = Number((await b.waitFor('stdout', /^tracker \S+ on \S+:(\d+)$/m))[1]);
  await b.waitFor('stderr', /replication: linked to twin/);
  return {a, portA, dirA, tokenA, key: decodeJoinToken(tokenA).secret, b, portB, dirB, argsB};
}

test(
  'a twin added with --peer-tracker A --join TOKEN is taken on by A: replication runs both ways, also after A restarts',
  {timeout: TEST_TIMEOUT_MS},
  async () => {
    const {a, portA, dirA, tokenA, key, portB} = await joinTwin();
    await a.waitFor('stderr', /replication: tracker \S+ at 127\.0\.0\.1:\d+ replicates with this tracker/);
    await a.waitFor('stderr', /replication: linked to twin/);
    await a.until(
      () => (trackersOf(lastToken(a)).length === 2 ? true : undefined),
      'a join line naming both',
    );
    assert.deepEqual(trackersOf(lastToken(a)), [`127.0.0.1:${portA}`, `127.0.0.1:${portB}`]);

    // What happens at A from now on reaches B: a user, and a peer that heartbeats at A only.
    await askWith(key, portA, {type: 'USERADD', name: 'carol', password: 'carol-password'});
    const peer = cluster.spawn(
      'serve on A',
      ['serve', '--join', tokenA, '--port', '0', '--data', cluster.dataDir(), '--name', 'on-a'],
      noSecret,
    );
    const peerId = (await peer.waitFor('stderr', /peer (p-[0-9a-f]+) \(on-a\) listening on/))[1]!;
    await until(
      async () =>
        ((await askWith(key, portB, {type: 'PEERS'})).peers as PeerInfo[]).find(
          (entry) => entry.id === peerId && entry.alive && Date.now() - entry.lastHeartbeat < 1_000,
        ),
      'B to list the peer that registered at A, heartbeating',
    );
    await until(
      () => askWith(key, portB, {type: 'LOGIN', name: 'carol', password: 'carol-password'}),
      'B to know the user added at A',
    );

    // A restarted without --peer-tracker keeps B as its twin and names it in its join line.
    await a.stop();
    const again = cluster.spawn(
      'tracker A again',
      ['tracker', '--port', String(portA), '--data', dirA],
      noSecret,
    );
    await again.waitFor(
      'stderr',
      /replicates with its twin at 127\.0\.0\.1:\d+ \(kept from an earlier start\)/,
    );
    await again.waitFor('stderr', /replication: linked to twin/);
    await again.waitFor('stdout', /^join: /m);
    assert.deepEqual(trackersOf(lastToken(again)), [`127.0.0.1:${portA}`, `127.0.0.1:${portB}`]);
  },
);

test(
  'a tracker given the secret by --join keeps it in its data dir: restarted without --join it links to its twin',
  {timeout: TEST_TIMEOUT_MS},
  async () => {
    const {key, b, portB, dirB, argsB} = await joinTwin();
    const secretFile = join(dirB, 'network-secret');
    assert.equal(statSync(secretFile).mode & 0o777, 0o600);
    assert.deepEqual(readFileSync(secretFile), key);
    await b.stop();
    const again = cluster.spawn('tracker B again', argsB(portB), noSecret);
    await again.waitFor('stderr', /replication: linked to twin/);
    assert.doesNotMatch(again.stderr, /made a new network secret|unreachable/);

    // A data dir keeping another network's secret is refused, not silently split off.
    const other = cluster.spawn(
      'tracker with another secret',
      ['tracker', '--port', '0', '--data', dirB, '--secret', formatSecret(generateSecret())],
      noSecret,
    );
    const {code} = await other.exited;
    assert.equal(code, 1, other.describe());
    assert.match(other.stderr, /keeps another network's secret/);
  },
);

test(
  'after failover at start, the banner names the tracker in use, not the dead first one',
  {timeout: TEST_TIMEOUT_MS},
  async () => {
    const portB = await freePort();
    const a = await startTracker('tracker A', cluster.dataDir(), 0, portB);
    const b = await startTracker('tracker B', cluster.dataDir(), portB, a.port);
    await b.proc.waitFor('stderr', /replication: linked to twin/);
    const token = (await a.proc.waitFor('stdout', /^join: p2pos --join (\S+)$/m))[1]!;
    assert.deepEqual(trackersOf(token), [`127.0.0.1:${a.port}`, `127.0.0.1:${portB}`]);
    await a.proc.kill();

    const banner = new RegExp(`p2pos: network: tracker 127\\.0\\.0\\.1:${portB},`);
    // each joins with the token naming the dead A first, from a data dir of its own
    const joined = () => ['--join', token, '--port', '0', '--data', cluster.dataDir()];
    const peer = cluster.spawn('serve after A died', ['serve', ...joined()]);
    await peer.waitFor('stderr', new RegExp(`registered with the tracker at 127\\.0\\.0\\.1:${portB}`));
    await peer.waitFor('stderr', /p2pos: network: /);
    assert.match(peer.stderr, banner);

    const client = cluster.spawn('script after A died', [...joined(), '-c', 'echo hi']);
    await client.exited;
    assert.match(client.stderr, banner);
  },
);
