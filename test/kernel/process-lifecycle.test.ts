// Process lifecycle: states, the family tree, zombies and orphans, signals, and programs.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createKernel, KernelError} from '../../src/kernel/index.js';

const run = (kernel: ReturnType<typeof createKernel>, limit = 10_000) => {
  for (let i = 0; i < limit && !kernel.isStalled(); i++) kernel.tick();
};

test('pids start at 2 after init on every boot', () => {
  for (let boot = 0; boot < 2; boot++) {
    const kernel = createKernel();
    assert.equal(kernel.spawn({burst: 1}), 2);
    assert.equal(kernel.spawn({burst: 1}), 3);
    assert.equal(kernel.process(1)!.name, 'init');
  }
});

test('a process moves from NEW to READY on arrival, RUNNING, then TERMINATED', () => {
  const kernel = createKernel();
  const pid = kernel.spawn({name: 'late', burst: 2, arrive: 3});
  assert.equal(kernel.process(pid)!.state, 'new');
  kernel.tick(3);
  assert.equal(kernel.process(pid)!.state, 'ready');
  kernel.tick();
  assert.equal(kernel.process(pid)!.state, 'running');
  kernel.tick();
  assert.equal(kernel.process(pid)!.state, 'terminated');
  assert.equal(kernel.process(pid)!.completion, 5);
});

test('a child that exits stays a zombie until its parent waits', () => {
  const kernel = createKernel();
  const parent = kernel.spawn({name: 'parent', program: 'io 5, wait, cpu 1'});
  const child = kernel.spawn({name: 'child', burst: 1, parent});
  kernel.tick(3);
  assert.equal(kernel.process(child)!.state, 'zombie');
  run(kernel);
  assert.equal(kernel.process(child)!.state, 'terminated');
  assert.equal(kernel.process(parent)!.state, 'terminated');
});

test('a parent blocked in wait is woken by its child exiting', () => {
  const kernel = createKernel({scheduler: 'rr', schedulerOptions: {quantum: 1}});
  const parent = kernel.spawn({name: 'parent', program: 'wait, cpu 1'});
  const child = kernel.spawn({name: 'child', burst: 3, parent});
  kernel.tick();
  assert.equal(kernel.process(parent)!.waitingOn, 'child');
  run(kernel);
  assert.equal(kernel.process(child)!.state, 'terminated');
  assert.equal(kernel.process(parent)!.completion, 4);
});

test('orphans are adopted by init and reaped when they exit', () => {
  const kernel = createKernel();
  const parent = kernel.spawn({name: 'parent', burst: 1});
  const child = kernel.spawn({name: 'child', burst: 5, parent});
  kernel.tick(2);
  assert.equal(kernel.process(child)!.ppid, 1);
  run(kernel);
  assert.equal(kernel.process(child)!.state, 'terminated');
});

test('killing a parent terminates its descendants', () => {
  const kernel = createKernel();
  const a = kernel.spawn({name: 'a', burst: 50});
  const b = kernel.spawn({name: 'b', burst: 50, parent: a});
  const c = kernel.spawn({name: 'c', burst: 50, parent: b});
  const other = kernel.spawn({name: 'other', burst: 50});
  assert.deepEqual(kernel.kill(a, 'TERM'), [a, b, c]);
  for (const pid of [a, b, c]) {
    assert.equal(kernel.process(pid)!.state, 'terminated');
    assert.equal(kernel.process(pid)!.exitStatus, 143);
  }
  assert.equal(kernel.process(other)!.state, 'ready');
});

test('kill -g ends every process of a group, and children inherit the group', () => {
  const kernel = createKernel();
  const leader = kernel.spawn({name: 'job', burst: 50, group: 'build'});
  const helper = kernel.spawn({name: 'helper', burst: 50, parent: leader});
  const bystander = kernel.spawn({name: 'x', burst: 50});
  assert.equal(kernel.process(helper)!.group, 'build');
  assert.deepEqual(kernel.killGroup('build', 'KILL'), [leader, helper]);
  assert.equal(kernel.process(bystander)!.state, 'ready');
  assert.throws(
    () => kernel.killGroup('build'),
    (error: KernelError) => error.code === 'ESRCH',
  );
});

