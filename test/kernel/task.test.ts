// Task processes: a process that stands for a task run outside the kernel, WAITING on `task ID`
// until finishTask (or a signal) ends it.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createKernel, KernelError, type ExitRecord, type Kernel} from '../../src/kernel/index.js';
import {MAX_FINISHED_TASKS_KEPT} from '../../src/kernel/params.js';

function assertKernelError(run: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof KernelError, `expected a KernelError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

function exitsOf(kernel: Kernel): ExitRecord[] {
  const records: ExitRecord[] = [];
  kernel.onExit((record) => records.push(record));
  return records;
}

test('a task process is a child of init waiting on its task from its first instant', () => {
  const kernel = createKernel();
  kernel.tick(3);
  const pid = kernel.spawnTask({taskId: 'job-1'});
  const view = kernel.process(pid)!;
  assert.equal(pid, 2);
  assert.equal(view.name, 'task');
  assert.equal(view.ppid, 1);
  assert.equal(view.group, String(pid));
  assert.equal(view.state, 'waiting');
  assert.equal(view.waitingOn, 'task job-1');
  assert.equal(view.op, 'task job-1');
  assert.equal(view.taskId, 'job-1');
  assert.equal(view.arrival, 3);
  assert.equal(view.burst, 0);
  assert.deepEqual(kernel.process(1)!.children, [pid]);
  assert.deepEqual(
    kernel.recentEvents().map(({kind, pid: eventPid, detail}) => ({kind, pid: eventPid, detail})),
    [
      {kind: 'spawn', pid, detail: 'task job-1'},
      {kind: 'block', pid, detail: 'task job-1'},
    ],
  );
});

test('a task process shows in the process list, the snapshot and the queue as waiting on its task', () => {
  const kernel = createKernel();
  const worker = kernel.spawn({name: 'worker', burst: 4});
  const pid = kernel.spawnTask({taskId: 'abc', name: 'render', priority: 5, group: 'jobs'});
  kernel.tick(2);
  assert.deepEqual(
    kernel.listProcesses().map((p) => [p.pid, p.name, p.state, p.waitingOn]),
    [
      [1, 'init', 'waiting', 'sleeping'],
      [worker, 'worker', 'running', null],
      [pid, 'render', 'waiting', 'task abc'],
    ],
  );
  const snapshot = kernel.snapshot();
  const task = snapshot.processes.find((p) => p.pid === pid)!;
  assert.equal(task.priority, 5);
  assert.equal(task.group, 'jobs');
  assert.equal(task.blocked, 2);
  assert.deepEqual(
    kernel.readyQueue().waiting.map((p) => [p.pid, p.waitingOn]),
    [[pid, 'task abc']],
  );
  // It never takes the CPU: the Gantt chart holds only the worker.
  assert.deepEqual(
    snapshot.gantt.map((segment) => segment.pid),
    [worker],
  );
  assert.equal(task.cpuTime, 0);
  // Other processes keep their shape: no taskId key at all.
  assert.equal('taskId' in snapshot.processes.find((p) => p.pid === worker)!, false);
});

test('finishTask with status 0 ends the process now and tells the exit listeners', () => {
  const kernel = createKernel();
  const exits = exitsOf(kernel);
  kernel.tick(2);
  const pid = kernel.spawnTask({taskId: 't1'});
  kernel.tick(5);
  kernel.finishTask(pid, 0);
  assert.equal(kernel.process(pid)!.state, 'terminated');
  assert.deepEqual(exits, [
    {
      pid,
      name: 'task',
      arrival: 2,
      firstRun: null,
      completion: 7,
      burst: 0,
      cpuTime: 0,
      waiting: 0,
      turnaround: 5,
      response: null,
      exitStatus: 0,
      reason: 'exited',
      killed: false,
      taskId: 't1',
    },
  ]);
  assert.equal(kernel.liveProcesses, 0);
  assert.equal(kernel.taskPid('t1'), undefined);
});

test('only the last MAX_FINISHED_TASKS_KEPT finished task processes stay in the table', () => {
  const kernel = createKernel();
  const exits = exitsOf(kernel);
  const plain = kernel.spawn({name: 'plain', burst: 1});
  kernel.tick(2);
  const pids: number[] = [];
  for (let i = 0; i < MAX_FINISHED_TASKS_KEPT + 5; i++) {
    const pid = kernel.spawnTask({taskId: `t${i}`});
    kernel.finishTask(pid, 0);
    pids.push(pid);
  }
  assert.equal(exits.length, MAX_FINISHED_TASKS_KEPT + 6, 'every exit is still reported');
  assert.equal(kernel.process(pids[0]!), undefined, 'the oldest finished tasks are forgotten');
  assert.equal(kernel.process(pids[4]!), undefined);
  assert.equal(kernel.process(pids[5]!)!.state, 'terminated');
  assert.equal(kernel.process(plain)!.state, 'terminated', 'other processes are kept');
  const finished = kernel.listProcesses(true).filter((p) => p.taskId !== undefined);
  assert.equal(finished.length, MAX_FINISHED_TASKS_KEPT);
  assertKernelError(() => kernel.finishTask(pids[0]!, 0), 'ESRCH', new RegExp(String(pids[0])));
});

test('finishTask with a nonzero status fails the process, with a one-line reason', () => {
  const kernel = createKernel();
  const exits = exitsOf(kernel);
  const failed = kernel.spawnTask({taskId: 'a'});
  const explained = kernel.spawnTask({taskId: 'b'});
  kernel.finishTask(failed, 1);
  kernel.finishTask(explained, 2, 'TypeError: x is not\na function');
  assert.deepEqual(
    exits.map(({pid, exitStatus, reason}) => ({pid, exitStatus, reason})),
    [
      {pid: failed, exitStatus: 1, reason: 'task failed'},
      {pid: explained, exitStatus: 2, reason: 'TypeError: x is not a function'},
    ],
  );
  assert.equal(kernel.process(explained)!.exitReason, 'TypeError: x is not a function');
  const long = kernel.spawnTask({taskId: 'c'});
  kernel.finishTask(long, 1, 'x'.repeat(500));
  assert.equal(kernel.process(long)!.exitReason!.length, 200);
  assert.ok(kernel.process(long)!.exitReason!.endsWith('…'));
});

test('finishTask refuses an unknown pid, a finished one, a process not on a task and a bad status', () => {
  const kernel = createKernel();
  const worker = kernel.spawn({name: 'worker', burst: 5});
  const pid = kernel.spawnTask({taskId: 't'});
  assertKernelError(() => kernel.finishTask(99, 0), 'ESRCH', /Process 99 does not exist/);
  assertKernelError(
    () => kernel.finishTask(worker, 0),
    'EINVAL',
    /Process 2 is not waiting on a task \(it is READY\)/,
  );
  assertKernelError(() => kernel.finishTask(1, 0), 'EINVAL', /Process 1 is not waiting on a task/);
  assertKernelError(() => kernel.finishTask(pid, 256), 'EINVAL', /Exit status 256 is out of range/);
  assertKernelError(() => kernel.finishTask(pid, -1), 'EINVAL', /Exit status -1/);
  assertKernelError(() => kernel.finishTask(pid, 0.5), 'EINVAL', /Exit status 0.5/);
  assert.equal(kernel.process(pid)!.state, 'waiting');
  kernel.finishTask(pid, 0);
  assertKernelError(() => kernel.finishTask(pid, 0), 'ESRCH', /Process 3 has exited/);
});

test('spawnTask refuses a bad or duplicate task id, a bad name, priority or group, and memory that does not fit', () => {
  const kernel = createKernel({heapSize: 100});
  for (const taskId of ['', 'has space', 'tab\there', 'x'.repeat(65)]) {
    assertKernelError(() => kernel.spawnTask({taskId}), 'EINVAL', /Task id .* must be 1 to 64 characters/);
  }
  const pid = kernel.spawnTask({taskId: 'x'.repeat(64)});
  assertKernelError(
    () => kernel.spawnTask({taskId: 'x'.repeat(64)}),
    'EEXIST',
    new RegExp(`already runs as pid ${pid}`),
  );
  assertKernelError(() => kernel.spawnTask({taskId: 'n', name: 'two words'}), 'EINVAL', /Process name/);
  assertKernelError(() => kernel.spawnTask({taskId: 'p', priority: 100}), 'EINVAL', /Priority 100/);
  assertKernelError(() => kernel.spawnTask({taskId: 'g', group: 'a b'}), 'EINVAL', /Group `a b`/);
  assertKernelError(
    () => kernel.spawnTask({taskId: 'm', memory: 200}),
    'ENOMEM',
    /larger than the whole heap/,
  );
  assert.equal(kernel.liveProcesses, 1);
  assert.equal(kernel.taskLoad().tasks, 1);
  // The id is free again once its process has ended.
  kernel.finishTask(pid, 0);
  assert.equal(kernel.spawnTask({taskId: 'x'.repeat(64)}), pid + 1);
});

test('a task process owns its memory until the task ends', () => {
  const kernel = createKernel({heapSize: 100});
  const pid = kernel.spawnTask({taskId: 'big', memory: 60});
  assert.equal(kernel.process(pid)!.memory, 60);
  assert.equal(kernel.memoryView().used, 60);
  kernel.finishTask(pid, 0);
  assert.equal(kernel.memoryView().used, 0);
});

test('killing a task process ends it like any kill, and the exit record names the task', () => {
  const kernel = createKernel();
  const exits = exitsOf(kernel);
  const pid = kernel.spawnTask({taskId: 'slow'});
  kernel.tick(4);
  assert.deepEqual(kernel.kill(pid), [pid]);
  assert.deepEqual(
    exits.map(({pid: exited, exitStatus, reason, killed, taskId, completion}) => ({
      exited,
      exitStatus,
      reason,
      killed,
      taskId,
      completion,
    })),
    [
      {
        exited: pid,
        exitStatus: 143,
        reason: 'killed by SIGTERM',
        killed: true,
        taskId: 'slow',
        completion: 4,
      },
    ],
  );
  assert.equal(kernel.taskLoad().tasks, 0);
  assertKernelError(() => kernel.finishTask(pid, 0), 'ESRCH', /has exited/);
});

test('a stopped task process still waits on its task, and finishing the task ends it', () => {
  const kernel = createKernel();
  const pid = kernel.spawnTask({taskId: 't'});
  kernel.kill(pid, 'STOP');
  assert.equal(kernel.process(pid)!.isStopped, true);
  assert.equal(kernel.process(pid)!.waitingOn, 'task t');
  kernel.kill(pid, 'CONT');
  assert.equal(kernel.process(pid)!.waitingOn, 'task t');
  kernel.kill(pid, 'STOP');
  kernel.finishTask(pid, 0);
  assert.equal(kernel.process(pid)!.state, 'terminated');
});

test('taskLoad counts the ready queue and the live task processes', () => {
  const kernel = createKernel();
  assert.deepEqual(kernel.taskLoad(), {ready: 0, tasks: 0});
  kernel.spawn({name: 'a', burst: 2});
  kernel.spawn({name: 'b', burst: 2});
  const first = kernel.spawnTask({taskId: 'one'});
  kernel.spawnTask({taskId: 'two'});
  assert.deepEqual(kernel.taskLoad(), {ready: 2, tasks: 2});
  kernel.tick();
  assert.deepEqual(kernel.taskLoad(), {ready: 1, tasks: 2}); // a runs, so it left the ready queue
  kernel.finishTask(first, 0);
  assert.deepEqual(kernel.taskLoad(), {ready: 1, tasks: 1});
  assert.equal(kernel.taskPid('two'), first + 1);
  kernel.tick(10);
  assert.deepEqual(kernel.taskLoad(), {ready: 0, tasks: 1});
});

test('a waiting task does not stall the kernel: only its end can move things on', () => {
  const kernel = createKernel();
  assert.equal(kernel.isStalled(), true);
  assert.equal(kernel.isAwaitingTasks(), false);
  kernel.spawn({name: 'worker', burst: 2});
  const pid = kernel.spawnTask({taskId: 't'});
  assert.equal(kernel.isStalled(), false);
  assert.equal(kernel.isAwaitingTasks(), false); // the worker can still run
  kernel.tick(2);
  assert.equal(kernel.isStalled(), false);
  assert.equal(kernel.isAwaitingTasks(), true);
  kernel.tick(1_000_000); // an idle stretch is skipped in one step; the task still waits
  assert.equal(kernel.now, 1_000_002);
  assert.equal(kernel.process(pid)!.waitingOn, 'task t');
  kernel.finishTask(pid, 0);
  assert.equal(kernel.isStalled(), true);
  assert.equal(kernel.isAwaitingTasks(), false);
});

test('deadlock detection treats a task wait as external: never deadlocked, never stuck', () => {
  const kernel = createKernel({scheduler: 'rr', schedulerOptions: {quantum: 1}});
  kernel.semCreate('A');
  kernel.semCreate('B');
  const left = kernel.spawn({name: 'left', program: 'sem wait A, cpu 2, sem wait B, cpu 1'});
  const right = kernel.spawn({name: 'right', program: 'sem wait B, cpu 2, sem wait A, cpu 1'});
  const task = kernel.spawnTask({taskId: 't', memory: 1024 * 1024});
  // A process waiting for the memory only the task holds waits on the task's end, not forever.
  const hungry = kernel.spawn({name: 'hungry', program: 'malloc 1K, cpu 1'});
  kernel.tick(10);
  assert.equal(kernel.process(hungry)!.waitingOn, 'memory 1024');
  const report = kernel.deadlocks();
  assert.deepEqual(report.deadlocked, [left, right]);
  assert.deepEqual(report.stuck, []);
  assert.deepEqual(report.cycles, [[left, right]]);
  assert.ok(report.edges.every((edge) => edge.from !== task));
  assert.equal(kernel.isStalled(), false);
  assert.deepEqual(
    kernel.recoverFromDeadlock().map((victim) => victim.pid),
    [right],
  );
  assert.equal(kernel.process(task)!.state, 'waiting');
  kernel.finishTask(task, 0);
  kernel.tick(10);
  assert.equal(kernel.process(hungry)!.state, 'terminated');
});

test('a program cannot use the task op; only spawnTask makes a task process', () => {
  const kernel = createKernel();
  assertKernelError(
    () => kernel.spawn({name: 'sneaky', program: 'task abc'}),
    'EINVAL',
    /Program op 1 `task abc`: `task` is not a program op/,
  );
  assert.equal(kernel.liveProcesses, 0);
});

test('the same calls give the same snapshots and events', () => {
  const script = (kernel: Kernel): string => {
    kernel.spawn({name: 'cpu', burst: 3});
    const a = kernel.spawnTask({taskId: 'a', memory: 100});
    kernel.tick(2);
    const b = kernel.spawnTask({taskId: 'b', priority: 3});
    kernel.tick(1);
    kernel.finishTask(a, 1, 'boom');
    kernel.kill(b);
    kernel.tick(4);
    return JSON.stringify({
      snapshot: kernel.snapshot(),
      events: kernel.recentEvents(),
      stats: kernel.schedulerStats(),
    });
  };
  assert.equal(script(createKernel()), script(createKernel()));
});
