// The network commands in one process: a tracker and a peer on loopback (OS-assigned ports), a real
// sandbox host. Multi-process behaviour (placement across peers, dead peers) is test/net/network.test.ts.

import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {connect as netConnect} from 'node:net';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import type {Context} from '../../../src/shell/command.js';
import {createNetAccess, type NetAccess} from '../../../src/shell/net-access.js';
import {parseValue} from '../../../src/shell/commands/net-commands.js';
import {recordTask} from '../../../src/shell/task-history.js';
import {ensureBuilt} from '../../support/binary.js';
import {createTestContext, run, runFails, runOk} from '../../support/shell-context.js';

let context: Context;
let net: NetAccess;
let dir: string;

before(async () => {
  ensureBuilt(); // the sandbox host runs from dist/
  dir = mkdtempSync(join(tmpdir(), 'p2pos-net-commands-'));
  context = createTestContext();
  net = createNetAccess({
    kernel: context.kernel,
    config: {
      offline: false,
      tracker: undefined,
      host: '127.0.0.1',
      port: 0,
      trackerPort: 0,
      name: 'solo',
      heartbeatMs: 200,
    },
    log: () => {},
    onTaskEnded: (task) => recordTask(context.history, task),
  });
  context.net = net;
  await net.peer();
});

after(async () => {
  await net.close();
  rmSync(dir, {recursive: true, force: true});
});

test('exec -e runs a function in the sandbox and prints its result as JSON', async () => {
  const {lines, data} = await runOk(context, `exec -e 'function main(a, b){ return {sum: a + b, b} }' 2 x`);
  assert.equal(lines[0], '{"sum":"2x","b":"x"}');
  assert.deepEqual(data.result, {sum: '2x', b: 'x'});
  assert.equal(data.peer, net.current()!.id);
  assert.match(String(data.taskId), /^[0-9a-f]{8}$/);
  const json = await runOk(context, `exec -e 'function main(xs){ return xs.length }' '[1,2,3]'`);
  assert.equal(json.data.result, 3);
});

test('a task is a process on the peer that runs it, and is recorded in history --tasks', async () => {
  await runOk(context, `exec -e 'function main(){ return 1 }' --no-cache`);
  const ps = await runOk(context, 'ps -a');
  assert.ok(
    ps.lines.some((line) => /task:main\s+TERMINATED\(0\)/.test(line)),
    ps.lines.join('\n'),
  );
  const history = await runOk(context, 'history --tasks');
  const summary = history.data.summary as {tasks: number; ok: number};
  assert.ok(summary.tasks >= 1 && summary.ok >= 1);
});

test('--fn names the function; a missing one, a throw and a timeout are clear errors', async () => {
  assert.equal((await runOk(context, `exec -e 'function twice(x){return 2*x}' 4 --fn twice`)).data.result, 8);
  assert.match(await runFails(context, `exec -e 'function main(){}' --fn nope`, 'ENOFN'), /nope/);
  assert.match(
    await runFails(context, `exec -e 'function main(){ throw new Error("bad input") }'`, 'ETHROW'),
    /bad input/,
  );
  await runFails(context, `exec -e 'function main(){ for(;;); }' --timeout 100`, 'ETIMEDOUT');
  // the peer goes on
  assert.equal((await runOk(context, `exec -e 'function main(){return "ok"}' --no-cache`)).data.result, 'ok');
});

test('escape attempts fail inside the sandbox', async () => {
  for (const code of [
    `function main(){ return require("fs") }`,
    `function main(){ return process.pid }`,
    `function main(){ return this.constructor.constructor("return process")().pid }`,
    `function main(){ return typeof WebAssembly.Memory }`,
  ]) {
    const outcome = await run(context, `exec -e '${code}' --no-cache`);
    assert.equal(outcome.ok, false, code);
  }
});

test('identical tasks are served from the cache; --no-cache runs again; cache clear empties it', async () => {
  await runOk(context, 'cache clear');
  const code = `exec -e 'function main(x){return x+1}' 41`;
  assert.equal((await runOk(context, code)).data.cached, false);
  const second = await runOk(context, code);
  assert.equal(second.data.cached, true);
  assert.equal(second.data.result, 42);
  assert.equal((await runOk(context, `${code} --no-cache`)).data.cached, false);
  const cache = await runOk(context, 'cache');
  assert.ok((cache.data.hits as number) >= 1);
  assert.equal((await runOk(context, 'cache clear')).data.cleared, 1);
});

