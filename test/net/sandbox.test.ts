// The task sandbox with real host processes (dist/sandbox-host.js, built when missing or older than
// its sources): results, limits, escape attempts, cancel, crashes and warm contexts. Every pool is
// closed, and every test has a time limit, so a broken host fails a test instead of hanging the run.

import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {encodeFrame, FrameDecoder, type FrameHeader} from '../../src/net/frame.js';
import {
  createSandboxPool,
  type SandboxPool,
  type SandboxResult,
  type SandboxTask,
} from '../../src/net/sandbox/pool.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOST = join(ROOT, 'dist', 'sandbox-host.js');
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const TEST_TIMEOUT_MS = 20_000;

let pool: SandboxPool;
let nextId = 0;

before(() => {
  ensureHostBuilt();
  pool = createSandboxPool();
});

after(() => pool.close());

function ensureHostBuilt(): void {
  const sources = [join(ROOT, 'src/net/frame.ts'), join(ROOT, 'src/net/errors.ts')];
  const sandbox = join(ROOT, 'src/net/sandbox');
  for (const file of readdirSync(sandbox)) sources.push(join(sandbox, file));
  const builtAt = existsSync(HOST) ? statSync(HOST).mtimeMs : 0;
  if (sources.every((file) => statSync(file).mtimeMs < builtAt)) return;
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.js')], {cwd: ROOT, encoding: 'utf8'});
  if (build.status !== 0) throw new Error(`build failed:\n${build.stderr}`);
}

function task(code: string, overrides: Partial<SandboxTask> = {}): SandboxTask {
  return {id: `t${nextId++}`, code, fn: 'main', args: [], timeoutMs: 2000, ...overrides};
}

function run(code: string, overrides: Partial<SandboxTask> = {}, on = pool): Promise<SandboxResult> {
  return on.run(task(code, overrides));
}

async function value(code: string, overrides: Partial<SandboxTask> = {}): Promise<unknown> {
  const result = await run(code, overrides);
  assert.ok(result.ok, `expected a result, got ${JSON.stringify(result)}`);
  return result.result;
}

async function failureCode(code: string, overrides: Partial<SandboxTask> = {}, on = pool): Promise<string> {
  const result = await run(code, overrides, on);
  assert.ok(!result.ok, `expected a failure, got ${JSON.stringify(result)}`);
  return result.code;
}

