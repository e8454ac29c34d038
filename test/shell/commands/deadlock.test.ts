// res, banker and deadlock driven through the command runner: the textbook's Banker's example, and
// deadlocks built from programs, detected and recovered from.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {Context} from '../../../src/shell/command.js';
import {createTestContext, kernelState, runFails, runOk} from '../../support/shell-context.js';

/**
 * The five-process, three-resource Banker's example (Silberschatz, OSC 8.6.3) set up through commands:
 * P0..P4 are pids 2..6, each with a burst long enough to stay alive throughout.
 */
async function fiveProcessExample(context: Context): Promise<void> {
  await runOk(context, 'res create A 10; res create B 5; res create C 7');
  for (const name of ['P0', 'P1', 'P2', 'P3', 'P4']) await runOk(context, `spawn ${name} --burst 1000`);
  // max
  await runOk(context, 'res claim 2 A=7 B=5 C=3; res claim 3 A=3 B=2 C=2; res claim 4 A=9 C=2');
  await runOk(context, 'res claim 5 A=2 B=2 C=2; res claim 6 A=4 B=3 C=3');
  // allocation, one request at a time; each intermediate state is safe
  await runOk(context, 'res request 2 B=1; res request 3 A=2; res request 4 A=3 C=2');
  await runOk(context, 'res request 5 A=2 B=1 C=1; res request 6 C=2');
}

/** Two processes that each take one semaphore and then wait for the other's (round robin, quantum 1). */
async function semaphoreDeadlock(): Promise<Context> {
  const context = createTestContext({scheduler: 'rr', schedulerOptions: {quantum: 1}});
  await runOk(context, 'sem create A; sem create B');
  await runOk(context, "spawn p --prog 'sem wait A, cpu 2, sem wait B, cpu 1, sem signal B, sem signal A'");
  await runOk(context, "spawn q --prog 'sem wait B, cpu 2, sem wait A, cpu 1, sem signal A, sem signal B'");
  await runOk(context, 'tick 4');
  assert.equal(context.kernel.process(2)?.waitingOn, 'sem B');
  assert.equal(context.kernel.process(3)?.waitingOn, 'sem A');
  return context;
}

test("banker prints the textbook's safe sequence P1, P3, P4, P0, P2 as pids 3, 5, 6, 2, 4", async () => {
  const context = createTestContext();
  await fiveProcessExample(context);
  const {lines, data} = await runOk(context, 'banker');
  assert.deepEqual(lines, [
    'safe: yes, sequence 3, 5, 6, 2, 4',
    'available: A=3 B=3 C=2',
    'PID  NAME  MAX    ALLOCATION  NEED   STATE',
    '           A B C  A B C       A B C',
    '  2  P0    7 5 3  0 1 0       7 4 3',
    '  3  P1    3 2 2  2 0 0       1 2 2',
    '  4  P2    9 0 2  3 0 2       6 0 0',
    '  5  P3    2 2 2  2 1 1       0 1 1',
    '  6  P4    4 3 3  0 0 2       4 3 1',
  ]);
  assert.equal(data.safe, true);
  assert.deepEqual(data.sequence, [3, 5, 6, 2, 4]);
  assert.deepEqual(data.stuck, []);
  assert.deepEqual(data.available, [3, 3, 2]);
  assert.deepEqual(data.resources, [
    {name: 'A', total: 10, available: 3},
    {name: 'B', total: 5, available: 3},
    {name: 'C', total: 7, available: 2},
  ]);
});

test("res request follows the textbook: P1's (1,0,2) is granted, P4's (3,3,0) waits, P0's (0,2,0) is refused", async () => {
  const context = createTestContext();
  await fiveProcessExample(context);
  assert.deepEqual(await runOk(context, 'res request 3 A=1 C=2'), {
    lines: ['granted (safe sequence: 3, 5, 6, 2, 4)'],
    data: {pid: 3, request: {A: 1, C: 2}, outcome: 'granted', sequence: [3, 5, 6, 2, 4]},
  });
  const waiting = await runOk(context, 'res request 6 A=3 B=3');
  assert.deepEqual(waiting.lines, [
    'pid 6 waits: Request (3,3,0) by pid 6 exceeds available (2,3,0): needs A=3 but only 2 available.',
  ]);
  assert.deepEqual(waiting.data, {
    pid: 6,
    request: {A: 3, B: 3},
    outcome: 'waiting',
    reason: 'Request (3,3,0) by pid 6 exceeds available (2,3,0): needs A=3 but only 2 available.',
  });
  assert.equal(context.kernel.process(6)?.state, 'waiting');
  const before = kernelState(context);
  const refused = await runFails(context, 'res request 2 B=2', 'EDEADLK');
  assert.equal(
    refused,
    'Refused as unsafe: Granting (0,2,0) to pid 2 would leave an unsafe state: pids 2, 3, 4, 5, 6 could not finish.',
  );
  assert.deepEqual(kernelState(context), before);
});