test('--bg returns the task id at once; tasks lists it; cancel stops it while it runs', async () => {
  const started = await runOk(context, `exec -e 'function main(){ for(;;); }' --bg --timeout 60000`);
  const taskId = String(started.data.taskId);
  assert.deepEqual(started.lines, [taskId]);
  await waitUntil(async () => net.current()!.runner.state(taskId) === 'running');
  const canceled = await runOk(context, `cancel ${taskId}`);
  assert.equal(canceled.data.state, 'running');
  await waitUntil(async () => {
    const listed = (await runOk(context, 'tasks')).data.tasks as {taskId: string; state: string}[];
    return listed.find((task) => task.taskId === taskId)?.state === 'canceled';
  });
  await runFails(context, 'cancel ffffffff', 'ENOENT');
});

test("a --bg task's result is read with tasks ID --wait, which fails as exec would when the task did", async () => {
  const slow =
    'function main(x){ const end = Date.now() + 200; while (Date.now() < end); return {twice: x * 2} }';
  const started = await runOk(context, `exec -e '${slow}' 21 --bg --no-cache`);
  const taskId = String(started.data.taskId);
  // without --wait, a task still running is shown as it is now
  const now = await runOk(context, `tasks ${taskId}`);
  assert.match(String(now.lines.at(-1)), new RegExp(`^task ${taskId} on .*: (placing|running) for \\d+ ms$`));
  const waited = await runOk(context, `tasks ${taskId} --wait`);
  assert.equal(waited.lines[0], '{"twice":42}');
  assert.match(String(waited.lines[1]), new RegExp(`^task ${taskId} on p-[0-9a-f]+: done in \\d+ ms$`));
  assert.equal(waited.data.state, 'done');
  assert.deepEqual(waited.data.result, {twice: 42});
  // the table shows results too, and `tasks --wait` with no id waits for every task
  const thrower = await runOk(
    context,
    `exec -e 'function main(){ throw new TypeError("bad") }' --bg --no-cache`,
  );
  const listed = await runOk(context, 'tasks --wait');
  const rows = listed.data.tasks as {taskId: string; state: string}[];
  assert.equal(rows.find((task) => task.taskId === thrower.data.taskId)?.state, 'failed');
  assert.match(listed.lines.join('\n'), new RegExp(`^${taskId} .* \\{"twice":42\\}$`, 'm'));
  assert.match(await runFails(context, `tasks ${thrower.data.taskId} --wait`, 'ETHROW'), /TypeError: bad/);
  // without --wait, a failed task is shown, not failed on
  assert.match(
    String((await runOk(context, `tasks ${thrower.data.taskId}`)).lines[0]),
    /ETHROW: TypeError: bad/,
  );
  await runFails(context, 'tasks ffffffff', 'ENOENT');
});

test("a task's wait behind another task in the sandbox counts as waiting, not as its execution", async () => {
  const busy = 'function main(x){ const end = Date.now() + 300; while (Date.now() < end); return x }';
  await runOk(context, `exec -e '${busy}' 1 --bg --no-cache`);
  const second = await runOk(context, `exec -e '${busy}' 2 --no-cache`);
  const {waitingMs, execMs, turnaroundMs} = second.data.timings as {
    waitingMs: number;
    execMs: number;
    turnaroundMs: number;
  };
  // it ran for about 300 ms after the first one's 300 ms: the sandbox runs one task at a time
  assert.ok(execMs >= 290 && execMs < turnaroundMs - 150, `exec ${execMs} of ${turnaroundMs} ms`);
  assert.ok(waitingMs >= 150, `waited ${waitingMs} ms`);
});

