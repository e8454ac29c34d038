// Secured links between real processes on 127.0.0.1 (issue 6): a tracker makes the network secret,
// keeps it in its data directory and prints the join command; peers joining with that token register
// and run tasks on one another over TLS; a peer with a wrong secret, with none, or on plain TCP is
// refused with a sentence saying what to do while the tracker serves on; an --insecure network runs
// in plain text; and a network of one secures itself with no flags. Needs dist/ (a before hook builds).

import assert from 'node:assert/strict';
import {readFileSync, statSync} from 'node:fs';
import net from 'node:net';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {decodeJoinToken} from '../../src/net/join-token.js';
import {formatSecret, generateSecret, SECRET_FILE_NAME} from '../../src/net/network-secret.js';
import {ensureBuilt, runBinary, tempDataDir} from '../support/binary.js';
import {Cluster, dataOf, WAIT_MS, type JsonRecord, type Proc, type ServePeer} from '../support/cluster.js';

const TEST_TIMEOUT_MS = 30_000;
/** Clears a secret the cluster would give a process: it must find its own, or have none. */
const NO_SECRET = {P2POS_SECRET: ''};

interface NetData {
  links: 'tls' | 'plain' | null;
  registered: boolean;
}

/** Wait for `proc` to exit on its own; fails (showing its output) if it is still running after WAIT_MS. */
async function exitOf(proc: Proc): Promise<number | null> {
  const timer = setTimeout(() => void proc.stop(1_000), WAIT_MS);
  const {code, signal} = await proc.exited;
  clearTimeout(timer);
  assert.equal(
    signal,
    null,
    `${proc.label} did not exit by itself within ${WAIT_MS} ms.\n${proc.describe()}`,
  );
  return code;
}

describe('a tracker with a secret of its own, and peers joining with its token', {timeout: 90_000}, () => {
  const cluster = new Cluster();
  let trackerData: string;
  let tracker: Proc;
  let address: string;
  let token: string;
  let alpha: ServePeer;

  /** `p2pos serve --join TOKEN` with no other secret; resolves once it has registered. */
  async function serveJoined(name: string): Promise<ServePeer> {
    const args = ['serve', '--join', token, '--port', '0', '--data', cluster.dataDir(), '--name', name];
    const proc = cluster.spawn(`serve ${name}`, args, NO_SECRET);
    await proc.waitFor('stderr', /registered with the tracker at /);
    const match = await proc.waitFor('stderr', new RegExp(`peer (p-[0-9a-f]+) \\(${name}\\) listening on`));
    return {proc, id: match[1]!, name, host: '127.0.0.1', port: 0};
  }

  /** A script client joined with the token: one JSON record per command. */
  async function joinedClient(commands: string[]) {
    const proc = cluster.spawn(
      'client',
      ['--join', token, '--port', '0', '--data', cluster.dataDir(), '--json'],
      NO_SECRET,
    );
    proc.child.stdin!.end(commands.map((command) => `${command}\n`).join(''));
    const status = await exitOf(proc);
    const records = proc.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as JsonRecord);
    return {status, records, proc};
  }

  before(
    async () => {
      ensureBuilt();
      trackerData = cluster.dataDir();
      tracker = cluster.spawn('tracker', ['tracker', '--port', '0', '--data', trackerData], NO_SECRET);
      const listening = await tracker.waitFor('stdout', /^tracker \S+ on (\S+:\d+)$/m);
      address = listening[1]!;
      token = (await tracker.waitFor('stdout', /^join: p2pos --join (\S+)$/m))[1]!;
      alpha = await serveJoined('alpha');
    },
    {timeout: TEST_TIMEOUT_MS},
  );
  after(() => cluster.close());

  test('the tracker keeps the secret it made in its data directory and its token carries it', () => {
    const path = join(trackerData, SECRET_FILE_NAME);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const decoded = decodeJoinToken(token);
    assert.deepEqual(decoded.trackers, [{host: '127.0.0.1', port: Number(address.split(':')[1])}]);
    assert.deepEqual(decoded.secret, readFileSync(path));
    assert.match(tracker.stderr, /made a new network secret in /);
    assert.match(tracker.stderr, /listening on \S+ \(TLS, network secret\)/);
  });

  test(
    'a peer joined with the token runs a task on another over TLS',
    {timeout: TEST_TIMEOUT_MS},
    async () => {
      const {status, records, proc} = await joinedClient([
        `exec --peer ${alpha.id} -e "function main(){ return 'over tls' }" --no-cache`,
        'net',
        'peers',
      ]);
      assert.equal(status, 0, proc.describe());
      const exec = dataOf<{result: unknown; peer: string}>(records[0], proc.describe());
      assert.equal(exec.result, 'over tls');
      assert.equal(exec.peer, alpha.id);
      const info = dataOf<NetData>(records[1]);
      assert.equal(info.links, 'tls');
      assert.equal(info.registered, true);
      const peers = dataOf<{peers: {id: string; alive: boolean}[]}>(records[2]).peers;
      assert.ok(peers.some((peer) => peer.id === alpha.id && peer.alive));
    },
  );

  test(
    'a wrong secret, no secret or a plain link is refused with what to do; the tracker serves on',
    {timeout: TEST_TIMEOUT_MS},
    async () => {
      const serveArgs = (name: string) => [
        'serve',
        '--tracker',
        address,
        '--port',
        '0',
        '--data',
        cluster.dataDir(),
        '--name',
        name,
      ];
      const wrong = cluster.spawn('serve wrong', [
        ...serveArgs('wrong'),
        '--secret',
        formatSecret(generateSecret()),
      ]);
      const none = cluster.spawn('serve none', serveArgs('none'), NO_SECRET);
      const plain = cluster.spawn('serve plain', [...serveArgs('plain'), '--insecure']);
      const [wrongStatus, noneStatus, plainStatus] = await Promise.all([
        exitOf(wrong),
        exitOf(none),
        exitOf(plain),
      ]);

      assert.equal(wrongStatus, 1, wrong.describe());
      assert.match(wrong.stderr, /refused this peer's link: .*does not hold this network's secret/);
      assert.match(wrong.stderr, /`p2pos --join TOKEN`.*--secret HEX/);
      assert.equal(noneStatus, 1, none.describe());
      assert.match(
        none.stderr,
        /needs the network's secret: run the join command .*`p2pos --join TOKEN`.*--secret HEX/,
      );
      assert.equal(plainStatus, 1, plain.describe());
      assert.match(
        plain.stderr,
        /--insecure \(plain TCP\); the tracker may require TLS\. Join with .*--join TOKEN/,
      );
      for (const proc of [wrong, none, plain])
        assert.doesNotMatch(proc.stderr, /registered with the tracker/);

      // The tracker logged why it closed each link, before any message, and serves on.
      await tracker.waitFor(
        'stderr',
        /closed: TLS failed: the other side does not hold this network's secret/,
      );
      await tracker.waitFor('stderr', /closed: TLS failed: the other side does not speak TLS/);
      assert.equal(tracker.hasExited, false);
      const {status, records, proc} = await joinedClient(['peers']);
      assert.equal(status, 0, proc.describe());
      const names = dataOf<{peers: {name: string}[]}>(records[0]).peers.map((peer) => peer.name);
      assert.ok(names.includes('alpha'), `the tracker lists ${names}`);
      for (const name of ['wrong', 'none', 'plain']) assert.ok(!names.includes(name), `${name} registered`);
    },
  );
});