test('STOP parks a process and CONT makes it ready again', () => {
  const kernel = createKernel();
  const pid = kernel.spawn({burst: 5});
  kernel.tick();
  kernel.kill(pid, 'STOP');
  assert.equal(kernel.process(pid)!.waitingOn, 'stopped');
  kernel.tick(10);
  assert.equal(kernel.process(pid)!.cpuTime, 1);
  assert.equal(kernel.isStalled(), true);
  kernel.kill(pid, 'CONT');
  run(kernel);
  assert.equal(kernel.process(pid)!.completion, 15);
});

test('init cannot be signalled and unknown pids are refused', () => {
  const kernel = createKernel();
  assert.throws(
    () => kernel.kill(1),
    (error: KernelError) => error.code === 'EPERM',
  );
  assert.throws(
    () => kernel.kill(99),
    (error: KernelError) => error.code === 'ESRCH',
  );
  assert.throws(
    () => kernel.nice(99, 3),
    (error: KernelError) => error.code === 'ESRCH',
  );
});

test('io takes the process off the CPU for N ticks while another runs', () => {
  const kernel = createKernel();
  const a = kernel.spawn({name: 'a', program: 'cpu 2, io 3, cpu 1'});
  const b = kernel.spawn({name: 'b', burst: 4});
  run(kernel);
  const gantt = kernel.ganttSegments().map((s) => `${s.pid}:${s.start}-${s.end}`);
  assert.deepEqual(gantt, [`${a}:0-2`, `${b}:2-6`, `${a}:6-7`]);
  assert.equal(kernel.process(a)!.blocked, 3);
});

test('a semaphore makes the second process wait until the first signals', () => {
  const kernel = createKernel({scheduler: 'rr', schedulerOptions: {quantum: 1}});
  kernel.semCreate('mutex', 1);
  const a = kernel.spawn({name: 'a', program: 'sem wait mutex, cpu 3, sem signal mutex'});
  const b = kernel.spawn({name: 'b', program: 'sem wait mutex, cpu 1, sem signal mutex'});
  kernel.tick(2);
  assert.equal(kernel.process(b)!.waitingOn, 'sem mutex');
  run(kernel);
  assert.equal(kernel.process(a)!.completion, 3);
  assert.equal(kernel.process(b)!.completion, 4);
  assert.equal(kernel.semaphoreViews()[0]!.value, 1);
});

test('a process that exits holding a semaphore gives it back', () => {
  const kernel = createKernel();
  kernel.semCreate('S', 1);
  const holder = kernel.spawn({name: 'holder', program: 'sem wait S, cpu 10'});
  kernel.tick();
  const waiter = kernel.spawn({name: 'waiter', program: 'sem wait S, cpu 1'});
  kernel.kill(holder);
  run(kernel);
  assert.equal(kernel.process(waiter)!.exitStatus, 0);
});

test('message queues deliver in FIFO order and block an empty receive', () => {
  const kernel = createKernel();
  kernel.mqCreate('q');
  const receiver = kernel.spawn({name: 'rx', program: 'mq recv q, mq recv q'});
  kernel.tick();
  assert.equal(kernel.process(receiver)!.waitingOn, 'mq recv q');
  kernel.spawn({name: 'tx', program: 'mq send q one, mq send q two'});
  run(kernel);
  assert.equal(kernel.process(receiver)!.lastMessage, 'two');
  assert.equal(kernel.process(receiver)!.state, 'terminated');
});

test('a full queue blocks its sender until a receive makes room', () => {
  const kernel = createKernel();
  kernel.mqCreate('q', 1);
  const sender = kernel.spawn({name: 'tx', program: 'mq send q a, mq send q b'});
  kernel.tick();
  assert.equal(kernel.process(sender)!.waitingOn, 'mq send q (full)');
  assert.equal(kernel.mqRecv('q') !== 'empty', true);
  run(kernel);
  assert.equal(kernel.process(sender)!.state, 'terminated');
  assert.equal(kernel.queueViews()[0]!.length, 1);
});