/** The pids of this process's children (Linux). */
function childPids(): number[] {
  const text = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8');
  return text.trim() === '' ? [] : text.trim().split(/\s+/).map(Number);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const options = {timeout: TEST_TIMEOUT_MS};

test('results and args round-trip as JSON', options, async () => {
  const args = [1, 'two', {three: [3, null, true]}, -0.5, 'ä€😀'];
  const result = await run('function main(...args) { return {args, count: args.length} }', {args});
  assert.ok(result.ok);
  assert.deepEqual(result.result, {args, count: 5});
  assert.equal(result.resultJson, JSON.stringify({args, count: 5}));
  assert.ok(result.execMs >= 0);
  assert.equal(await value('function main() {}'), null, 'undefined comes back as null');
});

test('an async function is awaited, and its rejection is a throw', options, async () => {
  assert.equal(await value('async function main(x) { await null; return x * 2 }', {args: [21]}), 42);
  const result = await run('async function main() { await null; throw new RangeError("late") }');
  assert.ok(!result.ok);
  assert.equal(result.code, 'ETHROW');
  assert.equal(result.message, 'RangeError: late');
});

test('the function may be a const binding or any other name', options, async () => {
  assert.equal(await value('const main = (a, b) => a * b', {args: [6, 7]}), 42);
  assert.equal(
    await value('class Box {}\nlet other = () => typeof Box;\nfunction main() {}', {fn: 'other'}),
    'function',
  );
  assert.equal(await failureCode('function main() {}', {fn: 'missing'}), 'ENOFN');
  assert.equal(await failureCode('const main = 5'), 'ENOFN');
  assert.equal(await failureCode('function main() {}', {fn: 'main()'}), 'EINVAL');
});

test('code that does not compile is a syntax error', options, async () => {
  const result = await run('function main( {');
  assert.ok(!result.ok);
  assert.equal(result.code, 'ESYNTAX');
  assert.match(result.message, /SyntaxError/);
  assert.equal(
    await failureCode('function main() {} /*'),
    'ESYNTAX',
    'an open comment cannot swallow the lookup',
  );
});

test('a throw comes back with its name, message and the task frames of its stack', options, async () => {
  const result = await run(
    'function helper() { throw new TypeError("bad input") }\nfunction main() { helper() }',
  );
  assert.ok(!result.ok);
  assert.equal(result.code, 'ETHROW');
  assert.equal(result.name, 'TypeError');
  assert.equal(result.message, 'TypeError: bad input');
  assert.match(result.stack ?? '', /at helper \(task\.js:1:\d+\)\n\s+at main \(task\.js:2:\d+\)/);
  assert.doesNotMatch(result.stack ?? '', /bootstrap|node:|\/work\//);
  // a value that is no error says what was thrown, without a made-up Error name
  for (const [thrown, message] of [
    ['"just a string"', 'threw "just a string"'],
    ['5', 'threw 5'],
    ['{code: 7}', 'threw {"code":7}'],
    ['null', 'threw null'],
    ['(() => { const o = {}; o.o = o; return o })()', 'threw an object that is not JSON'],
  ]) {
    const failure = await run(`function main() { throw ${thrown} }`);
    assert.ok(!failure.ok);
    assert.equal(failure.code, 'ETHROW');
    assert.equal(failure.message, message, `throw ${thrown}`);
    assert.equal(failure.name, undefined, `throw ${thrown}`);
  }
  const top = await run('throw new Error("at load")\nfunction main() {}');
  assert.ok(!top.ok);
  assert.equal(top.code, 'ETHROW');
  assert.equal(top.message, 'Error: at load');
});

test('an infinite loop times out, and the next task runs', options, async () => {
  const start = performance.now();
  const result = await run('function main() { for (;;); }', {timeoutMs: 150});
  assert.ok(!result.ok);
  assert.equal(result.code, 'ETIMEDOUT');
  assert.ok(performance.now() - start < 1500, 'stopped by isolated-vm, well before the pool kill');
  assert.equal(
    await failureCode('async function main() { await null; for (;;); }', {timeoutMs: 100}),
    'ETIMEDOUT',
  );
  assert.equal(await failureCode('for (;;);', {timeoutMs: 100}), 'ETIMEDOUT', 'a loop at load');
  assert.equal(await failureCode('function main() { return new Promise(() => {}) }'), 'ETIMEDOUT');
  assert.equal(await value('function main() { return "alive" }'), 'alive');
});

test('a memory bomb is stopped by the memory limit, and the next task runs', options, async () => {
  const bomb = await run('function main() { let a = []; for (;;) a.push(new Array(1e6).fill(1)); }', {
    timeoutMs: 10_000,
  });
  assert.ok(!bomb.ok);
  assert.equal(bomb.code, 'ENOMEM');
  assert.match(bomb.message, /memory limit \(64 MB\)/);
  assert.equal(await value('function main() { return 1 + 1 }'), 2);
  // one allocation past the limit ends the host process, not just the isolate
  const single = await run('function main() { return new Array(1e8).fill(0).length }', {timeoutMs: 10_000});
  assert.ok(!single.ok);
  assert.equal(single.code, 'ENOMEM');
  assert.equal(await value('function main() { return "after" }'), 'after');
  const small = await run('function main() { let a = []; for (;;) a.push(new Array(1e5).fill(1)); }', {
    memoryMb: 16,
    timeoutMs: 10_000,
  });
  assert.ok(!small.ok);
  assert.match(small.message, /memory limit \(16 MB\)/);
});

test('escape attempts find nothing outside ECMAScript', options, async () => {
  const thrown = [
    'function main() { return require("fs") }',
    'function main() { return process.pid }',
    'function main() { return globalThis.constructor.constructor("return process")().pid }',
    'function main() { return this.constructor.constructor("return process")().pid }',
    'function main() { return fetch("http://127.0.0.1/") }',
    'function main() { return setTimeout(() => {}, 1) }',
    'function main() { return new WebAssembly.Memory({initial: 1}) }',
    'async function main() { return await import("fs") }',
    'function main() { return Atomics.waitAsync(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10) }',
  ];
  for (const code of thrown) assert.equal(await failureCode(code), 'ETHROW', code);
  const imported = await run('async function main() { return await import("node:fs") }');
  assert.ok(!imported.ok);
  assert.match(imported.message, /import\(\) cannot load modules in the sandbox/);
  const globals = await value('function main() { return Object.getOwnPropertyNames(globalThis).sort() }');
  for (const name of [
    'console',
    'WebAssembly',
    'FinalizationRegistry',
    'process',
    'require',
    'setTimeout',
    'fetch',
  ])
    assert.ok(!(globals as string[]).includes(name), name);
  // stack frames show no host file and hand out no bootstrap function
  const frames = await value(`function main() {
    Error.prepareStackTrace = (error, frames) =>
      frames.map((frame) => [frame.getScriptNameOrSourceURL(), typeof frame.getFunction()]);
    return new Error().stack;
  }`);
  assert.deepEqual(frames, [
    ['task.js', 'function'],
    ['p2pos-sandbox-bootstrap.js', 'undefined'],
  ]);
  // a thrown value whose properties loop is read under the time limit, not by the host
  assert.equal(
    await failureCode('function main() { throw {get message() { for (;;); }} }', {timeoutMs: 100}),
    'ETIMEDOUT',
  );
  assert.equal(
    await failureCode(
      'function main() { Error.prepareStackTrace = () => { for (;;); }; throw new Error("x") }',
      {
        timeoutMs: 100,
      },
    ),
    'ETIMEDOUT',
  );
  // replacing JSON or Reflect does not change how the result is serialised
  assert.deepEqual(
    await value(
      'function main() { JSON.stringify = () => "forged"; Reflect.apply = null; return {real: true} }',
    ),
    {real: true},
  );
  assert.equal(pool.stats().restarts, 1, 'only the one-allocation memory bomb cost a host');
});

test('a result that is not JSON is refused with the reason', options, async () => {
  const cases: [string, RegExp][] = [
    ['function main() { return () => 1 }', /a function/],
    ['function main() { return 10n }', /BigInt/],
    ['function main() { const a = {}; a.self = a; return a }', /circular/],
    ['function main() { return Symbol("s") }', /a symbol/],
    ['function main() { return {deep: {f() {}}} }', /a function at key "f"/],
  ];
  for (const [code, reason] of cases) {
    const result = await run(code);
    assert.ok(!result.ok, code);
    assert.equal(result.code, 'ENOTJSON', code);
    assert.match(result.message, /^Result is not JSON-serialisable: /);
    assert.match(result.message, reason, code);
  }
});

test('a result over the output limit is too big', options, async () => {
  assert.equal(await failureCode('function main() { return "x".repeat(2 * 1024 * 1024) }'), 'E2BIG');
  const small = createSandboxPool({maxOutputBytes: 100});
  try {
    assert.equal(
      await failureCode('function main() { return "é".repeat(60) }', {}, small),
      'E2BIG',
      'bytes, not characters',
    );
    assert.equal((await run('function main() { return "é".repeat(40) }', {}, small)).ok, true);
  } finally {
    await small.close();
  }
});

test('a malformed task is refused before it is queued', options, async () => {
  assert.equal(await failureCode('function main() {}', {timeoutMs: 0}), 'EINVAL');
  assert.equal(await failureCode('function main() {}', {args: [1n]}), 'EINVAL');
  assert.equal(await failureCode('function main() {}', {memoryMb: 2}), 'EINVAL');
  const long = pool.run(task('function main() { return 1 }', {id: 'same'}));
  assert.equal(await failureCode('function main() {}', {id: 'same'}), 'EINVAL');
  assert.equal((await long).ok, true);
});

test('cancel stops a queued task and a running infinite loop', options, async () => {
  const restarts = pool.stats().restarts;
  const loop = pool.run(task('function main() { for (;;); }', {id: 'loop', timeoutMs: 15_000}));
  const queued = pool.run(task('function main() { return "never" }', {id: 'queued'}));
  const after = pool.run(task('function main() { return "after" }', {id: 'after'}));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(pool.stats().running, 1);
  assert.equal(pool.cancel('queued'), true);
  assert.equal((await queued).ok, false);
  const start = performance.now();
  assert.equal(pool.cancel('loop'), true);
  const stopped = await loop;
  assert.ok(!stopped.ok);
  assert.equal(stopped.code, 'ECANCELED');
  const afterResult = await after;
  assert.ok(afterResult.ok, JSON.stringify(afterResult));
  assert.equal(afterResult.result, 'after');
  assert.ok(performance.now() - start < 3000, 'the loop was stopped, not waited for');
  assert.equal(pool.stats().restarts, restarts + 1, 'the running loop cost its host');
  assert.equal(pool.cancel('loop'), false, 'a finished task cannot be canceled');
});

test('a host killed from outside fails its task with ECRASH and is replaced', options, async () => {
  const existing = new Set(childPids());
  const own = createSandboxPool();
  try {
    await own.run(task('function main() { return 0 }'));
    const [pid, ...others] = childPids().filter((child) => !existing.has(child));
    assert.ok(pid !== undefined && others.length === 0);
    const running = own.run(task('function main() { for (;;); }', {timeoutMs: 15_000}));
    const waiting = own.run(task('function main() { return "still runs" }'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(pid, 'SIGKILL');
    const crashed = await running;
    assert.ok(!crashed.ok);
    assert.equal(crashed.code, 'ECRASH');
    assert.match(crashed.message, /SIGKILL/);
    const next = await waiting;
    assert.ok(next.ok, JSON.stringify(next));
    assert.equal(next.result, 'still runs');
    assert.equal(own.stats().restarts, 1);
  } finally {
    await own.close();
  }
});

test(
  'quick code lets the host write results together, and a crash among them blames the right task',
  options,
  async () => {
    const existing = new Set(childPids());
    const lines: string[] = [];
    // quickMs: even on a loaded machine the first run (which loads the code) counts as quick
    const own = createSandboxPool({log: (line) => lines.push(line), quickMs: 5_000});
    try {
      const code = 'function main(n) { if (n < 0) for (;;); return n }';
      // ran quickly once: from now on the host may keep results back before this code's tasks
      assert.equal(await value(code, {args: [0], isolation: 'warm'}), 0);
      const [pid] = childPids().filter((child) => !existing.has(child));
      assert.ok(pid !== undefined);
      const runs = [1, 2, 3, -1, 4].map((n) =>
        own.run(task(code, {args: [n], isolation: 'warm', timeoutMs: n < 0 ? 700 : 5_000})),
      );
      await new Promise((resolve) => setTimeout(resolve, 150));
      process.kill(pid, 'SIGKILL'); // while -1 loops, with the results of 1, 2 and 3 perhaps kept back
      const results = await Promise.all(runs);
      assert.deepEqual(
        results.map((result) => (result.ok ? result.result : result.code)),
        [1, 2, 3, 'ETIMEDOUT', 4],
        'the finished tasks are not blamed for the crash; the loop runs again and times out',
      );
      assert.ok(
        lines.some((line) => /running one of 5 tasks that kept results back/.test(line)),
        lines.join('\n'),
      );
    } finally {
      await own.close();
    }
    async function value(code: string, overrides: Partial<SandboxTask>): Promise<unknown> {
      const result = await own.run(task(code, overrides));
      assert.ok(result.ok, JSON.stringify(result));
      return result.result;
    }
  },
);

test('warm contexts keep globals per scope and code; fresh ones keep nothing', options, async () => {
  const counter =
    'let count = 0;\nfunction main() { globalThis.calls = (globalThis.calls ?? 0) + 1; return [++count, calls] }';
  const warm = {isolation: 'warm' as const, scope: 'peer-a'};
  assert.deepEqual(await value(counter, warm), [1, 1]);
  assert.deepEqual(await value(counter, warm), [2, 2]);
  assert.deepEqual(
    await value(counter, {...warm, scope: 'peer-b'}),
    [1, 1],
    'another scope, another context',
  );
  assert.deepEqual(await value(`${counter}\n// other code`, warm), [1, 1], 'other code, another context');
  assert.deepEqual(await value(counter, warm), [3, 3]);
  assert.deepEqual(await value(counter), [1, 1]);
  assert.deepEqual(await value(counter), [1, 1], 'fresh');
  // a warm context that timed out is dropped, not reused half-updated
  const partial = 'let n = 0;\nfunction main(spin) { n++; if (spin) for (;;); return n }';
  assert.equal(await value(partial, {...warm, args: [false]}), 1);
  assert.equal(await failureCode(partial, {...warm, args: [true], timeoutMs: 100}), 'ETIMEDOUT');
  assert.equal(await value(partial, {...warm, args: [false]}), 1);
});

test('warm contexts holding over half the memory limit are dropped for the others', options, async () => {
  const warm = {isolation: 'warm' as const};
  const hog =
    'let kept; let calls = 0;\nfunction main() { kept ??= new Array(4.5e6).fill(1.5); return ++calls }';
  const small = 'let calls = 0;\nfunction main() { return ++calls }';
  assert.equal(await value(hog, {...warm, scope: 'hog'}), 1);
  assert.equal(await value(hog, {...warm, scope: 'hog'}), 2);
  for (let call = 1; call <= 20; call++) assert.equal(await value(small, {...warm, scope: 'small'}), call);
  assert.equal(await value(hog, {...warm, scope: 'hog'}), 1, 'the 36 MB context was dropped');
});

test('the pool kills a host that stops answering and fails the task with ETIMEDOUT', options, async () => {
  const silent = createSandboxPool({hostPath: join(FIXTURES, 'silent-sandbox-host.mjs')});
  try {
    const start = performance.now();
    const result = await silent.run(task('function main() {}', {timeoutMs: 100}));
    assert.ok(!result.ok);
    assert.equal(result.code, 'ETIMEDOUT');
    assert.ok(performance.now() - start < 2000);
    assert.equal(silent.stats().restarts, 1);
  } finally {
    await silent.close();
  }
});

test('a host that cannot start fails the waiting tasks with ECRASH after a few tries', options, async () => {
  const lines: string[] = [];
  const dead = createSandboxPool({
    hostPath: join(FIXTURES, 'dead-sandbox-host.mjs'),
    log: (line) => lines.push(line),
  });
  try {
    const result = await dead.run(task('function main() {}'));
    assert.ok(!result.ok);
    assert.equal(result.code, 'ECRASH');
    assert.match(result.message, /did not start: dead host: cannot load the sandbox/);
    assert.ok(lines.some((line) => line.includes('cannot load the sandbox')));
  } finally {
    await dead.close();
  }
});

test('the host answers a bad message with an error and keeps running', options, async () => {
  const host = spawn(process.execPath, ['--no-node-snapshot', HOST, '{}'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const decoder = new FrameDecoder();
  const headers: FrameHeader[] = [];
  let onHeader = () => {};
  host.stdout.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) headers.push(frame.header);
    onHeader();
  });
  const until = (count: number) =>
    new Promise<void>((resolve) => {
      onHeader = () => headers.length >= count && resolve();
      onHeader();
    });
  const exited = new Promise<number | null>((resolve) => host.on('close', resolve));
  try {
    host.stdin.write(encodeFrame({type: 'shout'}));
    host.stdin.write(
      encodeFrame({type: 'run', id: 7, code: 'function main() {}', fn: 'main', timeoutMs: -1}),
    );
    host.stdin.write(encodeFrame({type: 'run', id: 'eight'}));
    const run = {type: 'run', id: 9, code: 'const main = (a) => a', fn: 'main', timeoutMs: 500, memoryMb: 64};
    host.stdin.write(encodeFrame({...run, isolation: 'fresh', scope: ''}, Buffer.from('[5]')));
    await until(5);
    assert.equal(headers[0]?.type, 'ready');
    assert.match(String(headers[1]?.message), /Unknown message type "shout"/);
    assert.equal(headers[2]?.code, 'EINVAL');
    assert.equal(headers[2]?.id, 7);
    assert.equal(headers[3]?.type, 'error');
    assert.deepEqual([headers[4]?.id, headers[4]?.ok], [9, true]);
    host.stdin.end();
    assert.equal(await exited, 0, 'it exits when its stdin closes');
  } finally {
    host.kill('SIGKILL');
  }
});

test('close fails unfinished tasks with ECLOSED and ends the hosts', options, async () => {
  const existing = new Set(childPids());
  const own = createSandboxPool({size: 2});
  const running = [1, 2, 3].map(() => own.run(task('function main() { for (;;); }', {timeoutMs: 15_000})));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const hosts = childPids().filter((pid) => !existing.has(pid));
  assert.equal(hosts.length, 2);
  assert.equal(own.stats().hosts, 2);
  await own.close();
  for (const result of await Promise.all(running)) {
    assert.ok(!result.ok);
    assert.equal(result.code, 'ECLOSED');
  }
  for (const pid of hosts) assert.equal(isAlive(pid), false, `host ${pid} is gone`);
  assert.equal((await own.run(task('function main() {}'))).ok, false);
});
