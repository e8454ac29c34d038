// sem and mq driven through the command runner: the shell's own blocking waits, and waits on behalf of processes.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createTestContext, kernelState, runFails, runOk} from '../../support/shell-context.js';

test('sem create makes counting and binary semaphores that sem ls lists', async () => {
  const context = createTestContext();
  assert.deepEqual(await runOk(context, 'sem create S'), {
    lines: ['created semaphore S (value 1)'],
    data: {name: 'S', value: 1, isBinary: false},
  });
  assert.deepEqual((await runOk(context, 'sem create slots 3')).data, {
    name: 'slots',
    value: 3,
    isBinary: false,
  });
  assert.deepEqual((await runOk(context, 'sem create mutex 0 --binary')).lines, [
    'created binary semaphore mutex (value 0)',
  ]);
  const {lines, data} = await runOk(context, 'sem ls');
  assert.deepEqual(lines, [
    'NAME   VALUE  TYPE      HOLDERS  WAITERS',
    'S          1  counting  -        -',
    'slots      3  counting  -        -',
    'mutex      0  binary    -        -',
  ]);
  assert.deepEqual(data.semaphores, [
    {name: 'S', value: 1, initial: 1, isBinary: false, waiters: [], holders: []},
    {name: 'slots', value: 3, initial: 3, isBinary: false, waiters: [], holders: []},
    {name: 'mutex', value: 0, initial: 0, isBinary: true, waiters: [], holders: []},
  ]);
});

test('sem with no subcommand lists, and says so when there are none', async () => {
  const context = createTestContext();
  assert.deepEqual(await runOk(context, 'sem'), {lines: ['no semaphores'], data: {semaphores: []}});
});

test('the shell takes a free unit at once and gives it back with sem signal', async () => {
  const context = createTestContext();
  await runOk(context, 'sem create S');
  assert.deepEqual(await runOk(context, 'sem wait S'), {
    lines: ['took S'],
    data: {name: 'S', pid: 0, outcome: 'taken', value: 0, waited: 0},
  });
  assert.match((await runOk(context, 'sem ls')).lines[1]!, /^S\s+0\s+counting\s+shell\s+-$/);
  assert.deepEqual(await runOk(context, 'sem signal S'), {
    lines: ['signalled S (value 1)'],
    data: {name: 'S', pid: 0, value: 1, woke: null},
  });
});

test('a shell sem wait lets time pass until a process signals', async () => {
  const context = createTestContext();
  await runOk(context, "sem create S 0; spawn poster --prog 'cpu 3, sem signal S, cpu 2'");
  const {lines, data} = await runOk(context, 'sem wait S');
  assert.deepEqual(lines, ['took S after 3 ticks']);
  assert.deepEqual(data, {name: 'S', pid: 0, outcome: 'taken', value: 0, waited: 3});
  assert.equal(context.kernel.now, 3);
  // Taken exactly once: the semaphore is back at 0 and the shell holds the one unit.
  assert.deepEqual(context.kernel.semaphoreViews()[0]?.holders, [{pid: 0, count: 1}]);
});

test('a shell sem wait that nothing could satisfy fails with ESTALL instead of hanging', async () => {
  const context = createTestContext();
  await runOk(context, 'sem create S 0; spawn busy --burst 4');
  const error = await runFails(context, 'sem wait S', 'ESTALL');
  assert.match(error, /^Would wait forever for semaphore S at t=4/);
  assert.equal(context.kernel.semaphoreViews()[0]?.value, 0);
});

test('sem wait --pid takes a unit for a process or blocks it, and sem signal wakes the first waiter', async () => {
  const context = createTestContext();
  await runOk(context, 'sem create S; spawn a --burst 50; spawn b --burst 50; spawn c --burst 50');
  assert.deepEqual(await runOk(context, 'sem wait S --pid 2'), {
    lines: ['pid 2 took S'],
    data: {name: 'S', pid: 2, outcome: 'taken', value: 0, waited: 0},
  });
  assert.deepEqual((await runOk(context, 'sem wait S --pid 4')).lines, ['pid 4 waits on S']);
  assert.equal((await runOk(context, 'sem wait S --pid 3')).data.outcome, 'blocked');
  assert.match((await runOk(context, 'sem ls')).lines[1]!, /^S\s+0\s+counting\s+2\s+4, 3$/);
  assert.deepEqual(await runOk(context, 'sem signal S --pid 2'), {
    lines: ['pid 2 signalled S (woke pid 4)'],
    data: {name: 'S', pid: 2, value: 0, woke: 4},
  });
  assert.equal(context.kernel.process(4)?.state, 'ready');
  assert.equal(context.kernel.process(3)?.state, 'waiting');
});