test('res release gives units back and names the waiters it woke', async () => {
  const context = createTestContext();
  await fiveProcessExample(context);
  await runOk(context, 'res request 3 A=1 C=2; res request 6 A=3 B=3');
  assert.deepEqual(await runOk(context, 'res release 3 A=3 C=2'), {
    lines: ['pid 3 released A=3 C=2 (woke pid 6)'],
    data: {pid: 3, released: {A: 3, C: 2}, woke: [6]},
  });
  assert.equal(context.kernel.process(6)?.state, 'ready');
  assert.deepEqual((await runOk(context, 'res release 6 B=1')).lines, ['pid 6 released B=1']);
});

test('res ls prints the resources, the matrices and whether avoidance is on', async () => {
  const context = createTestContext();
  await fiveProcessExample(context);
  await runOk(context, 'res request 3 A=1 C=2; res request 6 A=3 B=3');
  const {lines, data} = await runOk(context, 'res ls');
  assert.deepEqual(lines, [
    'NAME  TOTAL  AVAILABLE',
    'A        10          2',
    'B         5          3',
    'C         7          0',
    '',
    'PID  NAME  MAX    ALLOCATION  NEED   STATE',
    '           A B C  A B C       A B C',
    '  2  P0    7 5 3  0 1 0       7 4 3',
    '  3  P1    3 2 2  3 0 2       0 2 0',
    '  4  P2    9 0 2  3 0 2       6 0 0',
    '  5  P3    2 2 2  2 1 1       0 1 1',
    '  6  P4    4 3 3  0 0 2       4 3 1  waiting',
    '',
    'available: A=2 B=3 C=0',
    'avoidance: on',
  ]);
  assert.deepEqual(data, {...context.kernel.resourceViews(), avoidance: true});
});

test('res create, claim, ls and avoid report what they did', async () => {
  const context = createTestContext();
  assert.deepEqual(await runOk(context, 'res'), {
    lines: ['no resources', 'avoidance: on'],
    data: {resources: [], processes: [], avoidance: true},
  });
  assert.deepEqual(await runOk(context, 'res create printer 2'), {
    lines: ['created resource printer (2 instances)'],
    data: {name: 'printer', total: 2, available: 2},
  });
  await runOk(context, 'spawn job --burst 10');
  assert.deepEqual(await runOk(context, 'res claim 2 printer=2'), {
    lines: ['pid 2 claims printer=2'],
    data: {pid: 2, claim: {printer: 2}},
  });
  assert.deepEqual(await runOk(context, 'res avoid'), {lines: ['avoidance: on'], data: {avoidance: true}});
  assert.deepEqual(await runOk(context, 'res avoid off'), {
    lines: ['avoidance: off (was on)'],
    data: {avoidance: false},
  });
  assert.equal(context.kernel.avoidance, false);
  assert.deepEqual((await runOk(context, 'res request 2 printer=1')).data, {
    pid: 2,
    request: {printer: 1},
    outcome: 'granted',
  });
});

test('banker reports an unsafe state reached with avoidance off', async () => {
  const context = createTestContext();
  await runOk(
    context,
    'res create R 2; spawn a --burst 50; spawn b --burst 50; res claim 2 R=2; res claim 3 R=2',
  );
  await runOk(context, 'res avoid off; res request 2 R=1; res request 3 R=1');
  const {lines, data} = await runOk(context, 'banker');
  assert.equal(lines[0], 'safe: no; pids 2, 3 cannot finish');
  assert.equal(data.safe, false);
  assert.deepEqual(data.stuck, [2, 3]);
  assert.deepEqual(data.available, [0]);
});

