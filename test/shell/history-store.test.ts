import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {test, type TestContext} from 'node:test';
import Database from 'better-sqlite3';
import {
  HistoryStoreError,
  MAX_TASK_ARGS_CHARS,
  MAX_TASK_ERROR_CHARS,
  openHistoryStore,
  type FinishedProcess,
  type HistoryStoreErrorCode,
  type TaskRecord,
} from '../../src/shell/history-store.js';
import {task} from '../support/task-record.js';

/** A fresh directory under the OS temp dir, removed when the test ends. */
function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2pos-history-'));
  t.after(() => fs.rmSync(dir, {recursive: true, force: true}));
  return dir;
}

/** A process that arrived at 0, first ran at `pid`, and exited after a burst of 3. */
function finished(pid: number, overrides: Partial<FinishedProcess> = {}): FinishedProcess {
  return {
    pid,
    name: `proc${pid}`,
    arrival: 0,
    firstRun: pid,
    completion: pid + 3,
    burst: 3,
    cpuTime: 3,
    waiting: pid,
    turnaround: pid + 3,
    response: pid,
    exitStatus: 0,
    reason: 'exited',
    killed: false,
    ...overrides,
  };
}

/** Assert that `run` throws a one-line HistoryStoreError with `code` whose message names `bad` (a file or value). */
function assertStoreError(run: () => unknown, code: HistoryStoreErrorCode, bad: string): HistoryStoreError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof HistoryStoreError, `expected a HistoryStoreError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(caught.message.includes(bad), `message should name ${bad}: ${caught.message}`);
  assert.ok(!caught.message.includes('\n'), `message should be one line: ${caught.message}`);
  return caught;
}

test('opening the store alone touches nothing on disk', (t) => {
  const file = path.join(tempDir(t), 'data', 'history.sqlite');
  const store = openHistoryStore(file);
  assert.equal(fs.existsSync(path.dirname(file)), false);
  store.flush(); // nothing buffered: still nothing to open
  store.close();
  assert.equal(fs.existsSync(path.dirname(file)), false);
});

test(
  'the first write creates the data directory with mode 0o700',
  {skip: process.platform === 'win32'},
  (t) => {
    const dataDir = path.join(tempDir(t), 'nested', 'p2pos');
    const store = openHistoryStore(path.join(dataDir, 'history.sqlite'));
    store.record(finished(1));
    store.flush();
    store.close();
    assert.equal(fs.statSync(dataDir).mode & 0o777, 0o700);
  },
);

test('a restart sees the earlier rows, and its own rows get the next boot number', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const first = openHistoryStore(file);
  first.record(finished(1));
  first.record(
    finished(2, {firstRun: null, response: null, exitStatus: 143, reason: 'killed by SIGTERM', killed: true}),
  );
  first.close();

  const second = openHistoryStore(file);
  second.record(finished(1, {name: 'editor'}));
  const rows = second.recent(10);
  second.close();

  assert.deepEqual(
    rows.map(({boot, seq, pid, name}) => ({boot, seq, pid, name})),
    [
      {boot: 1, seq: 1, pid: 1, name: 'proc1'},
      {boot: 1, seq: 2, pid: 2, name: 'proc2'},
      {boot: 2, seq: 1, pid: 1, name: 'editor'},
    ],
  );
  assert.deepEqual(rows[1], {
    boot: 1,
    seq: 2,
    ...finished(2, {
      firstRun: null,
      response: null,
      exitStatus: 143,
      reason: 'killed by SIGTERM',
      killed: true,
    }),
  });
});

test('a run that finishes no process adds no boot', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const first = openHistoryStore(file);
  first.record(finished(1));
  first.close();
  const idle = openHistoryStore(file);
  assert.equal(idle.summary().boots, 1);
  idle.close();
  const third = openHistoryStore(file);
  third.record(finished(1));
  assert.deepEqual(
    third.recent(2).map((row) => row.boot),
    [1, 2],
  );
  third.close();
});

test('recent returns the last N rows, oldest first', () => {
  const store = openHistoryStore(':memory:');
  for (let pid = 1; pid <= 5; pid += 1) store.record(finished(pid));
  assert.deepEqual(
    store.recent(3).map((row) => row.pid),
    [3, 4, 5],
  );
  assert.deepEqual(store.recent(0), []);
  assert.equal(store.recent(100).length, 5);
  store.close();
});

test('recent rejects a negative or fractional limit', () => {
  const store = openHistoryStore(':memory:');
  assertStoreError(() => store.recent(-1), 'EINVAL', 'limit -1');
  assertStoreError(() => store.recent(2.5), 'EINVAL', 'limit 2.5');
  store.close();
});

test('10,000 processes are written in batches of 1,000 and read back in order', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const store = openHistoryStore(file);
  const started = performance.now();
  for (let pid = 1; pid <= 1_500; pid += 1) store.record(finished(pid));

  // The first thousand were flushed on their own; the other 500 are still buffered.
  const observer = new Database(file, {readonly: true});
  t.after(() => observer.close());
  const count = observer.prepare<[], number>('SELECT COUNT(*) FROM processes').pluck();
  assert.equal(count.get(), 1_000);

  for (let pid = 1_501; pid <= 10_000; pid += 1) store.record(finished(pid));
  const rows = store.recent(10_000);
  const elapsedMs = performance.now() - started;
  store.close();

  assert.equal(count.get(), 10_000);
  assert.equal(rows.length, 10_000);
  assert.ok(rows.every((row, index) => row.pid === index + 1 && row.seq === index + 1 && row.boot === 1));
  // About 30 ms on a laptop; a row-per-transaction regression would take many seconds.
  assert.ok(elapsedMs < 3_000, `recording 10,000 rows took ${Math.round(elapsedMs)} ms`);
});

test('summary averages turnaround, waiting and response over every stored row but the killed ones', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const first = openHistoryStore(file);
  first.record(finished(1, {turnaround: 4, waiting: 1, response: 1}));
  first.record(finished(2, {turnaround: 8, waiting: 5, response: 3, exitStatus: 1}));
  first.close();
  const second = openHistoryStore(file);
  // never ran: response is null and is left out of the response average
  second.record(finished(3, {turnaround: 9, waiting: 2, firstRun: null, response: null}));
  // killed: a signal cut its work short, so it is left out of every average (and counted)
  second.record(
    finished(4, {
      turnaround: 1,
      waiting: 1,
      response: 0,
      reason: 'deadlock recovery',
      exitStatus: 137,
      killed: true,
    }),
  );
  assert.deepEqual(second.summary(), {
    processes: 4,
    boots: 2,
    avgTurnaround: 7,
    avgWaiting: 8 / 3,
    avgResponse: 2,
    failed: 2,
    killed: 1,
  });
  assert.deepEqual(
    second.recent(4).map((row) => row.killed),
    [false, false, false, true],
  );
  second.close();
});

test('summary of an empty history is all zeros', () => {
  const store = openHistoryStore(':memory:');
  assert.deepEqual(store.summary(), {
    processes: 0,
    boots: 0,
    avgTurnaround: 0,
    avgWaiting: 0,
    avgResponse: 0,
    failed: 0,
    killed: 0,
  });
  store.close();
});

test('the database file uses write-ahead logging and records its schema version', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const store = openHistoryStore(file);
  store.record(finished(1));
  store.flush();
  const observer = new Database(file, {readonly: true});
  assert.equal(observer.pragma('journal_mode', {simple: true}), 'wal');
  assert.equal(observer.pragma('user_version', {simple: true}), 5);
  observer.close();
  store.close();
});

test('two stores sharing one file each get their own boot', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const left = openHistoryStore(file);
  const right = openHistoryStore(file);
  left.record(finished(1, {name: 'left'}));
  left.flush();
  right.record(finished(1, {name: 'right'}));
  right.flush();
  left.record(finished(2, {name: 'left'}));
  assert.deepEqual(
    left.recent(3).map(({boot, seq, name}) => `${name} ${boot}.${seq}`),
    ['left 1.1', 'right 2.1', 'left 1.2'],
  );
  left.close();
  right.close();
});

test('a file that is not SQLite gives a one-line error naming the path, and is left alone', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const text = 'these are my notes, not a database\n'.repeat(100);
  fs.writeFileSync(file, text);
  const store = openHistoryStore(file);
  const error = assertStoreError(() => store.recent(5), 'ENOTDB', file);
  assert.match(error.message, /not a database/);
  store.record(finished(1));
  assertStoreError(() => store.flush(), 'ENOTDB', file);
  // close reports that the row could not be saved, and closes the store all the same
  assertStoreError(() => store.close(), 'ENOTDB', file);
  assertStoreError(() => store.recent(1), 'EBADF', file);
  assert.equal(fs.readFileSync(file, 'utf8'), text);
});

test('a database with damaged pages gives a one-line error naming the path', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const writer = openHistoryStore(file);
  for (let pid = 1; pid <= 3_000; pid += 1) writer.record(finished(pid, {name: 'x'.repeat(40)}));
  writer.close(); // checkpoints the WAL into the main file

  const bytes = fs.readFileSync(file);
  const pageBytes = 4096;
  assert.ok(bytes.length > 8 * pageBytes, 'the fixture needs several pages to damage');
  bytes.fill(0x5a, 2 * pageBytes, bytes.length - pageBytes); // keep the header page, scribble over the rest
  fs.writeFileSync(file, bytes);

  const reader = openHistoryStore(file);
  assertStoreError(() => reader.summary(), 'ENOTDB', file);
  reader.close();
});

test('a database written by a newer p2pos is refused with a one-line error', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const future = new Database(file);
  future.pragma('user_version = 99');
  future.close();
  const store = openHistoryStore(file);
  const error = assertStoreError(() => store.summary(), 'ENOTSUP', file);
  assert.match(error.message, /schema version 99/);
  store.close();
});

test('a failed flush names the file and why, and keeps the rows for the next flush', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const store = openHistoryStore(file);
  store.record(finished(1));
  store.flush();

  // Running as root defeats chmod, so make writes fail from inside SQLite instead.
  const saboteur = new Database(file);
  t.after(() => saboteur.close());
  saboteur.exec(`CREATE TRIGGER full BEFORE INSERT ON processes
                 BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);

  store.record(finished(2));
  store.record(finished(3));
  const error = assertStoreError(() => store.flush(), 'EIO', file);
  assert.match(error.message, /database or disk is full \(2 finished processes still buffered\)/);

  saboteur.exec('DROP TRIGGER full');
  assert.deepEqual(
    store.recent(10).map(({boot, seq, pid}) => [boot, seq, pid]),
    [
      [1, 1, 1],
      [1, 2, 2],
      [1, 3, 3],
    ],
  );
  store.close();
});