describe('a network started with --insecure', {timeout: 60_000}, () => {
  const cluster = new Cluster({insecure: true});
  after(() => cluster.close());

  test('works in plain text, and says so', {timeout: TEST_TIMEOUT_MS}, async () => {
    ensureBuilt();
    const tracker = await cluster.startTracker();
    assert.equal(tracker.join, undefined);
    assert.match(tracker.proc.stdout, /^join: p2pos --tracker 127\.0\.0\.1:\d+ --insecure$/m);
    assert.match(tracker.proc.stderr, /warning: --insecure: links are plain TCP/);
    const alpha = await cluster.serve({name: 'alpha'});
    const {status, records, stderr} = await cluster.client([
      `exec --peer ${alpha.id} -e "function main(){ return 'in the clear' }" --no-cache`,
      'net',
    ]);
    assert.equal(status, 0, stderr);
    assert.equal(dataOf<{result: unknown}>(records[0]).result, 'in the clear');
    assert.equal(dataOf<NetData>(records[1]).links, 'plain');
    assert.equal(stderr.match(/warning: --insecure/g)?.length, 1, `warned once:\n${stderr}`);
    // On the wire: the tracker's HELLO arrives as readable JSON behind its length prefix.
    const hello = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({host: tracker.host, port: tracker.port});
      socket.setEncoding('latin1');
      socket.once('data', (text: string) => {
        socket.destroy();
        resolve(text);
      });
      socket.once('error', reject);
    });
    assert.match(hello, /"type":"HELLO".*"role":"tracker"/);
  });
});

describe('a network of one', () => {
  test(
    'runs a script over TLS with no flags, keeping its secret in the data directory across runs',
    {timeout: TEST_TIMEOUT_MS},
    async (t) => {
      ensureBuilt();
      const data = tempDataDir();
      t.after(() => data.remove());
      const env = {...NO_SECRET, P2POS_JOIN: '', TRACKER_HOST: '', TRACKER_PORT: '', PEER_PORT: ''};
      const script = "exec -e 'function main(){ return 6 * 7 }'; net";
      const first = await runBinary(['--data', data.dir, '--json', '-c', script], '', {env});
      assert.equal(first.status, 0, first.stderr);
      const [exec, info] = first.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      assert.equal(exec.data.result, 42);
      assert.equal(info.data.links, 'tls');
      assert.equal(info.data.trackerHere, true);
      const secret = readFileSync(join(data.dir, SECRET_FILE_NAME));
      const second = await runBinary(['--data', data.dir, '--json', '-c', 'net'], '', {env});
      assert.equal(second.status, 0, second.stderr);
      assert.deepEqual(
        readFileSync(join(data.dir, SECRET_FILE_NAME)),
        secret,
        'the next run keeps the secret',
      );
    },
  );
});