test('a broadcast sends one copy to every process that receives from the queue', () => {
  const kernel = createKernel();
  kernel.mqCreate('news');
  const a = kernel.spawn({name: 'a', program: 'mq recv news'});
  const b = kernel.spawn({name: 'b', program: 'cpu 5, mq recv news'});
  kernel.tick();
  const sent = kernel.mqSend('news', 'hello', '*');
  assert.deepEqual(sent, {delivered: [a], queued: 1});
  run(kernel);
  assert.equal(kernel.process(b)!.lastMessage, 'hello');
});

test('a malloc that does not fit waits until memory is freed', () => {
  const kernel = createKernel({heapSize: 100, scheduler: 'rr', schedulerOptions: {quantum: 1}});
  const big = kernel.spawn({name: 'big', program: 'malloc 80, cpu 3, free, cpu 1'});
  const small = kernel.spawn({name: 'small', program: 'malloc 50, cpu 1'});
  kernel.tick(2);
  assert.equal(kernel.process(small)!.waitingOn, 'memory 50');
  run(kernel);
  assert.equal(kernel.process(small)!.state, 'terminated');
  assert.equal(kernel.memoryView().used, 0);
  assert.equal(kernel.process(big)!.exitStatus, 0);
});

test('a process with --memory owns a block that is freed when it exits', () => {
  const kernel = createKernel({heapSize: 1024});
  const pid = kernel.spawn({burst: 2, memory: 100});
  assert.equal(kernel.process(pid)!.memory, 100);
  run(kernel);
  assert.equal(kernel.memoryView().used, 0);
});

test('bad spawn arguments are refused and change nothing', () => {
  const kernel = createKernel();
  const before = JSON.stringify(kernel.snapshot());
  const bad: Parameters<typeof kernel.spawn>[0][] = [
    {burst: 0},
    {burst: -1},
    {priority: 100},
    {parent: 42},
    {program: 'cpu'},
    {program: 'jump 3'},
    {program: 'sem wait nosuch'},
    {burst: 2, program: 'cpu 2'},
    {name: 'has space'},
    {memory: 10 * 1024 * 1024},
  ];
  for (const spec of bad) assert.throws(() => kernel.spawn(spec), KernelError, JSON.stringify(spec));
  assert.equal(JSON.stringify(kernel.snapshot()), before);
});

test('tick skips idle stretches without changing what happens', () => {
  const kernel = createKernel();
  const pid = kernel.spawn({burst: 2, arrive: 1_000_000});
  kernel.tick(1_000_002);
  assert.equal(kernel.process(pid)!.completion, 1_000_002);
  assert.deepEqual(kernel.ganttSegments(), [
    {pid: 0, start: 0, end: 1_000_000},
    {pid, start: 1_000_000, end: 1_000_002},
  ]);
});

test('init owns nothing: memory, semaphores, messages and resources refuse pid 1', () => {
  const kernel = createKernel();
  kernel.semCreate('S', 1);
  kernel.mqCreate('q');
  kernel.resCreate('A', 2);
  const refuse = (action: () => unknown) =>
    assert.throws(action, (error: KernelError) => error.code === 'EPERM');
  refuse(() => kernel.malloc(10, 1));
  refuse(() => kernel.semSignal('S', 1));
  refuse(() => kernel.mqSend('q', 'hi', 1));
  refuse(() => kernel.resClaim(1, new Map([['A', 1]])));
  refuse(() => kernel.resRequest(1, new Map([['A', 1]])));
  assert.throws(
    () => kernel.nice(1, 5),
    (error: KernelError) =>
      error.code === 'EPERM' && error.message === 'The priority of init (pid 1) cannot be changed.',
  );
});

test('a process killed before it arrives has a zero turnaround, not a negative one', () => {
  const kernel = createKernel();
  const pid = kernel.spawn({burst: 3, arrive: 10});
  kernel.tick(2);
  kernel.kill(pid);
  const view = kernel.process(pid)!;
  assert.equal(view.completion, 2);
  assert.equal(view.arrival, 2);
});