test('a failed first flush does not use up a boot number', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const first = openHistoryStore(file);
  first.record(finished(1));
  first.close();
  const saboteur = new Database(file);
  t.after(() => saboteur.close());
  saboteur.exec(`CREATE TRIGGER full BEFORE INSERT ON processes BEGIN SELECT RAISE(ABORT, 'no room'); END`);

  const second = openHistoryStore(file);
  second.record(finished(1));
  assertStoreError(() => second.flush(), 'EIO', file);
  saboteur.exec('DROP TRIGGER full');
  assert.deepEqual(
    second.recent(2).map((row) => row.boot),
    [1, 2],
  );
  second.close();
});

test('record rejects a non-finite tick count before it can spoil a batch', () => {
  const store = openHistoryStore(':memory:');
  assertStoreError(() => store.record(finished(7, {waiting: Number.NaN})), 'EINVAL', 'waiting NaN');
  assertStoreError(
    () => store.record(finished(7, {firstRun: Number.POSITIVE_INFINITY})),
    'EINVAL',
    'firstRun Infinity',
  );
  store.record(finished(8));
  assert.deepEqual(
    store.recent(5).map((row) => row.pid),
    [8],
  );
  store.close();
});

test('close writes what is buffered, and every later call except close throws EBADF', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const store = openHistoryStore(file);
  store.record(finished(1));
  store.close();
  store.close(); // a second close does nothing

  assertStoreError(() => store.record(finished(2)), 'EBADF', file);
  assertStoreError(() => store.flush(), 'EBADF', file);
  assertStoreError(() => store.recent(1), 'EBADF', file);
  assertStoreError(() => store.summary(), 'EBADF', file);

  const reopened = openHistoryStore(file);
  assert.deepEqual(
    reopened.recent(5).map((row) => row.pid),
    [1],
  );
  reopened.close();
});