test("quota lists remote peers only: this peer's own keys are not a quota's business", async () => {
  await runOk(context, 'kv set mine 1');
  const {data, lines} = await runOk(context, 'quota');
  const self = net.current()!.id;
  assert.deepEqual(
    (data.peers as {peer: string}[]).filter((row) => row.peer === self),
    [],
    'this peer is not its own remote user',
  );
  assert.match(String(lines.at(-1)), /^limits per peer: \d+ tasks a minute, 1000 keys, /);
  await runOk(context, 'kv del mine'); // the kv test below lists every key
});

test('kv keeps JSON values under any key, __proto__ included', async () => {
  await runOk(context, `kv set __proto__ '{"polluted":true}'`);
  await runOk(context, 'kv set n 5');
  await runOk(context, 'kv set s hello');
  assert.deepEqual((await runOk(context, 'kv get __proto__')).data.value, {polluted: true});
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal((await runOk(context, 'kv get n')).data.value, 5);
  assert.equal((await runOk(context, 'kv get s')).lines[0], '"hello"');
  const listed = (await runOk(context, 'kv ls')).data.entries as {key: string}[];
  assert.deepEqual(
    listed.map((entry) => entry.key),
    ['__proto__', 'n', 's'],
  );
  await runOk(context, 'kv del n');
  await runFails(context, 'kv get n', 'ENOENT');
  await runFails(context, 'kv del n', 'ENOENT');
  await runFails(context, 'kv get a --peer p-nobody', 'ENOPEER');
});

test('peers lists this peer as alive; net describes it', async () => {
  const peers = await runOk(context, 'peers');
  const list = peers.data.peers as {id: string; alive: boolean}[];
  assert.equal(list.length, 1);
  assert.equal(list[0]!.id, net.current()!.id);
  assert.ok(list[0]!.alive);
  const info = await runOk(context, 'net');
  assert.equal(info.data.registered, true);
  assert.equal(info.data.trackerHere, true);
  assert.ok((info.data.bytesOut as number) > 0);
});

test('batch runs every task of a file and prints the results in order', async () => {
  const file = join(dir, 'batch.json');
  writeFileSync(
    file,
    JSON.stringify([{code: 'function main(x){return x*x}', args: [3]}, {args: [4]}, {args: [5]}]),
  );
  const {data} = await runOk(context, `batch ${file}`);
  assert.deepEqual(
    (data.results as {result: unknown}[]).map((result) => result.result),
    [9, 16, 25],
  );
  writeFileSync(file, '{"not": "an array"}');
  await runFails(context, `batch ${file}`, 'EUSAGE');
  writeFileSync(file, '[{"code": "function main(x){return x}", "args": [1e999]}]');
  assert.match(await runFails(context, `batch ${file}`, 'EUSAGE'), /too large for JSON/);
  // noCache opts a task out of the result cache, as exec --no-cache does
  const cachedOnce = (noCache: boolean) =>
    JSON.stringify([{code: 'function main(x){return x + 1}', args: [41], ...(noCache ? {noCache} : {})}]);
  writeFileSync(file, cachedOnce(false));
  await runOk(context, `batch ${file}`);
  const again = (await runOk(context, `batch ${file}`)).data.results as {cached: boolean}[];
  assert.equal(again[0]!.cached, true, 'the same task again comes from the cache');
  writeFileSync(file, cachedOnce(true));
  const fresh = (await runOk(context, `batch ${file}`)).data.results as {cached: boolean; result: unknown}[];
  assert.deepEqual([fresh[0]!.cached, fresh[0]!.result], [false, 42]);
  writeFileSync(file, '[{"code": "function main(){}", "noCache": "yes"}]');
  assert.match(await runFails(context, `batch ${file}`, 'EUSAGE'), /"noCache" must be true or false/);
  // a field of the wrong type is named as such, not reported missing
  for (const [entry, message] of [
    ['{"code": 5}', /task 1: "code" must be a string of JavaScript\./],
    ['{"file": 7}', /task 1: "file" must be a path, as a string\./],
    ['{"code": "function main(){}", "fn": 3}', /task 1: "fn" `3` is not a JavaScript function name\./],
    ['{"args": [1]}', /task 1 has no "code" or "file"\./],
  ] as const) {
    writeFileSync(file, `[${entry}]`);
    assert.match(await runFails(context, `batch ${file}`, 'EUSAGE'), message, entry);
  }
});