test('with avoidance off a request beyond the claim raises the claim, and the Banker view stays valid', () => {
  const kernel = createKernel();
  kernel.resCreate('A', 5);
  kernel.setAvoidance(false);
  const pid = kernel.spawn({burst: 10});
  assert.deepEqual(kernel.resRequest(pid, new Map([['A', 3]])), {outcome: 'granted', sequence: []});
  assert.equal(kernel.banker().safe, true);
  kernel.setAvoidance(true);
  assert.throws(
    () => kernel.resRequest(pid, new Map([['A', 1]])),
    (error: KernelError) => error.code === 'EPERM',
  );
});

test('a normal exit undoes no semaphore wait: producer and consumer leave the textbook counts', () => {
  const kernel = createKernel({scheduler: 'rr', schedulerOptions: {quantum: 1}});
  kernel.semCreate('empty', 2);
  kernel.semCreate('full', 0);
  kernel.semCreate('mutex', 1);
  const produce = 'sem wait empty, sem wait mutex, cpu 1, sem signal mutex, sem signal full';
  const consume = 'sem wait full, sem wait mutex, cpu 1, sem signal mutex, sem signal empty';
  kernel.spawn({name: 'producer', program: [produce, produce, produce].join(', ')});
  kernel.spawn({name: 'consumer', program: [consume, consume].join(', ')});
  kernel.tick(100);
  const value = (name: string) => kernel.semaphoreViews().find((view) => view.name === name)!;
  // three items made, two taken, in a buffer of two: one full slot, one empty; nobody holds anything
  assert.deepEqual(
    ['empty', 'full', 'mutex'].map((name) => [value(name).value, value(name).holders]),
    [
      [1, []],
      [1, []],
      [1, []],
    ],
  );
});

test('a killed process gives back the semaphore units it took, so the others can go on', () => {
  const kernel = createKernel({scheduler: 'rr', schedulerOptions: {quantum: 1}});
  kernel.semCreate('M', 1);
  const holder = kernel.spawn({name: 'holder', program: 'sem wait M, cpu 50, sem signal M'});
  const next = kernel.spawn({name: 'next', program: 'sem wait M, cpu 1'});
  kernel.tick(3);
  assert.equal(kernel.process(next)!.state, 'waiting', 'next waits for M');
  kernel.kill(holder, 'KILL');
  kernel.tick(5);
  assert.equal(kernel.process(next)!.state, 'terminated', 'M came back when its holder was killed');
  assert.equal(kernel.process(next)!.exitStatus, 0);
});

test("the event log has a take for each signal and a send for each recv, a program's as the shell's", () => {
  const kernel = createKernel();
  kernel.semCreate('M', 1);
  kernel.mqCreate('Q');
  kernel.spawn({name: 'a', program: 'sem wait M, mq send Q hi, cpu 1, sem signal M, mq recv Q'});
  kernel.tick(3);
  const kinds = kernel.recentEvents().map((event) => `${event.kind} ${event.detail}`.trim());
  assert.deepEqual(
    kinds.filter((kind) => /^(sem-take|signal|send|recv) /.test(kind)),
    ['sem-take M', 'send "hi" to Q', 'signal M', 'recv "hi" from Q'],
  );
});

test('killing a parent ends its subtree, and each record keeps the parent it had when it died', () => {
  const kernel = createKernel();
  const parent = kernel.spawn({name: 'parent', burst: 20});
  const child = kernel.spawn({name: 'child', burst: 20, parent});
  const grandchild = kernel.spawn({name: 'grandchild', burst: 20, parent: child});
  kernel.tick(1);
  assert.deepEqual(kernel.kill(parent), [parent, child, grandchild]);
  assert.deepEqual(
    [parent, child, grandchild].map((pid) => [kernel.process(pid)!.ppid, kernel.process(pid)!.state]),
    [
      [1, 'terminated'],
      [parent, 'terminated'],
      [child, 'terminated'],
    ],
  );
});