test('an empty path is rejected at once', () => {
  assertStoreError(() => openHistoryStore(''), 'EINVAL', 'path is empty');
});

test('prompt lines persist across sessions, oldest first, skipping blank ones', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const first = openHistoryStore(file);
  first.addLine('spawn a --burst 5');
  first.addLine('   ');
  first.addLine('ps');
  first.close();
  const second = openHistoryStore(file);
  assert.deepEqual(second.lines(10), ['spawn a --burst 5', 'ps']);
  second.addLine('wait all');
  assert.deepEqual(second.lines(2), ['ps', 'wait all']);
  assert.throws(
    () => second.lines(-1),
    (error: HistoryStoreError) => error.code === 'EINVAL',
  );
  second.close();
});

test('a database from before prompt lines gains the table on open', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const old = new Database(file);
  old.exec(`CREATE TABLE boots (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL);
    CREATE TABLE processes (id INTEGER PRIMARY KEY AUTOINCREMENT, boot INTEGER NOT NULL, seq INTEGER NOT NULL,
      pid INTEGER NOT NULL, name TEXT NOT NULL, arrival INTEGER NOT NULL, first_run INTEGER,
      completion INTEGER NOT NULL, burst INTEGER NOT NULL, cpu_time INTEGER NOT NULL, waiting INTEGER NOT NULL,
      turnaround INTEGER NOT NULL, response INTEGER, exit_status INTEGER NOT NULL, reason TEXT NOT NULL,
      UNIQUE (boot, seq));`);
  old.pragma('user_version = 1');
  old.close();
  const store = openHistoryStore(file);
  store.addLine('ps');
  assert.deepEqual(store.lines(5), ['ps']);
  store.close();
});

