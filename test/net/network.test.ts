// The network as real processes on 127.0.0.1 (test/support/cluster.ts): a tracker and `serve` peers
// started from the built binary, and clients that are the binary running a --json script. One
// cluster serves most tests (they run in order and may leave tasks and keys behind); killing a peer
// gets a cluster of its own, so placement there is predictable. Needs dist/ (a before hook builds).

import assert from 'node:assert/strict';
import {writeFileSync} from 'node:fs';
import net from 'node:net';
import {join} from 'node:path';
import tls from 'node:tls';
import {after, before, describe, test} from 'node:test';
import {encodeFrame, MAX_HEADER_BYTES} from '../../src/net/frame.js';
import type {PeerInfo} from '../../src/net/messages.js';
import {secureClientOptions} from '../../src/net/secure-link.js';
import {ensureBuilt} from '../support/binary.js';
import {
  Cluster,
  dataOf,
  HEARTBEAT_MS,
  waitUntil,
  type JsonRecord,
  type ServePeer,
} from '../support/cluster.js';

/** Busy for `ms` (Date is one of the sandbox's globals), then return `i`: a task that really takes CPU. */
const BUSY = 'function main(ms, i){ const end = Date.now() + ms; while (Date.now() < end); return i }';
const LOOP = 'function main(){ for (;;); }';
/** A test's bound: a hung process or wait fails the test instead of the whole run. */
const TEST_TIMEOUT_MS = 30_000;

interface ExecData {
  taskId: string;
  peer: string;
  ok: boolean;
  result?: unknown;
  code?: string;
  attempts: number;
}

interface TaskData {
  taskId: string;
  state: string;
  peer: string | undefined;
  attempts: number;
}

const peerIds = (records: readonly {peer: string}[]) => new Set(records.map((record) => record.peer));
const find = (peers: PeerInfo[], id: string) => peers.find((peer) => peer.id === id);