test('banker with no claims says the state is trivially safe', async () => {
  const context = createTestContext();
  await runOk(context, 'res create R 1');
  assert.deepEqual(await runOk(context, 'banker'), {
    lines: ['safe: yes (no process claims or holds resources)', 'available: R=1'],
    data: {
      safe: true,
      sequence: [],
      stuck: [],
      available: [1],
      resources: [{name: 'R', total: 1, available: 1}],
      processes: [],
    },
  });
});

test('res rejects bad input with one clear line and changes nothing', async () => {
  const context = createTestContext();
  await fiveProcessExample(context);
  const before = kernelState(context);
  assert.match(await runFails(context, 'res create A 3', 'EEXIST'), /already exists/);
  assert.match(await runFails(context, 'res create D 0', 'EUSAGE'), /Bad count `0`/);
  assert.match(await runFails(context, 'res create D', 'EUSAGE'), /Missing argument/);
  assert.match(await runFails(context, 'res claim 2 A', 'EUSAGE'), /Bad amount: expected R=N, got `A`/);
  assert.match(await runFails(context, 'res claim 2 A=1x', 'EUSAGE'), /Bad amount: expected R=N, got `A=1x`/);
  assert.match(await runFails(context, 'res claim 2 A=-1', 'EUSAGE'), /Bad amount: expected R=N, got `A=-1`/);
  assert.match(await runFails(context, 'res claim 2', 'EUSAGE'), /Missing argument/);
  assert.match(await runFails(context, 'res claim two A=1', 'EUSAGE'), /Bad pid `two`/);
  assert.match(await runFails(context, 'res claim 2 A=11', 'EINVAL'), /exceeds the 10 that exist/);
  assert.match(await runFails(context, 'res claim 2 Z=1', 'ENOENT'), /No resource named `Z`/);
  assert.match(await runFails(context, 'res claim 99 A=1', 'ESRCH'), /Process 99 does not exist/);
  // A valid amount followed by a bad one: nothing from the valid one may stick.
  assert.match(await runFails(context, 'res claim 2 A=1 Z=1', 'ENOENT'), /No resource named `Z`/);
  assert.match(await runFails(context, 'res request 3 A=2', 'EPERM'), /exceeds its need/);
  assert.match(await runFails(context, 'res request 3 Z=1', 'ENOENT'), /No resource named `Z`/);
  assert.match(await runFails(context, 'res release 3 A=5', 'EINVAL'), /holds A=2, cannot release 5/);
  assert.match(await runFails(context, 'res release 3 A=1 B=1', 'EINVAL'), /holds B=0, cannot release 1/);
  // a resource named twice is refused, as an option given twice is, rather than the amounts added up
  for (const sub of ['claim 2', 'request 3', 'release 3'])
    assert.match(
      await runFails(context, `res ${sub} A=1 B=1 A=2`, 'EUSAGE'),
      /^Bad amount: resource A given twice: `A=1` and `A=2`\. Usage: /,
    );
  assert.match(
    await runFails(context, "spawn x --prog 'req A=1 A=1, rel A=2'", 'EINVAL'),
    /^Program op 1 `req A=1 A=1`: resource A given twice: `A=1` and `A=1`\.$/,
  );
  assert.match(await runFails(context, 'res avoid maybe', 'EUSAGE'), /Unknown avoidance setting `maybe`/);
  assert.match(await runFails(context, 'res grab 2 A=1', 'EUSAGE'), /Unknown res subcommand `grab`/);
  assert.match(await runFails(context, 'res ls --all', 'EUSAGE'), /Unknown option `--all`/);
  assert.deepEqual(kernelState(context), before);
});

test('deadlock lists the wait-for edges, the cycle and both deadlocked processes', async () => {
  const context = await semaphoreDeadlock();
  const {lines, data} = await runOk(context, 'deadlock');
  assert.deepEqual(lines, ['2 -> 3 via sem B', '3 -> 2 via sem A', 'cycle: 2 -> 3 -> 2', 'deadlocked: 2, 3']);
  assert.deepEqual(data, {
    deadlocked: [2, 3],
    stuck: [],
    edges: [
      {from: 2, to: 3, via: 'sem B'},
      {from: 3, to: 2, via: 'sem A'},
    ],
    cycles: [[2, 3]],
  });
  assert.match(await runFails(context, 'wait all', 'ESTALL'), /pids 2 and 3 deadlocked/);
});