test('tasks are written with the processes and read back oldest first, args as JSON text', () => {
  const store = openHistoryStore(':memory:');
  store.recordTask(task('t1'));
  store.recordTask(
    task('t2', {
      status: 'failed',
      error: 'TypeError: boom',
      args: {deep: [1, 'two']},
      cached: true,
      startedAt: null,
    }),
  );
  store.recordTask(task('t3'));
  assert.deepEqual(store.recentTasks(2), [
    {
      ...task('t2', {status: 'failed', error: 'TypeError: boom', cached: true, startedAt: null}),
      seq: 2,
      args: '{"deep":[1,"two"]}',
    },
    {...task('t3'), seq: 3, args: '[3]'},
  ]);
  assert.deepEqual(store.recentTasks(0), []);
  assertStoreError(() => store.recentTasks(-1), 'EINVAL', 'limit -1');
  store.close();
});

test('long task arguments and errors are cut to 1 KiB, ending with …', () => {
  const store = openHistoryStore(':memory:');
  store.recordTask(task('big', {args: ['x'.repeat(5_000)], status: 'failed', error: 'e'.repeat(5_000)}));
  store.recordTask(task('odd', {args: [10n]}));
  const [big, odd] = store.recentTasks(2);
  assert.equal(big!.args.length, MAX_TASK_ARGS_CHARS);
  assert.ok(big!.args.startsWith('["xxx') && big!.args.endsWith('x…'));
  assert.equal(big!.error!.length, MAX_TASK_ERROR_CHARS);
  assert.equal(odd!.args, '"10"'); // JSON cannot hold a BigInt: kept as its text
  store.close();
});

test('taskSummary counts each status, the success rate and the mean times over every task', () => {
  const store = openHistoryStore(':memory:');
  assert.deepEqual(store.taskSummary(), {
    tasks: 0,
    ok: 0,
    failed: 0,
    canceled: 0,
    timeout: 0,
    successRate: 0,
    meanWaitingMs: 0,
    meanExecMs: 0,
    meanTurnaroundMs: 0,
  });
  store.recordTask(task('a'));
  store.recordTask(task('b', {waitingMs: 30, execMs: 40, turnaroundMs: 70}));
  store.recordTask(task('c', {status: 'failed', error: 'x', waitingMs: 5, execMs: 0, turnaroundMs: 5}));
  store.recordTask(
    task('d', {status: 'timeout', error: 'ran 5000 ms', waitingMs: 15, execMs: 100, turnaroundMs: 115}),
  );
  store.recordTask(
    task('e', {status: 'canceled', error: null, startedAt: null, waitingMs: 0, execMs: 0, turnaroundMs: 0}),
  );
  assert.deepEqual(store.taskSummary(), {
    tasks: 5,
    ok: 2,
    failed: 1,
    canceled: 1,
    timeout: 1,
    successRate: 0.4,
    meanWaitingMs: 12,
    meanExecMs: 32,
    meanTurnaroundMs: 44,
  });
  store.close();
});