describe('a tracker and three serve peers, each a process', {timeout: 120_000}, () => {
  const cluster = new Cluster();
  let alpha: ServePeer;
  let beta: ServePeer;
  let gamma: ServePeer;

  before(
    async () => {
      ensureBuilt();
      await cluster.startTracker();
      const runFile = join(cluster.dataDir(), 'alpha.txt');
      writeFileSync(runFile, 'kv set greeting "hello from the run file"\n');
      [alpha, beta, gamma] = await Promise.all([
        cluster.serve({name: 'alpha', run: runFile, json: true}),
        cluster.serve({name: 'beta'}),
        cluster.serve({name: 'gamma'}),
      ]);
      await cluster.waitForPeers(
        (peers) => [alpha, beta, gamma].every((peer) => find(peers, peer.id)?.alive),
        'the three peers to be alive',
      );
    },
    {timeout: TEST_TIMEOUT_MS},
  );

  after(() => cluster.close());

  test(
    'peers lists every peer as alive, with its address and load figures',
    {timeout: TEST_TIMEOUT_MS},
    async () => {
      const {status, records, stderr} = await cluster.client(['net', 'peers']);
      assert.equal(status, 0, stderr);
      const self = dataOf<{id: string}>(records[0]).id;
      const {peers} = dataOf<{peers: PeerInfo[]}>(records[1]);
      for (const peer of [alpha, beta, gamma]) {
        const info = find(peers, peer.id);
        assert.ok(info, `${peer.name} (${peer.id}) is not in ${JSON.stringify(peers)}`);
        assert.equal(info.name, peer.name);
        assert.equal(`${info.host}:${info.port}`, `${peer.host}:${peer.port}`);
        assert.equal(info.alive, true);
        assert.equal(typeof info.load.ready, 'number');
        assert.equal(typeof info.load.tasks, 'number');
        assert.equal(typeof info.queue, 'number');
        assert.equal(typeof info.tasksDone, 'number');
        assert.ok(
          Date.now() - info.lastHeartbeat < 10 * HEARTBEAT_MS,
          `stale heartbeat: ${JSON.stringify(info)}`,
        );
      }
      assert.equal(find(peers, self)?.alive, true, 'the client is a peer too');
    },
  );

  test(
    'a batch is spread across the peers by load, its results in order',
    {timeout: TEST_TIMEOUT_MS},
    async () => {
      const file = join(cluster.dataDir(), 'batch.json');
      const tasks = Array.from({length: 12}, (_, index) => ({code: BUSY, args: [100, index]}));
      writeFileSync(file, JSON.stringify(tasks));
      const {status, records, stderr} = await cluster.client(['net', `batch ${file}`]);
      assert.equal(status, 0, stderr);
      const self = dataOf<{id: string}>(records[0]).id;
      const {results, failed} = dataOf<{results: ExecData[]; failed: number}>(records[1]);
      assert.equal(failed, 0);
      assert.deepEqual(
        results.map((result) => result.result),
        tasks.map((_, index) => index),
      );
      const used = peerIds(results);
      assert.ok(used.size >= 3, `12 tasks ran on only ${[...used].join(', ')}`);
      const known = new Set([alpha.id, beta.id, gamma.id, self]);
      for (const peer of used) assert.ok(known.has(peer), `a task ran on an unknown peer ${peer}`);
      for (const peer of used) {
        const share = results.filter((result) => result.peer === peer).length;
        assert.ok(share <= 6, `${peer} got ${share} of 12 tasks`);
      }
    },
  );

  test('exec --bg tasks submitted together go to different peers', {timeout: TEST_TIMEOUT_MS}, async (t) => {
    const session = await cluster.session();
    t.after(() => session.proc.stop());
    const ids: string[] = [];
    for (let index = 0; index < 6; index++) {
      const record = await session.send(`exec -e "${BUSY}" 300 ${index} --bg --no-cache`);
      ids.push(dataOf<{taskId: string}>(record).taskId);
    }
    let tasks: TaskData[] = [];
    await waitUntil(
      async () => {
        tasks = dataOf<{tasks: TaskData[]}>(await session.send('tasks')).tasks;
        return ids.every((id) => tasks.find((task) => task.taskId === id)?.state === 'done');
      },
      () => `the 6 tasks to be done: ${JSON.stringify(tasks)}`,
    );
    const mine = tasks.filter((task) => ids.includes(task.taskId)) as (TaskData & {peer: string})[];
    assert.ok(peerIds(mine).size >= 3, `6 parallel tasks ran on only ${[...peerIds(mine)].join(', ')}`);
    assert.equal(await session.end(), 0, session.proc.describe());
  });

  test('exec --confidential runs on the submitting peer itself', {timeout: TEST_TIMEOUT_MS}, async () => {
    const {status, records, stderr} = await cluster.client([
      'net',
      `exec --confidential -e "function main(){ return 'kept here' }" --no-cache`,
      `exec --local -e "function main(){ return 'here too' }" --no-cache`,
    ]);
    assert.equal(status, 0, stderr);
    const self = dataOf<{id: string}>(records[0]).id;
    for (const record of records.slice(1)) assert.equal(dataOf<ExecData>(record).peer, self);
    assert.equal(dataOf<ExecData>(records[1]).result, 'kept here');
  });

  test('exec --peer ID runs on that peer', {timeout: TEST_TIMEOUT_MS}, async () => {
    const targets = [alpha, beta, gamma];
    const {status, records, stderr} = await cluster.client(
      targets.map(
        (peer) => `exec --peer ${peer.id} -e "function main(name){ return name }" ${peer.name} --no-cache`,
      ),
    );
    assert.equal(status, 0, stderr);
    targets.forEach((peer, index) => {
      const data = dataOf<ExecData>(records[index]);
      assert.equal(data.peer, peer.id);
      assert.equal(data.result, peer.name);
      assert.equal(data.attempts, 1);
    });
  });

  test(
    'cancel stops an infinite loop running on another peer, which keeps serving',
    {timeout: TEST_TIMEOUT_MS},
    async (t) => {
      const session = await cluster.session();
      t.after(() => session.proc.stop());
      // A task first, so gamma's sandbox host is up and the loop really spins before the cancel.
      dataOf(await session.send(`exec --peer ${gamma.id} -e "function main(){ return 1 }" --no-cache`));
      const {taskId} = dataOf<{taskId: string}>(
        await session.send(`exec -e "${LOOP}" --bg --timeout 60000 --peer ${gamma.id} --no-cache`),
      );
      await cluster.waitForPeers(
        (peers) => (find(peers, gamma.id)?.load.tasks ?? 0) >= 1,
        'gamma to run the loop',
      );

      const canceled = dataOf<{taskId: string; peer: string; state: string}>(
        await session.send(`cancel ${taskId}`),
      );
      assert.deepEqual(canceled, {taskId, peer: gamma.id, state: 'running'});
      // The loop never yields, so gamma's pool kills the sandbox host that runs it.
      await gamma.proc.waitFor(
        'stderr',
        new RegExp(`sandbox host \\d+ killed: Task \`${taskId}\` was canceled`),
      );

      const tasks = dataOf<{tasks: TaskData[]}>(await session.send('tasks')).tasks;
      assert.equal(tasks.find((task) => task.taskId === taskId)?.state, 'canceled');
      let history: {taskId: string; status: string; peer: string}[] = [];
      await waitUntil(
        async () => {
          history = dataOf<{tasks: typeof history}>(await session.send('history --tasks')).tasks;
          return history.some((row) => row.taskId === taskId);
        },
        () => `task ${taskId} in history --tasks: ${JSON.stringify(history)}`,
      );
      const row = history.find((entry) => entry.taskId === taskId)!;
      assert.equal(row.status, 'canceled');
      assert.equal(row.peer, gamma.id);

      const startedAt = Date.now();
      const next = dataOf<ExecData>(
        await session.send(`exec --peer ${gamma.id} -e "function main(){ return 'still here' }" --no-cache`),
      );
      assert.equal(next.result, 'still here');
      assert.equal(next.peer, gamma.id);
      assert.ok(Date.now() - startedAt < 5_000, `the next task took ${Date.now() - startedAt} ms`);
      assert.equal(gamma.proc.hasExited, false);
      assert.equal(await session.end(), 0, session.proc.describe());
    },
  );

  test(
    'a --bg task still running when its script ends is recorded as ECLOSED, every time',
    {timeout: TEST_TIMEOUT_MS},
    async () => {
      const data = cluster.dataDir();
      const taskIds: string[] = [];
      // the submitter's close and its history's close used to race: the row was lost 1 time in 3
      for (let run = 0; run < 3; run += 1) {
        const client = await cluster.client(
          [`exec -e "${BUSY}" 1500 ${run} --bg --peer ${beta.id} --no-cache`],
          {data},
        );
        assert.equal(client.status, 0, client.stderr);
        assert.doesNotMatch(client.stderr, /history/, 'no history error on the way out');
        taskIds.push(dataOf<{taskId: string}>(client.records[0]).taskId);
      }
      const {records} = await cluster.client(['history --tasks'], {data});
      const rows = dataOf<{tasks: {taskId: string; status: string; error: string | null}[]}>(
        records[0],
      ).tasks;
      for (const taskId of taskIds) {
        const row = rows.find((each) => each.taskId === taskId);
        assert.ok(row, `task ${taskId} is missing from history --tasks: ${JSON.stringify(rows)}`);
        assert.equal(row.status, 'failed');
        assert.match(row.error ?? '', /^ECLOSED: /);
      }
    },
  );

  test(
    'sandbox escapes fail with a clear error, and the peer keeps serving',
    {timeout: TEST_TIMEOUT_MS},
    async () => {
      const attempts: [string, string, string, RegExp][] = [
        [
          'require',
          `function main(){ return require('fs').readFileSync('/etc/passwd', 'utf8') }`,
          'ETHROW',
          /require is not defined/,
        ],
        ['process.exit', 'function main(){ process.exit(1) }', 'ETHROW', /process is not defined/],
        ['dynamic import', `async function main(){ return await import('fs') }`, 'ETHROW', /Not supported/],
        [
          'the Function constructor',
          `function main(){ return this.constructor.constructor('return process')() }`,
          'ETHROW',
          /process is not defined/,
        ],
        [
          'WebAssembly',
          'function main(){ return new WebAssembly.Memory({initial: 1}) }',
          'ETHROW',
          /WebAssembly is not defined/,
        ],
        ['an infinite loop', LOOP, 'ETIMEDOUT', /time limit \(200 ms\)/],
      ];
      const {status, records} = await cluster.client([
        ...attempts.map(([, code]) => `exec --peer ${beta.id} -e "${code}" --timeout 200 --no-cache`),
        `exec --peer ${beta.id} -e "function main(){ return 7 }" --no-cache`,
        'peers',
      ]);
      assert.equal(status, 1, 'the escapes fail');
      attempts.forEach(([what, , code, message], index) => {
        const record = records[index] as JsonRecord;
        assert.equal(record.ok, false, `${what} succeeded: ${JSON.stringify(record)}`);
        assert.equal(record.code, code, `${what}: ${JSON.stringify(record)}`);
        assert.match(record.error ?? '', message, what);
        assert.match(record.error ?? '', new RegExp(`on ${beta.id}`), `${what}: the error names the peer`);
      });
      assert.equal(dataOf<ExecData>(records[attempts.length]).result, 7);
      const {peers} = dataOf<{peers: PeerInfo[]}>(records[attempts.length + 1]);
      assert.equal(find(peers, beta.id)?.alive, true);
      assert.equal(beta.proc.hasExited, false);
    },
  );

  test(
    'a malformed frame closes only its connection, with the reason in the log',
    {timeout: TEST_TIMEOUT_MS},
    async () => {
      const hello = encodeFrame({type: 'HELLO', v: 1, peer: 'raw-test', role: 'client', name: 'raw'});
      const notJson = Buffer.from('{not json', 'utf8');
      const cases: [string, Buffer, RegExp][] = [
        [
          'garbage bytes (an HTTP request)',
          Buffer.from('GET / HTTP/1.1\r\nHost: p2pos\r\n\r\n'),
          /bad frame: Frame header of \d+ bytes is over the \d+-byte limit/,
        ],
        [
          'a header length over the limit',
          lengthPrefixed(MAX_HEADER_BYTES + 1, Buffer.from('{}')),
          /bad frame: Frame header of 1048577 bytes is over/,
        ],
        [
          'a 4 GiB header length',
          lengthPrefixed(0xffffffff, Buffer.alloc(0)),
          /bad frame: Frame header of 4294967295 bytes/,
        ],
        [
          'a header that is not JSON',
          lengthPrefixed(notJson.length, notJson),
          /bad frame: Frame header is not JSON/,
        ],
        [
          'an oversized body',
          encodeFrame({type: 'ECHO', id: 1, bodyBytes: 1e9}),
          /bad frame: Frame body of 1000000000 bytes is over/,
        ],
        [
          'an unknown message type',
          encodeFrame({type: 'NOPE'}),
          /invalid message: Unknown message type `NOPE`/,
        ],
        ['a request before HELLO', encodeFrame({type: 'PEERS', id: 1}), /PEERS before HELLO/],
        [
          'a request with a bad field after HELLO',
          Buffer.concat([hello, encodeFrame({type: 'ECHO', id: 'one'})]),
          /invalid message: Field `id` is not a whole number/,
        ],
      ];
      const tracker = cluster.tracker!;
      for (const server of [
        {label: 'gamma', port: gamma.port, proc: gamma.proc},
        {label: 'the tracker', port: tracker.port, proc: tracker.proc},
      ]) {
        for (const [what, bytes, reason] of cases) {
          const {localPort, closedBy} = await sendRaw(server.port, bytes, cluster.secret);
          assert.equal(closedBy, 'server', `${server.label} kept the connection open after ${what}`);
          await server.proc.waitFor(
            'stderr',
            new RegExp(`127\\.0\\.0\\.1:${localPort} closed: ${reason.source}`),
            3_000,
          );
        }
      }
      const {status, records, stderr} = await cluster.client([
        `exec --peer ${gamma.id} -e "function main(){ return 'unharmed' }" --no-cache`,
        'peers',
      ]);
      assert.equal(status, 0, stderr);
      assert.equal(dataOf<ExecData>(records[0]).result, 'unharmed');
      assert.equal(find(dataOf<{peers: PeerInfo[]}>(records[1]).peers, gamma.id)?.alive, true);
      assert.equal(gamma.proc.hasExited || tracker.proc.hasExited, false);
    },
  );

  test("key/value memory is one peer's, reached from any process", {timeout: TEST_TIMEOUT_MS}, async () => {
    const writer = await cluster.client([
      `kv set shared '{"n": 1}' --peer ${beta.id}`,
      `kv set __proto__ polluted --peer ${beta.id}`,
    ]);
    assert.equal(writer.status, 0, writer.stderr);
    const reader = await cluster.client([
      `kv get shared --peer ${beta.id}`,
      `kv get __proto__ --peer ${beta.id}`,
      `kv get constructor --peer ${beta.id}`,
      `kv get greeting --peer ${alpha.id}`,
      'kv get shared',
    ]);
    const [shared, proto, constructor, greeting, local] = reader.records;
    assert.deepEqual(dataOf(shared).value, {n: 1});
    assert.equal(dataOf(proto).value, 'polluted');
    assert.equal(constructor?.code, 'ENOENT', 'Object.prototype members are not keys');
    assert.equal(dataOf(greeting).value, 'hello from the run file', "set by alpha's --run file");
    assert.equal(local?.code, 'ENOENT', "without --peer, kv is the client's own memory");
    // alpha's --run script printed its JSON record on stdout.
    assert.match(alpha.proc.stdout, /"cmd":"kv","ok":true,"data":\{"key":"greeting","created":true/);
    // A key over 1 KiB is refused as the local store refuses it, not sent to close the link.
    const long = 'k'.repeat(1_100);
    const refused = await cluster.client([
      `kv set ${long} 1 --peer ${beta.id}`,
      `kv get ${long} --peer ${beta.id}`,
    ]);
    for (const record of refused.records) {
      assert.equal(record.code, 'E2BIG', refused.stderr);
      assert.match(String(record.error), /is 1100 bytes\. Expected at most 1024 bytes/);
    }
  });

  test(
    'a peer over its key quota on another peer gets a clear EQUOTA',
    {timeout: TEST_TIMEOUT_MS},
    async () => {
      // Memory quotas are not configurable from the command line (the task rate is), so this fills
      // the default: 1000 keys a peer.
      const keys = 1_000;
      const lines = Array.from(
        {length: keys + 1},
        (_, index) => `kv set q${index} ${index} --peer ${gamma.id}`,
      );
      const {status, records} = await cluster.client(lines);
      assert.equal(status, 1);
      assert.equal(records.length, keys + 1);
      assert.ok(
        records.slice(0, keys).every((record) => record.ok),
        'the first 1000 keys fit',
      );
      const refused = records[keys]!;
      assert.equal(refused.code, 'EQUOTA', JSON.stringify(refused));
      assert.match(refused.error ?? '', /would hold 1001 keys, over its quota of 1000 keys/);
    },
  );

  test(
    'a peer over its task quota on another peer gets a clear EQUOTA; other peers are still served',
    {timeout: TEST_TIMEOUT_MS},
    async (t) => {
      const zeta = await cluster.serve({name: 'zeta', env: {P2POS_TASKS_PER_MINUTE: '2'}});
      t.after(() => zeta.proc.stop());
      const exec = (index: number) =>
        `exec --peer ${zeta.id} -e "function main(i){ return i }" ${index} --no-cache`;
      const greedy = await cluster.client(['net', exec(1), exec(2), exec(3)]);
      const self = dataOf<{id: string}>(greedy.records[0]).id;
      assert.equal(dataOf<ExecData>(greedy.records[1]).result, 1);
      assert.equal(dataOf<ExecData>(greedy.records[2]).result, 2);
      const refused = greedy.records[3]!;
      assert.equal(refused.code, 'EQUOTA', JSON.stringify(refused));
      assert.match(
        refused.error ?? '',
        new RegExp(`Peer ${self} is over its quota of 2 tasks per minute; try again in \\d+ s`),
      );
      // the refusing peer logs it, as a server's log should
      await zeta.proc.waitFor(
        'stderr',
        new RegExp(`refused a task from ${self}: Peer ${self} is over its quota`),
      );
      const other = await cluster.client([exec(4)]);
      assert.equal(dataOf<ExecData>(other.records[0], other.stderr).result, 4, 'the quota is per peer');
    },
  );

  test(
    'serve leaves cleanly on SIGTERM: exit status 0, unregistered, gone from peers',
    {timeout: TEST_TIMEOUT_MS},
    async (t) => {
      const delta = await cluster.serve({name: 'delta'});
      t.after(() => delta.proc.stop());
      await cluster.waitForPeers((peers) => find(peers, delta.id)?.alive === true, 'delta to be alive');
      const {code, signal} = await delta.proc.stop();
      assert.equal(signal, null, delta.proc.describe());
      assert.equal(code, 0, delta.proc.describe());
      assert.match(delta.proc.stderr, /SIGTERM: shutting down/);
      assert.match(delta.proc.stderr, /unregistered from the tracker/);
      await cluster.tracker!.proc.waitFor('stderr', new RegExp(`unregistered peer ${delta.id}`));
      const {records} = await cluster.client(['peers']);
      const {peers} = dataOf<{peers: PeerInfo[]}>(records[0]);
      assert.equal(find(peers, delta.id), undefined, `delta is still listed: ${JSON.stringify(peers)}`);
    },
  );

  test(
    'a task whose submitter dies is canceled on the peer running it, not left to its time limit',
    {timeout: TEST_TIMEOUT_MS},
    async () => {
      const session = await cluster.session();
      const started = await session.send(
        `exec --bg --no-cache --peer ${beta.id} --timeout 60000 -e "${LOOP}"`,
      );
      assert.ok(started.ok, JSON.stringify(started));
      await cluster.waitForPeers(
        (peers) => (find(peers, beta.id)?.load.tasks ?? 0) >= 1,
        'beta to be running the loop',
      );
      await session.proc.kill();
      await cluster.waitForPeers(
        (peers) => find(peers, beta.id)?.load.tasks === 0,
        'beta to stop the loop of a submitter that died',
        5_000,
      );
    },
  );

  test(
    'a script client stopped by SIGTERM unregisters from the tracker and exits 143',
    {timeout: TEST_TIMEOUT_MS},
    async () => {
      const session = await cluster.session();
      const {id} = dataOf<{id: string}>(await session.send('net'));
      await cluster.waitForPeers((peers) => find(peers, id)?.alive === true, 'the client to register');
      const {code, signal} = await session.proc.stop();
      assert.equal(signal, null, session.proc.describe());
      assert.equal(code, 143, session.proc.describe());
      assert.match(session.proc.stderr, /SIGTERM: stopping/);
      // unregistered, not left to be marked dead after three missed heartbeats
      await cluster.tracker!.proc.waitFor('stderr', new RegExp(`unregistered peer ${id}`));
      const peers = await cluster.trackerPeers();
      assert.equal(find(peers, id), undefined, JSON.stringify(peers));
    },
  );

  test(
    'a SIGTERM during the --run script lets the script finish, then serve leaves with its status',
    {timeout: TEST_TIMEOUT_MS},
    async (t) => {
      const file = join(cluster.dataDir(), 'epsilon.txt');
      writeFileSync(file, `exec --local --no-cache -e "${BUSY}" 800 'finished'\nno-such-command\n`);
      const epsilon = await cluster.serve({name: 'epsilon', run: file});
      t.after(() => epsilon.proc.stop());
      // serve logs `listening` before it runs the script, so the signal lands while the task runs.
      const {code, signal} = await epsilon.proc.stop();
      assert.equal(signal, null, epsilon.proc.describe());
      assert.equal(code, 1, `the script had a failing command\n${epsilon.proc.describe()}`);
      assert.match(epsilon.proc.stdout, /^"finished"\n/, 'the task ran to its end');
      assert.match(epsilon.proc.stderr, /epsilon\.txt:2: Unknown command `no-such-command`/);
      assert.match(epsilon.proc.stderr, /SIGTERM: shutting down[^]*unregistered from the tracker/);
      assert.match(
        epsilon.proc.stderr,
        new RegExp(`peer ${epsilon.id} stopped`),
        'the shutdown ran to its end',
      );
    },
  );
});

describe('a peer killed while it runs a task', {timeout: 60_000}, () => {
  const cluster = new Cluster();
  let victim: ServePeer;
  let spare: ServePeer;

  before(
    async () => {
      ensureBuilt();
      await cluster.startTracker();
      [victim, spare] = await Promise.all([cluster.serve({name: 'victim'}), cluster.serve({name: 'spare'})]);
    },
    {timeout: TEST_TIMEOUT_MS},
  );

  after(() => cluster.close());

  test(
    'is marked dead within a second or so and its task is retried on another peer',
    {timeout: TEST_TIMEOUT_MS},
    async (t) => {
      // Placement: equal loads go to the peer with a known response time. Only the victim has run a
      // task, so the tracker places the next one there.
      const primer = await cluster.client([
        `exec --peer ${victim.id} -e "function main(){ return 0 }" --no-cache`,
      ]);
      assert.equal(primer.status, 0, primer.stderr);
      await cluster.waitForPeers(
        (peers) => find(peers, victim.id)?.rttMs != null && find(peers, spare.id)?.alive === true,
        'the victim to report its response time',
      );

      const submitting = cluster.client([`exec -e "${BUSY}" 1500 1 --retries 1 --timeout 20000 --no-cache`], {
        timeoutMs: 20_000,
      });
      await cluster.waitForPeers(
        (peers) => (find(peers, victim.id)?.load.tasks ?? 0) >= 1,
        'the victim to be running the task',
      );
      const killedAt = Date.now();
      const hostsLeft = await victim.proc.kill(800); // its task would run on for over a second
      assert.deepEqual(hostsLeft, [], 'the sandbox host running the task ended with its peer');

      await cluster.waitForPeers(
        (peers) => find(peers, victim.id)?.alive === false,
        'the victim to be marked dead',
        5_000,
      );
      const deadAfterMs = Date.now() - killedAt;
      t.diagnostic(`marked dead ${deadAfterMs} ms after SIGKILL (heartbeat ${HEARTBEAT_MS} ms)`);
      assert.ok(deadAfterMs < 3_000, `marked dead ${deadAfterMs} ms after the kill`);
      await cluster.tracker!.proc.waitFor('stderr', new RegExp(`peer ${victim.id} marked dead`));

      const {status, records, stderr} = await submitting;
      assert.equal(status, 0, stderr);
      const result = dataOf<ExecData>(records[0], stderr);
      assert.equal(result.result, 1);
      assert.equal(result.attempts, 2);
      assert.notEqual(result.peer, victim.id);

      const listed = await cluster.client(['peers']);
      const {peers} = dataOf<{peers: PeerInfo[]}>(listed.records[0]);
      assert.equal(find(peers, victim.id)?.alive, false, 'peers shows the victim dead');
      assert.equal(find(peers, spare.id)?.alive, true);
    },
  );
});

/** `body` behind a 4-byte length that need not match it. */
function lengthPrefixed(length: number, body: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(length, 0);
  return Buffer.concat([prefix, body]);
}

/**
 * Write `bytes` to a fresh connection and wait (3 s at most) for the server to close it. With the
 * network's secret the bytes go inside TLS, as a peer holding the secret would send them.
 */
function sendRaw(
  port: number,
  bytes: Buffer,
  secret?: Uint8Array,
): Promise<{localPort: number; closedBy: 'server' | 'timeout'}> {
  return new Promise((resolve, reject) => {
    const socket =
      secret === undefined
        ? net.connect({host: '127.0.0.1', port})
        : tls.connect({host: '127.0.0.1', port, ...secureClientOptions(secret)});
    let localPort = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({localPort, closedBy: 'timeout'});
    }, 3_000);
    socket.on(secret === undefined ? 'connect' : 'secureConnect', () => {
      localPort = socket.localPort!;
      socket.write(bytes);
    });
    socket.on('data', () => {}); // the server's HELLO
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET') reject(error); // a reset is the server closing on unread bytes
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({localPort, closedBy: 'server'});
    });
  });
}