test('sem rejects bad input with one clear line and changes nothing', async () => {
  const context = createTestContext();
  await runOk(context, 'sem create S; spawn a --burst 5');
  const before = kernelState(context);
  assert.match(await runFails(context, 'sem create S', 'EEXIST'), /already exists/);
  assert.match(await runFails(context, 'sem create T -1', 'EUSAGE'), /Bad value `-1`/);
  assert.match(await runFails(context, 'sem create T two', 'EUSAGE'), /Bad value `two`/);
  assert.match(
    await runFails(context, 'sem create B 2 --binary', 'EINVAL'),
    /binary semaphore starts at 0 or 1/,
  );
  assert.match(await runFails(context, 'sem create 9lives', 'EINVAL'), /Bad semaphore name `9lives`/);
  assert.match(await runFails(context, 'sem wait nope', 'ENOENT'), /No semaphore named `nope`/);
  assert.match(await runFails(context, 'sem signal nope', 'ENOENT'), /No semaphore named `nope`/);
  assert.match(await runFails(context, 'sem wait S --pid abc', 'EUSAGE'), /Bad pid `abc`/);
  assert.match(await runFails(context, 'sem wait S --pid 99', 'ESRCH'), /Process 99 does not exist/);
  assert.match(await runFails(context, 'sem signal S --pid 99', 'ESRCH'), /Process 99 does not exist/);
  assert.match(
    await runFails(context, 'sem create T --pid 2', 'EUSAGE'),
    /--pid does not apply to `sem create`/,
  );
  assert.match(await runFails(context, 'sem post S', 'EUSAGE'), /Unknown sem subcommand `post`/);
  await runFails(context, 'sem wait', 'EUSAGE');
  await runFails(context, 'sem ls S', 'EUSAGE');
  assert.deepEqual(kernelState(context), before);
});

test('mq create, send and ls show length, capacity and counters', async () => {
  const context = createTestContext();
  assert.deepEqual(await runOk(context, 'mq create Q --cap 4'), {
    lines: ['created queue Q (capacity 4)'],
    data: {name: 'Q', capacity: 4},
  });
  assert.deepEqual(await runOk(context, 'mq send Q hello world'), {
    lines: ['queued on Q (1/4)'],
    data: {queue: 'Q', text: 'hello world', to: null, delivered: [], queued: 1, waited: 0},
  });
  assert.equal((await runOk(context, "mq send Q 'one quoted string'")).data.text, 'one quoted string');
  const {lines, data} = await runOk(context, 'mq ls');
  assert.deepEqual(lines, [
    'NAME  LEN  CAP  RECEIVERS  SENDERS  SENT  RECV',
    'Q       2    4  -          -           2     0',
  ]);
  assert.deepEqual(data.queues, [
    {
      name: 'Q',
      capacity: 4,
      length: 2,
      messages: [
        {from: 0, to: null, text: 'hello world', sentAt: 0},
        {from: 0, to: null, text: 'one quoted string', sentAt: 0},
      ],
      receivers: [],
      senders: [],
      sent: 2,
      received: 0,
    },
  ]);
});

test('the shell receives a queued message at once and prints its text', async () => {
  const context = createTestContext();
  await runOk(context, "mq create Q; mq send Q 'hi there'");
  assert.deepEqual(await runOk(context, 'mq recv Q'), {
    lines: ['hi there'],
    data: {
      queue: 'Q',
      pid: 0,
      outcome: 'received',
      message: {from: 0, to: null, text: 'hi there', sentAt: 0},
      waited: 0,
    },
  });
});

test('a shell mq recv lets time pass until a process sends', async () => {
  const context = createTestContext();
  await runOk(context, "mq create Q; spawn sender --prog 'cpu 2, mq send Q ready, cpu 5'");
  const {lines, data} = await runOk(context, 'mq recv Q');
  assert.deepEqual(lines, ['ready']);
  assert.deepEqual(data.message, {from: 2, to: null, text: 'ready', sentAt: 2});
  assert.equal(data.waited, 2);
  assert.equal(context.kernel.queueViews()[0]?.length, 0);
});

test('a shell mq recv that no process could ever satisfy fails with ESTALL', async () => {
  const context = createTestContext();
  await runOk(context, "mq create Q; spawn other --prog 'cpu 2, io 3, cpu 1'");
  assert.match(
    await runFails(context, 'mq recv Q', 'ESTALL'),
    /^Would wait forever for a message on queue Q at t=6/,
  );
});