test('tasks survive a restart, and a run that records only tasks adds no boot', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const first = openHistoryStore(file);
  first.recordTask(task('t1'));
  first.recordTask(task('t2', {status: 'timeout', error: 'took too long'}));
  assert.equal(fs.existsSync(file), false); // buffered: nothing written yet
  first.close();

  const second = openHistoryStore(file);
  second.recordTask(task('t3', {peer: 'p9'}));
  second.record(finished(2));
  const tasks = second.recentTasks(10);
  const summary = second.summary();
  second.close();
  assert.deepEqual(
    tasks.map(({seq, taskId, peer, status}) => ({seq, taskId, peer, status})),
    [
      {seq: 1, taskId: 't1', peer: 'p2', status: 'ok'},
      {seq: 2, taskId: 't2', peer: 'p2', status: 'timeout'},
      {seq: 3, taskId: 't3', peer: 'p9', status: 'ok'},
    ],
  );
  assert.equal(summary.boots, 1);
  assert.equal(summary.processes, 1);

  const third = openHistoryStore(file);
  assert.equal(third.taskSummary().tasks, 3);
  third.close();
});

test('recordTask refuses a bad field, naming it, and keeps nothing of that task', () => {
  const store = openHistoryStore(':memory:');
  const cases: [Partial<TaskRecord>, string][] = [
    [{status: 'lost' as TaskRecord['status']}, 'status lost'],
    [{waitingMs: -1}, 'waitingMs -1'],
    [{finishedAt: Number.NaN}, 'finishedAt NaN'],
    [{startedAt: Number.POSITIVE_INFINITY}, 'startedAt Infinity'],
    [{attempts: 1.5}, 'attempts 1.5'],
    [{cached: 1 as unknown as boolean}, 'cached 1'],
    [{fn: undefined as unknown as string}, 'fn undefined'],
    [{error: 7 as unknown as string}, 'error 7'],
  ];
  for (const [overrides, bad] of cases)
    assertStoreError(() => store.recordTask(task('x', overrides)), 'EINVAL', bad);
  assert.equal(store.taskSummary().tasks, 0);
  store.close();
});