test('deadlock --recover kills one victim, and the other then finishes', async () => {
  const context = await semaphoreDeadlock();
  const {lines, data} = await runOk(context, 'deadlock --recover');
  const reason = 'deadlocked with 2; lowest priority (0) and least CPU used (2), as 2; then the highest pid';
  assert.deepEqual(lines.slice(-2), ['deadlocked: 2, 3', `killed pid 3 (q): ${reason}`]);
  assert.deepEqual(data.victims, [{pid: 3, name: 'q', reason}]);
  assert.deepEqual(data.deadlocked, [2, 3]);
  assert.equal(context.kernel.process(3)?.exitReason, 'deadlock recovery');
  assert.deepEqual((await runOk(context, 'deadlock')).lines, ['no deadlock']);
  await runOk(context, 'wait all');
  assert.equal(context.kernel.process(2)?.exitStatus, 0);
  assert.deepEqual(
    context.kernel.semaphoreViews().map((s) => s.value),
    [1, 1],
  );
  // the victim did not finish its work: sched stats counts it as killed, outside the averages
  const stats = context.kernel.schedulerStats();
  assert.deepEqual([stats.finished, stats.killed], [1, 1]);
});

test('deadlock --recover with nothing deadlocked says so and is not an error', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn a --burst 5');
  const before = kernelState(context);
  assert.deepEqual(await runOk(context, 'deadlock --recover'), {
    lines: ['no deadlock', 'nothing to recover'],
    data: {deadlocked: [], stuck: [], edges: [], cycles: [], victims: []},
  });
  assert.deepEqual(kernelState(context), before);
});

test('deadlock lists processes only the shell can wake apart from the deadlocked', async () => {
  const context = createTestContext();
  await runOk(context, "sem create S 0; spawn w --prog 'sem wait S, cpu 1'; tick 1");
  const {lines, data} = await runOk(context, 'deadlock --recover');
  assert.deepEqual(lines, [
    'no deadlock',
    'blocked forever, only the shell can wake them: 2',
    'nothing to recover',
  ]);
  assert.deepEqual(data.stuck, [2]);
  await runOk(context, 'sem signal S; wait all');
});

test('a resource deadlock with avoidance off shows edges via the resources', async () => {
  const context = createTestContext({scheduler: 'rr', schedulerOptions: {quantum: 1}});
  await runOk(context, 'res create R1 1; res create R2 1; res avoid off');
  await runOk(context, "spawn p --prog 'req R1=1, cpu 2, req R2=1, cpu 1, rel R2=1, rel R1=1'");
  await runOk(context, "spawn q --prog 'req R2=1, cpu 2, req R1=1, cpu 1, rel R1=1, rel R2=1'");
  await runOk(context, 'tick 4');
  const {lines} = await runOk(context, 'deadlock');
  assert.deepEqual(lines, [
    '2 -> 3 via res R2',
    '3 -> 2 via res R1',
    'cycle: 2 -> 3 -> 2',
    'deadlocked: 2, 3',
  ]);
  await runOk(context, 'deadlock --recover; wait all');
  assert.equal(context.kernel.liveProcesses, 0);
});

test('deadlock takes no arguments', async () => {
  const context = createTestContext();
  await runFails(context, 'deadlock now', 'EUSAGE');
  await runFails(context, 'deadlock --kill', 'EUSAGE');
});

test('the recovery reason names the rule that chose the victim: priority, then CPU used, then pid', async () => {
  const context = createTestContext();
  await runOk(context, 'sched rr --quantum 1; sem create A; sem create B');
  // q has the lower priority (the smaller number): it is chosen for that alone
  await runOk(
    context,
    "spawn p --priority 1 --prog 'sem wait A, cpu 2, sem wait B, cpu 1, sem signal B, sem signal A'",
  );
  await runOk(
    context,
    "spawn q --priority 0 --prog 'sem wait B, cpu 2, sem wait A, cpu 1, sem signal A, sem signal B'",
  );
  await runOk(context, 'tick 8');
  const {data} = await runOk(context, 'deadlock --recover');
  assert.match(
    (data.victims as {reason: string}[])[0]!.reason,
    /^deadlocked with \d; lowest priority \(\d\) among them$/,
  );
});