test('a shell mq send to a full queue waits until a process makes room', async () => {
  const context = createTestContext();
  await runOk(
    context,
    "mq create Q --cap 1; mq send Q first; spawn reader --prog 'cpu 3, mq recv Q, cpu 10'",
  );
  const {lines, data} = await runOk(context, 'mq send Q second');
  assert.deepEqual(lines, ['queued on Q (1/1); after 3 ticks']);
  assert.equal(data.waited, 3);
  assert.equal(context.kernel.process(2)?.lastMessage, 'first');
  assert.deepEqual(
    context.kernel.queueViews()[0]?.messages.map((m) => m.text),
    ['second'],
  );
});

test('a shell mq send to a full queue nobody reads fails with ESTALL and sends nothing', async () => {
  const context = createTestContext();
  await runOk(context, 'mq create Q --cap 1; mq send Q first');
  assert.match(await runFails(context, 'mq send Q second', 'ESTALL'), /room in queue Q/);
  assert.equal(context.kernel.queueViews()[0]?.sent, 1);
});

test('mq send hands a message straight to a blocked receiver, addressed or broadcast', async () => {
  const context = createTestContext();
  await runOk(context, "mq create Q; spawn r1 --prog 'mq recv Q'; spawn r2 --prog 'mq recv Q'; tick 1");
  // FCFS: r1 ran first and blocked at once, then r2 did at the same boundary.
  assert.deepEqual(context.kernel.queueViews()[0]?.receivers, [2, 3]);
  assert.deepEqual(await runOk(context, 'mq send Q ping --to 3'), {
    lines: ['delivered to pid 3'],
    data: {queue: 'Q', text: 'ping', to: 3, delivered: [3], queued: 0, waited: 0},
  });
  await runOk(context, "spawn r3 --prog 'cpu 1, mq recv Q'");
  const broadcast = await runOk(context, 'mq send Q all --to *');
  assert.deepEqual(broadcast.lines, ['delivered to pid 2; queued on Q (1/64)']);
  assert.deepEqual(broadcast.data, {queue: 'Q', text: 'all', to: '*', delivered: [2], queued: 1, waited: 0});
});

test('mq recv --pid makes a process receive or block', async () => {
  const context = createTestContext();
  await runOk(context, 'mq create Q; spawn a --burst 20; spawn b --burst 20; mq send Q hello');
  assert.deepEqual(await runOk(context, 'mq recv Q --pid 2'), {
    lines: ['pid 2 received "hello" from the shell'],
    data: {queue: 'Q', pid: 2, outcome: 'received', message: {from: 0, to: null, text: 'hello', sentAt: 0}},
  });
  assert.deepEqual(await runOk(context, 'mq recv Q --pid 3'), {
    lines: ['pid 3 waits on Q'],
    data: {queue: 'Q', pid: 3, outcome: 'blocked', message: null},
  });
  await runOk(context, 'mq send Q later');
  assert.equal(context.kernel.process(3)?.lastMessage, 'later');
});

test('mq rejects bad input with one clear line and changes nothing', async () => {
  const context = createTestContext();
  await runOk(context, 'mq create Q --cap 2; spawn a --burst 5');
  const before = kernelState(context);
  assert.match(await runFails(context, 'mq create Q', 'EEXIST'), /already exists/);
  assert.match(await runFails(context, 'mq create R --cap 0', 'EUSAGE'), /Bad --cap `0`/);
  assert.match(await runFails(context, 'mq create R --cap lots', 'EUSAGE'), /Bad --cap `lots`/);
  assert.match(await runFails(context, 'mq send nope hi', 'ENOENT'), /No message queue named `nope`/);
  assert.match(await runFails(context, 'mq send Q', 'EUSAGE'), /Missing argument/);
  assert.match(await runFails(context, 'mq send Q hi --to x', 'EUSAGE'), /Bad pid `x`/);
  assert.match(await runFails(context, 'mq send Q hi --to 42', 'ESRCH'), /Process 42 does not exist/);
  assert.match(
    await runFails(context, 'mq send Q hi --to *', 'ENOENT'),
    /No process receives from queue `Q`/,
  );
  assert.match(
    await runFails(context, 'mq send Q hi --pid 2', 'EUSAGE'),
    /--pid does not apply to `mq send`/,
  );
  assert.match(await runFails(context, 'mq recv Q --pid 42', 'ESRCH'), /Process 42 does not exist/);
  assert.match(await runFails(context, 'mq peek Q', 'EUSAGE'), /Unknown mq subcommand `peek`/);
  assert.deepEqual(kernelState(context), before);
});