test('a failed flush keeps the tasks buffered and says so', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const store = openHistoryStore(file);
  store.recordTask(task('t1'));
  store.flush();
  const saboteur = new Database(file);
  t.after(() => saboteur.close());
  saboteur.exec(`CREATE TRIGGER full BEFORE INSERT ON tasks
                 BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
  store.recordTask(task('t2'));
  store.record(finished(1));
  const error = assertStoreError(() => store.flush(), 'EIO', file);
  assert.match(error.message, /\(1 finished processes and 1 task still buffered\)/);
  saboteur.exec('DROP TRIGGER full');
  assert.deepEqual(
    store.recentTasks(5).map((row) => row.taskId),
    ['t1', 't2'],
  );
  assert.equal(store.summary().processes, 1);
  store.close();
});

test('a schema 2 database gains the tasks table on open and keeps its rows', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const writer = openHistoryStore(file);
  writer.record(finished(1));
  writer.addLine('ps');
  writer.close();
  const downgrade = new Database(file);
  downgrade.exec('DROP TABLE tasks; ALTER TABLE processes DROP COLUMN killed');
  downgrade.pragma('user_version = 2');
  downgrade.close();

  const store = openHistoryStore(file);
  store.recordTask(task('t1'));
  assert.deepEqual(
    store.recentTasks(5).map((row) => row.taskId),
    ['t1'],
  );
  assert.equal(store.recent(5).length, 1);
  assert.deepEqual(store.lines(5), ['ps']);
  store.close();
  const observer = new Database(file, {readonly: true});
  assert.equal(observer.pragma('user_version', {simple: true}), 5);
  observer.close();
});

test('a schema 4 database marks its killed processes on open, and the averages leave them out', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const writer = openHistoryStore(file);
  writer.record(finished(1, {turnaround: 4}));
  for (const [pid, reason] of [
    [2, 'killed by SIGTERM'],
    [3, 'killed with its ancestor 2'],
    [4, 'deadlock recovery'],
  ] as const) {
    writer.record(finished(pid, {turnaround: 0, exitStatus: 137, reason, killed: true}));
  }
  writer.record(finished(5, {turnaround: 8, exitStatus: 1, reason: 'task failed'}));
  writer.close();
  const downgrade = new Database(file);
  downgrade.exec('ALTER TABLE processes DROP COLUMN killed');
  downgrade.pragma('user_version = 4');
  downgrade.close();

  const store = openHistoryStore(file);
  assert.deepEqual(
    store.recent(5).map((row) => row.killed),
    [false, true, true, true, false],
  );
  const summary = store.summary();
  store.close();
  assert.deepEqual([summary.processes, summary.killed, summary.avgTurnaround], [5, 3, 6]);
});

// Background writes: the same store with its boots, processes and tasks written by a worker thread
// (dist/history-writer.js, so these need `node scripts/build.js` first, as `npm test` does).

const background = {backgroundWrites: true} as const;

/** Resolve after `ms` of real time. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test('background writes: processes and tasks round-trip, and a read right after record sees the row', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const store = openHistoryStore(file, background);
  store.record(finished(1));
  assert.deepEqual(store.recent(5), [{boot: 1, seq: 1, ...finished(1)}]);
  store.recordTask(task('t1', {args: {n: 3}, status: 'failed', error: 'boom', cached: true}));
  assert.deepEqual(store.recentTasks(5), [
    {...task('t1', {status: 'failed', error: 'boom', cached: true}), seq: 1, args: '{"n":3}'},
  ]);
  store.record(finished(2, {exitStatus: 1}));
  assert.equal(store.summary().failed, 1);
  store.recordTask(task('t2', {status: 'timeout'}));
  assert.equal(store.taskSummary().timeout, 1);
  store.close();
});

test('background writes: opening and closing without a row touches nothing on disk', (t) => {
  const file = path.join(tempDir(t), 'data', 'history.sqlite');
  const store = openHistoryStore(file, background);
  store.flush();
  store.close();
  assert.equal(fs.existsSync(path.dirname(file)), false);
});

test('background writes number boots as before, and a run with only tasks adds none', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const first = openHistoryStore(file, background);
  first.record(finished(1));
  first.record(finished(2));
  first.close();
  const tasksOnly = openHistoryStore(file, background);
  tasksOnly.recordTask(task('t1'));
  tasksOnly.close();
  const third = openHistoryStore(file, background);
  third.recordTask(task('t2'));
  third.flush(); // tasks alone: still no boot for this run
  third.record(finished(1, {name: 'editor'}));
  assert.deepEqual(
    third.recent(5).map(({boot, seq, name}) => `${name} ${boot}.${seq}`),
    ['proc1 1.1', 'proc2 1.2', 'editor 2.1'],
  );
  assert.equal(third.summary().boots, 2);
  third.close();
});

test('background close leaves every row on disk, in order', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const store = openHistoryStore(file, background);
  // Several full batches and a part of one, processes and tasks interleaved.
  for (let n = 1; n <= 1_000; n += 1) {
    store.record(finished(n));
    if (n % 3 === 0) store.recordTask(task(`t${n}`));
  }
  store.close();

  const reopened = openHistoryStore(file);
  const rows = reopened.recent(2_000);
  const tasks = reopened.recentTasks(2_000);
  reopened.close();
  assert.equal(rows.length, 1_000);
  assert.ok(rows.every((row, index) => row.pid === index + 1 && row.seq === index + 1 && row.boot === 1));
  assert.equal(tasks.length, 333);
  assert.ok(tasks.every((row, index) => row.taskId === `t${3 * (index + 1)}` && row.seq === index + 1));
});

test('background writes reach the file shortly after the last record, without a flush', async (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const store = openHistoryStore(file, background);
  t.after(() => store.close());
  store.record(finished(1));
  store.recordTask(task('t1'));
  let count = 0;
  for (let waited = 0; waited < 10_000 && count < 2; waited += 20) {
    await sleep(20);
    if (!fs.existsSync(file)) continue;
    const observer = new Database(file, {readonly: true});
    try {
      count = observer
        .prepare<[], number>('SELECT (SELECT COUNT(*) FROM processes) + (SELECT COUNT(*) FROM tasks)')
        .pluck()
        .get()!;
    } catch {
      // The worker has created the file but not its tables yet.
    } finally {
      observer.close();
    }
  }
  assert.equal(count, 2, 'the worker should have written both rows well within 10 s');
});

test('a broken file gives the same error with background writes as without', async (t) => {
  const setups: [string, (file: string) => void, HistoryStoreErrorCode][] = [
    ['not SQLite', (file) => fs.writeFileSync(file, 'my notes\n'.repeat(100)), 'ENOTDB'],
    ['a directory', (file) => fs.mkdirSync(file), 'EROFS'],
    [
      'a newer schema',
      (file) => {
        const future = new Database(file);
        future.pragma('user_version = 99');
        future.close();
      },
      'ENOTSUP',
    ],
  ];
  for (const [name, breakFile, code] of setups) {
    await t.test(name, (t) => {
      const messages = [undefined, background].map((options) => {
        const file = path.join(tempDir(t), 'history.sqlite');
        breakFile(file);
        const store = openHistoryStore(file, options);
        store.record(finished(1));
        store.recordTask(task('t1'));
        const flushed = assertStoreError(() => store.flush(), code, file);
        assertStoreError(() => store.recentTasks(1), code, file);
        assertStoreError(() => store.close(), code, file);
        assertStoreError(() => store.summary(), 'EBADF', file);
        return flushed.message.replace(file, 'FILE');
      });
      assert.equal(messages[1], messages[0]);
    });
  }
});

test('a failed background write names the file and why, and keeps the rows for the next flush', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const store = openHistoryStore(file, background);
  store.recordTask(task('t1'));
  store.flush();
  const saboteur = new Database(file);
  t.after(() => saboteur.close());
  saboteur.exec(`CREATE TRIGGER full BEFORE INSERT ON tasks
                 BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
  store.recordTask(task('t2'));
  store.record(finished(1));
  const error = assertStoreError(() => store.flush(), 'EIO', file);
  assert.match(
    error.message,
    /^Cannot save process history to .*: database or disk is full \(1 finished processes and 1 task still buffered\)\.$/,
  );
  assertStoreError(() => store.taskSummary(), 'EIO', file); // a read retries, and fails again
  saboteur.exec('DROP TRIGGER full');
  assert.deepEqual(
    store.recentTasks(5).map((row) => row.taskId),
    ['t1', 't2'],
  );
  // The failed attempts used up no boot: this run's processes are boot 1.
  assert.deepEqual(
    store.recent(5).map(({boot, seq}) => [boot, seq]),
    [[1, 1]],
  );
  store.close();
});