test('bad arguments print usage; a missing file is ENOENT', async () => {
  await runFails(context, 'exec', 'EUSAGE');
  await runFails(context, `exec -e 'function main(){}' --fn 'a b'`, 'EUSAGE');
  await runFails(context, `exec -e 'function main(){}' --local --peer p-1`, 'EUSAGE');
  await runFails(context, `exec -e 'function main(){}' --timeout 0`, 'EUSAGE');
  await runFails(context, `exec ${join(dir, 'missing.js')}`, 'ENOENT');
  assert.match(await runFails(context, `exec ${dir}`, 'ENOENT'), /: it is a directory\.$/);
  assert.match(await runFails(context, `batch ${dir}`, 'ENOENT'), /: it is a directory\.$/);
  await runFails(context, 'kv set onlykey', 'EUSAGE');
  await runFails(context, 'cancel', 'EUSAGE');
});

test('offline, tasks run here without a port; what needs another peer fails with ENONET', async () => {
  const offline = createTestContext();
  const access = createNetAccess({
    kernel: offline.kernel,
    config: {
      offline: true,
      tracker: undefined,
      host: '127.0.0.1',
      port: undefined,
      trackerPort: undefined,
      name: undefined,
    },
    log: () => {},
  });
  offline.net = access;
  try {
    for (const line of ['peers', `exec -e 'function main(){}' --peer p-00000000`, 'kv ls --peer p-00000000'])
      await runFails(offline, line, 'ENONET');
    const local = await runOk(offline, `exec -e 'function main(x){ return x * 2 }' 21`);
    assert.equal(local.data.result, 42);
    assert.equal(local.data.peer, access.current()!.id);
    const confidential = await runOk(offline, `exec --confidential -e 'function main(){ return "here" }'`);
    assert.equal(confidential.data.result, 'here');
    const file = join(dir, 'offline-batch.json');
    writeFileSync(
      file,
      JSON.stringify([
        {code: 'function main(x){ return x }', args: [1]},
        {code: 'function main(x){ return x }', args: [2]},
      ]),
    );
    const batch = await runOk(offline, `batch ${file}`);
    assert.deepEqual(
      (batch.data.results as {result: unknown}[]).map((each) => each.result),
      [1, 2],
    );
    const net = await runOk(offline, 'net');
    assert.equal(net.data.offline, true);
    assert.equal(net.data.address, null);
    assert.match(net.lines[0]!, /offline: no port/);
    await runOk(offline, 'kv set k 1');
    assert.equal((await runOk(offline, 'kv get k')).data.value, 1);
    assert.equal(access.current()!.port, 0, 'no port was opened');
  } finally {
    await access.close();
  }
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('an argument or value with a number JSON cannot hold is refused, not sent on as null', () => {
  for (const text of ['1e999', '[1, -1e400]', '{"a": {"b": [1e309]}}'])
    assert.throws(() => parseValue(text), {code: 'EUSAGE', message: /too large for JSON/}, text);
  assert.deepEqual(parseValue('[1, 2.5e300]'), [1, 2.5e300]);
  assert.equal(parseValue('not json'), 'not json');
});

test('close() while the network is still starting stops what the start opens', async () => {
  const access = createNetAccess({
    kernel: createTestContext().kernel,
    config: {offline: false, tracker: undefined, host: '127.0.0.1', port: 0, trackerPort: 0, name: 'brief'},
    log: () => {},
  });
  const starting = access.peer(); // not awaited: the console starts the network at boot, Ctrl-D may come first
  await access.close();
  const started = await starting.catch((error: Error) => error);
  // Either the start was refused, or it finished and close() stopped it: nothing is left listening.
  assert.equal(access.current(), undefined, 'no peer is left running');
  assert.equal(access.tracker(), undefined, 'no tracker is left running');
  if (!(started instanceof Error)) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = netConnect({host: started.host, port: started.port});
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', () => resolve(true));
    });
    assert.ok(refused, `the peer's port ${started.port} still accepts connections`);
  }
  await assert.rejects(access.peer(), /closed/, 'a closed network does not start again');
});