test('a background batch that failed is reported by a later record, and its rows are kept', async (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const store = openHistoryStore(file, background);
  store.record(finished(1));
  store.flush();
  const saboteur = new Database(file);
  t.after(() => saboteur.close());
  saboteur.exec(`CREATE TRIGGER full BEFORE INSERT ON processes
                 BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);

  // Batches go to the worker without waiting; a failure shows at a later batch's record().
  let recorded = 1;
  let caught: unknown;
  for (let round = 0; round < 500 && caught === undefined; round += 1) {
    try {
      for (let n = 0; n < 300; n += 1) {
        recorded += 1;
        store.record(finished(recorded));
      }
    } catch (error) {
      caught = error;
    }
    await sleep(20);
  }
  assert.ok(caught instanceof HistoryStoreError, `expected a HistoryStoreError, got ${String(caught)}`);
  assert.equal(caught.code, 'EIO');
  assert.match(caught.message, /database or disk is full \(\d+ finished processes still buffered\)/);

  saboteur.exec('DROP TRIGGER full');
  const rows = store.recent(100_000);
  store.close();
  assert.equal(rows.length, recorded); // the row whose record() threw is kept too
  assert.ok(rows.every((row, index) => row.seq === index + 1 && row.boot === 1));
});

test('the writer thread never keeps a process alive', (t) => {
  const file = path.join(tempDir(t), 'history.sqlite');
  const storeUrl = new URL('../../src/shell/history-store.ts', import.meta.url).href;
  // One store closed, one left open with its worker started and idle: the process must still end.
  const script = `
    import {openHistoryStore} from ${JSON.stringify(storeUrl)};
    const row = {pid: 1, name: 'a', arrival: 0, firstRun: 0, completion: 3, burst: 3, cpuTime: 3,
      waiting: 0, turnaround: 3, response: 0, exitStatus: 0, reason: 'exited', killed: false};
    const closed = openHistoryStore(process.argv[1], {backgroundWrites: true});
    closed.record(row);
    closed.close();
    const open = openHistoryStore(process.argv[1], {backgroundWrites: true});
    open.record({...row, pid: 2});
    console.log(open.recent(5).length);
  `;
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, file], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  const elapsedMs = performance.now() - started;
  assert.equal(child.signal, null, `the child was killed after ${Math.round(elapsedMs)} ms: ${child.stderr}`);
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), '2');
  // Start-up (tsx, the worker, SQLite) takes well under a second; an idle worker holding it up would hit the timeout.
  assert.ok(elapsedMs < 15_000, `the child took ${Math.round(elapsedMs)} ms`);
});
