// Process history: every finished process, across runs ("boots"), in a SQLite file that survives restarts;
// and every task this peer ran or submitted (real time, epoch ms). The shell records a row when a process
// finishes, the network one when a task ends; `history [N]` and `history --tasks [N]` read them back.
// Interface:
//   - openHistoryStore(path) opens lazily: nothing touches the disk (or loads SQLite) until rows are
//     written or read, so a run that finishes no process never creates the file.
//   - record() and recordTask() check the row and buffer it; flush() writes both buffers in one
//     transaction; recent(), summary(), recentTasks() and taskSummary() flush first.
//   - With {backgroundWrites: true} (a peer, the console) the writes happen in a worker thread
//     (history-writer.ts) with its own connection: the buffer goes there every POST_ROWS rows or
//     POST_DELAY_MS after its first row, and flush() and the reads wait for the worker's commit, so they
//     still see every row recorded before them. Prompt lines and reads stay on the caller's thread.
//   - close() flushes and closes (the worker too); call it on exit, or the rows still buffered are lost.

import type {ExitRecord} from '../kernel/index.js';
import fs from 'node:fs';
import nodePath from 'node:path'; // `path` is the database file's path throughout
import {fileURLToPath} from 'node:url';
import {MessageChannel, receiveMessageOnPort, Worker, type MessagePort} from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import {
  cutText,
  describeFailure,
  loadSqlite,
  migrateSchema,
  newerSchemaMessage,
  StoreError,
} from '../sqlite.js';
import type {WriterData, WriterFailure, WriterRequest} from './history-writer.js';

/** One finished process, as the kernel reports it on exit (virtual ticks). */
export type FinishedProcess = ExitRecord;

export interface HistoryRow extends FinishedProcess {
  /** The run that finished the process; boots are numbered 1, 2, ... across restarts. */
  boot: number;
  /** The order the process finished in within its boot, from 1. */
  seq: number;
}

/**
 * Figures over every stored row; each average is 0 when there is nothing to average. The averages leave
 * out killed processes: a signal cut their work short, so their times say nothing about the schedule.
 */
export interface HistorySummary {
  processes: number;
  boots: number;
  avgTurnaround: number;
  avgWaiting: number;
  /** Over the processes that ran at least once (response is null for the others). */
  avgResponse: number;
  /** Processes with a nonzero exit status (killed ones included). */
  failed: number;
  /** Processes ended by a signal (kill, deadlock recovery). */
  killed: number;
}

/** How a task ended: its function returned, threw, was canceled (kill, CANCEL) or ran out of time. */
export type TaskStatus = 'ok' | 'failed' | 'canceled' | 'timeout';

export const TASK_STATUSES: readonly TaskStatus[] = ['ok', 'failed', 'canceled', 'timeout'];

/** One task as recordTask takes it. Times are real: epoch ms for instants, ms for durations. */
export interface TaskRecord {
  taskId: string;
  /** Hash of the task's code (the same code gives the same hash). */
  codeHash: string;
  /** The function called. */
  fn: string;
  /** The call's arguments, any JSON value; stored as JSON text cut to MAX_TASK_ARGS_CHARS. */
  args: unknown;
  /** Id of the peer that ran it. */
  peer: string;
  /** Id of the peer (or client) that submitted it. */
  submitter: string;
  status: TaskStatus;
  /** Why it did not end ok; cut to MAX_TASK_ERROR_CHARS. */
  error: string | null;
  submittedAt: number;
  /** When the sandbox took it; null when it never started (canceled while queued, or a cached result). */
  startedAt: number | null;
  finishedAt: number;
  /** From submission until the sandbox took it. */
  waitingMs: number;
  /** In the sandbox. */
  execMs: number;
  /** From submission to the result. */
  turnaroundMs: number;
  /** Peers tried, 1 when the first one answered. */
  attempts: number;
  /** Whether the result came from the result cache instead of a run. */
  cached: boolean;
  /** The user whose session submitted it (issue 6); null when nobody was logged in. @default null */
  user?: string | null;
}

/** One stored task, oldest first in recentTasks(); `args` is the stored JSON text. */
export interface TaskRow extends Omit<TaskRecord, 'args'> {
  /** Insertion order across runs, from 1. */
  seq: number;
  args: string;
}

/** Figures over every stored task; each mean is 0 when there is no task. */
export interface TaskSummary {
  tasks: number;
  ok: number;
  /** Status 'failed' (the function threw or the sandbox failed). */
  failed: number;
  canceled: number;
  timeout: number;
  /** ok / tasks, 0..1; 0 when there is no task. */
  successRate: number;
  meanWaitingMs: number;
  meanExecMs: number;
  meanTurnaroundMs: number;
}

/** Longest JSON text kept for a task's arguments; longer text is cut and ends with …. */
export const MAX_TASK_ARGS_CHARS = 1024;
/** Longest error text kept for a task; longer text is cut and ends with …. */
export const MAX_TASK_ERROR_CHARS = 1024;

export interface HistoryStore {
  /**
   * Buffer one finished process for this boot; written in batches (a transaction per flush) so recording 100k processes stays fast.
   * Every 1,000 rows it flushes, and throws as flush() does if that fails (the row stays buffered). With background
   * writes it posts every 256 rows instead, and throws the failure of an earlier batch the worker could not write
   * (its rows stay in the worker for the next batch). Throws EINVAL for a non-finite tick count.
   */
  record(process: FinishedProcess): void;
  /**
   * Write buffered rows now (with background writes: wait until the worker has committed every row recorded so far).
   * On failure throws a HistoryStoreError naming the file and keeps the rows buffered.
   */
  flush(): void;
  /** The last `limit` rows (all boots), oldest first; flushes first. */
  recent(limit: number): HistoryRow[];
  summary(): HistorySummary;
  /**
   * Buffer one ended task, written with the processes at the next flush (at the latest every 1,000 rows; with
   * background writes, posted to the worker within 256 rows or 50 ms).
   * Throws EINVAL for a bad field (an unknown status, a negative or non-finite time), naming it.
   */
  recordTask(task: TaskRecord): void;
  /** The last `limit` tasks (all runs), oldest first; flushes first. */
  recentTasks(limit: number): TaskRow[];
  /** Counts and means over every stored task; flushes first. */
  taskSummary(): TaskSummary;
  /** Keep a line typed at the console's prompt (written at once; blank and over-long lines are skipped). */
  addLine(line: string): void;
  /** The last `limit` prompt lines (all sessions), oldest first. */
  lines(limit: number): string[];
  /**
   * Flush and close (with background writes, the worker too: when close() returns every row is on disk); later calls
   * throw a clear error (a second close() does nothing).
   */
  close(): void;
}

export type HistoryStoreErrorCode =
  | 'EINVAL' // a bad argument: negative limit, a non-finite tick count
  | 'EBADF' // the store is closed
  | 'ENOTDB' // the file is not a SQLite database, or is corrupt
  | 'ENOTSUP' // the file was written by a newer p2pos (a schema version this one does not know)
  | 'ENOSPC' // disk full
  | 'EROFS' // the file or its directory cannot be written
  | 'EBUSY' // another p2pos held the database longer than BUSY_TIMEOUT_MS
  | 'EIO'; // anything else SQLite or the file system reported

/** A history store failure; callers branch on `code`. The message is one line naming the file. */
export class HistoryStoreError extends StoreError<HistoryStoreErrorCode> {
  override name = 'HistoryStoreError';
}

const AUTO_FLUSH_ROWS = 1_000; // one transaction per thousand rows: fast, and a crash loses at most this many
// Background writes: the buffer goes to the worker at this many rows (cloning 256 rows costs the caller
// about 0.1 ms) or this long after its first row, whichever comes first, so a killed peer loses little.
const POST_ROWS = 256;
const POST_DELAY_MS = 50;
// flush(), the reads and close() wait this long for the worker's commit. It answers well within it
// (a batch takes a few ms; a locked database fails after BUSY_TIMEOUT_MS) unless it is stuck or gone.
const WRITER_TIMEOUT_MS = 10_000;
const WRITER_FILE = 'history-writer.js'; // bundled beside this module in dist/ (scripts/build.js)
const BUSY_TIMEOUT_MS = 2_000; // another p2pos sharing the data dir holds the write lock only for one flush
const DATA_DIR_MODE = 0o700; // history is the user's own business

// MIGRATIONS[n] takes the schema from version n to n + 1; a file's PRAGMA user_version says how far it is.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE boots (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     started_at TEXT NOT NULL -- wall-clock ISO time; never printed, so scripted output stays deterministic
   );
   CREATE TABLE processes (
     id INTEGER PRIMARY KEY AUTOINCREMENT, -- insertion order across boots
     boot INTEGER NOT NULL REFERENCES boots(id),
     seq INTEGER NOT NULL,
     pid INTEGER NOT NULL,
     name TEXT NOT NULL,
     arrival INTEGER NOT NULL,
     first_run INTEGER,
     completion INTEGER NOT NULL,
     burst INTEGER NOT NULL,
     cpu_time INTEGER NOT NULL,
     waiting INTEGER NOT NULL,
     turnaround INTEGER NOT NULL,
     response INTEGER,
     exit_status INTEGER NOT NULL,
     reason TEXT NOT NULL,
     UNIQUE (boot, seq)
   );`,
  // 2: the console's prompt lines, so up-arrow reaches commands typed in earlier sessions
  `CREATE TABLE prompt_lines (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     line TEXT NOT NULL
   );`,
  // 3: tasks this peer ran or submitted (issue 4); real time, so they have no boot
  `CREATE TABLE tasks (
     id INTEGER PRIMARY KEY AUTOINCREMENT, -- insertion order across runs
     task_id TEXT NOT NULL,
     code_hash TEXT NOT NULL,
     fn TEXT NOT NULL,
     args TEXT NOT NULL, -- JSON, cut to MAX_TASK_ARGS_CHARS
     peer TEXT NOT NULL,
     submitter TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'canceled', 'timeout')),
     error TEXT,
     submitted_at REAL NOT NULL, -- epoch ms
     started_at REAL,
     finished_at REAL NOT NULL,
     waiting_ms REAL NOT NULL,
     exec_ms REAL NOT NULL,
     turnaround_ms REAL NOT NULL,
     attempts INTEGER NOT NULL,
     cached INTEGER NOT NULL -- 0 or 1
   );`,
  // 4: the user who submitted each task (issue 6); null for tasks of no session and rows from before
  `ALTER TABLE tasks ADD COLUMN user TEXT;`,
  // 5: whether a signal ended the process, so the averages can leave it out; older rows are marked from
  // the reasons the kernel gives a signal's victims (kill, its descendants, deadlock recovery)
  `ALTER TABLE processes ADD COLUMN killed INTEGER NOT NULL DEFAULT 0; -- 0 or 1
   UPDATE processes SET killed = 1
     WHERE reason LIKE 'killed by SIG%' OR reason LIKE 'killed with its ancestor %'
        OR reason = 'deadlock recovery';`,
];

/** Prompt lines kept; older ones are dropped as new ones arrive (bash's HISTFILESIZE). */
export const MAX_PROMPT_LINES = 10_000;
/** A prompt line longer than this is not kept (a paste, not a command worth recalling). */
const MAX_PROMPT_LINE_CHARS = 4_096;

const ROW_COLUMNS = `boot, seq, pid, name, arrival, first_run AS firstRun, completion, burst,
  cpu_time AS cpuTime, waiting, turnaround, response, exit_status AS exitStatus, reason, killed`;

const TASK_COLUMNS = `id AS seq, task_id AS taskId, code_hash AS codeHash, fn, args, peer, submitter,
  status, error, submitted_at AS submittedAt, started_at AS startedAt, finished_at AS finishedAt,
  waiting_ms AS waitingMs, exec_ms AS execMs, turnaround_ms AS turnaroundMs, attempts, cached, user`;

const TASK_TEXT_FIELDS = ['taskId', 'codeHash', 'fn', 'peer', 'submitter'] as const;
const TASK_TIME_FIELDS = ['submittedAt', 'finishedAt', 'waitingMs', 'execMs', 'turnaroundMs'] as const;

const TICK_FIELDS = ['arrival', 'completion', 'burst', 'cpuTime', 'waiting', 'turnaround'] as const;
const OPTIONAL_TICK_FIELDS = ['firstRun', 'response'] as const;

/** A process row's insert parameters after `boot`, which the writer fills in. */
export type ProcessParams = [
  seq: number,
  pid: number,
  name: string,
  arrival: number,
  firstRun: number | null,
  completion: number,
  burst: number,
  cpuTime: number,
  waiting: number,
  turnaround: number,
  response: number | null,
  exitStatus: number,
  reason: string,
  killed: number,
];

type InsertParams = [boot: number, ...process: ProcessParams];

export type TaskInsertParams = [
  taskId: string,
  codeHash: string,
  fn: string,
  args: string,
  peer: string,
  submitter: string,
  status: TaskStatus,
  error: string | null,
  submittedAt: number,
  startedAt: number | null,
  finishedAt: number,
  waitingMs: number,
  execMs: number,
  turnaroundMs: number,
  attempts: number,
  cached: number,
  user: string | null,
];

/** A process row as SQLite gives it back: `killed` is 0 or 1. */
type StoredHistoryRow = Omit<HistoryRow, 'killed'> & {killed: number};

/** A task row as SQLite gives it back: `cached` is 0 or 1. */
type StoredTaskRow = Omit<TaskRow, 'cached'> & {cached: number};

interface TaskSummaryResult {
  tasks: number;
  ok: number | null;
  failed: number | null;
  canceled: number | null;
  timeout: number | null;
  meanWaitingMs: number | null;
  meanExecMs: number | null;
  meanTurnaroundMs: number | null;
}

interface SummaryResult {
  processes: number;
  boots: number;
  avgTurnaround: number | null;
  avgWaiting: number | null;
  avgResponse: number | null;
  failed: number | null;
  killed: number | null;
}

/** An open database with its statements; history-writer.ts opens its own. */
export interface Connection {
  db: BetterSqlite3.Database;
  insertBoot: BetterSqlite3.Statement<[startedAt: string]>;
  insertProcess: BetterSqlite3.Statement<InsertParams>;
  selectRecent: BetterSqlite3.Statement<[limit: number], StoredHistoryRow>;
  selectSummary: BetterSqlite3.Statement<[], SummaryResult>;
  insertLine: BetterSqlite3.Statement<[line: string]>;
  trimLines: BetterSqlite3.Statement<[keep: number]>;
  selectLines: BetterSqlite3.Statement<[limit: number], {line: string}>;
  insertTask: BetterSqlite3.Statement<TaskInsertParams>;
  selectRecentTasks: BetterSqlite3.Statement<[limit: number], StoredTaskRow>;
  selectTaskSummary: BetterSqlite3.Statement<[], TaskSummaryResult>;
}

// Loaded on first use, not at import: `p2pos -c exit` should not pay for the native module.

export interface HistoryStoreOptions {
  /**
   * Write boots, processes and tasks from a worker thread with its own connection to the file, so that
   * record() and recordTask() cost the caller only the checks and a share of a postMessage. Rows go to
   * the worker every POST_ROWS rows and POST_DELAY_MS after the first one, so a killed process loses at
   * most those (plus what the worker has not committed yet). flush(), the reads and close() wait for the worker's
   * commit (an EIO after WRITER_TIMEOUT_MS), so they see every row recorded before them, and failures
   * surface as the same errors as without it. The worker starts at the first write and never keeps the
   * process alive. Ignored for ':memory:', which a second connection cannot share. Default false.
   */
  backgroundWrites?: boolean;
}

/**
 * Open (creating if needed) the history database at `path` (a file path, or ':memory:').
 * Nothing is loaded, read or written until rows are flushed or read (recent, summary); errors from
 * opening (a corrupt file, an unwritable directory) surface there as a HistoryStoreError. Throws EINVAL
 * at once for an empty path.
 */
export function openHistoryStore(path: string, options: HistoryStoreOptions = {}): HistoryStore {
  if (path === '') {
    throw new HistoryStoreError(
      'EINVAL',
      path,
      'History database path is empty. Expected a file path or :memory:.',
    );
  }
  const writesInBackground = options.backgroundWrites === true && path !== ':memory:';

  let connection: Connection | undefined; // reads and prompt lines (and every write without the worker)
  let isClosed = false;
  let boot: number | undefined; // created by the first flush that has rows (the worker keeps its own)
  let finishedThisBoot = 0;
  let buffer: ProcessParams[] = [];
  let taskBuffer: TaskInsertParams[] = [];
  let autoFlushAt = writesInBackground ? POST_ROWS : AUTO_FLUSH_ROWS;
  // Background writes only: the worker (started by the first post) and the timer that posts a quiet buffer.
  let writer: BackgroundWriter | undefined;
  let postTimer: NodeJS.Timeout | undefined;

  function assertOpen(): void {
    if (isClosed) throw new HistoryStoreError('EBADF', path, `History store ${path} is closed.`);
  }

  function connect(): Connection {
    assertOpen();
    connection ??= openConnection(path);
    return connection;
  }

  function flush(): void {
    assertOpen();
    if (writesInBackground) {
      flushToWriter();
      return;
    }
    // Nothing to write: don't open the database (a run that finishes no process never touches the disk).
    if (buffer.length === 0 && taskBuffer.length === 0) return;
    const opened = connect();
    try {
      boot = writeRows(opened, boot, buffer, taskBuffer);
    } catch (error) {
      // The transaction rolled back (boot row included), so the rows stay buffered for the next flush.
      throw saveError(error, path, buffer.length, taskBuffer.length);
    }
    buffer = [];
    taskBuffer = [];
    autoFlushAt = AUTO_FLUSH_ROWS;
  }

  /** Hand the buffer to the worker (starting it) without waiting. Throws EIO if the worker cannot start. */
  function post(): void {
    clearTimeout(postTimer);
    postTimer = undefined;
    writer ??= startWriter(path);
    writer.post(buffer, taskBuffer);
    buffer = [];
    taskBuffer = [];
  }

  /** Post what is buffered and wait until the worker has committed everything it holds. */
  function flushToWriter(): void {
    if (buffer.length > 0 || taskBuffer.length > 0) post();
    writer?.settle();
    autoFlushAt = POST_ROWS;
  }

  /** After a row is buffered: write or post the buffer when it is full. */
  function onBuffered(): void {
    if (writesInBackground) postWhenFull();
    else flushWhenFull();
  }

  /** After a failed flush, try again a batch later rather than throwing on every record. */
  function flushWhenFull(): void {
    if (buffer.length + taskBuffer.length < autoFlushAt) return;
    autoFlushAt = buffer.length + taskBuffer.length + AUTO_FLUSH_ROWS;
    flush();
  }

  /** Post a full buffer, or the first row of one POST_DELAY_MS later; throws an earlier batch's failure once. */
  function postWhenFull(): void {
    const rows = buffer.length + taskBuffer.length;
    if (rows === 1) {
      // Post it soon even if no more rows come. unref: the timer never keeps the process up.
      postTimer = setTimeout(() => {
        try {
          post();
        } catch {
          // The worker could not start; the rows stay buffered and the next flush or batch says why.
        }
      }, POST_DELAY_MS).unref();
    }
    if (rows < autoFlushAt) return;
    autoFlushAt = rows + POST_ROWS; // if the worker cannot start, throw again a batch later, not every record
    post();
    autoFlushAt = POST_ROWS;
    // A batch posted earlier that the worker could not write, reported as an in-thread flush would have been.
    const failure = writer?.takeFailure();
    if (failure !== undefined) throw failure;
  }

  return {
    record(process) {
      assertOpen();
      checkTicks(process, path);
      finishedThisBoot += 1;
      // Parameters now, so a caller reusing its object cannot change a buffered row.
      buffer.push(processParams(finishedThisBoot, process));
      onBuffered();
    },

    flush,

    recent(limit) {
      checkLimit(limit, path, 'History limit', 'rows');
      flush();
      const {selectRecent} = connect();
      return readOrThrow(path, () =>
        selectRecent.all(limit).map((row) => ({...row, killed: row.killed !== 0})),
      );
    },

    summary() {
      flush();
      const {selectSummary} = connect();
      const result = readOrThrow(path, () => selectSummary.get());
      return {
        processes: result?.processes ?? 0,
        boots: result?.boots ?? 0,
        avgTurnaround: result?.avgTurnaround ?? 0,
        avgWaiting: result?.avgWaiting ?? 0,
        avgResponse: result?.avgResponse ?? 0,
        failed: result?.failed ?? 0,
        killed: result?.killed ?? 0,
      };
    },

    recordTask(task) {
      assertOpen();
      // Checked and turned into parameters now, so a caller reusing its object cannot change a buffered row.
      taskBuffer.push(taskParams(task, path));
      onBuffered();
    },

    recentTasks(limit) {
      checkLimit(limit, path, 'Task limit', 'rows');
      flush();
      const {selectRecentTasks} = connect();
      return readOrThrow(path, () =>
        selectRecentTasks.all(limit).map((row) => ({...row, cached: row.cached !== 0})),
      );
    },

    taskSummary() {
      flush();
      const {selectTaskSummary} = connect();
      const result = readOrThrow(path, () => selectTaskSummary.get());
      const tasks = result?.tasks ?? 0;
      const ok = result?.ok ?? 0;
      return {
        tasks,
        ok,
        failed: result?.failed ?? 0,
        canceled: result?.canceled ?? 0,
        timeout: result?.timeout ?? 0,
        successRate: tasks === 0 ? 0 : ok / tasks,
        meanWaitingMs: result?.meanWaitingMs ?? 0,
        meanExecMs: result?.meanExecMs ?? 0,
        meanTurnaroundMs: result?.meanTurnaroundMs ?? 0,
      };
    },

    addLine(line) {
      if (line.trim() === '' || line.length > MAX_PROMPT_LINE_CHARS) return;
      const {db, insertLine, trimLines} = connect();
      try {
        db.transaction(() => {
          const {lastInsertRowid} = insertLine.run(line);
          // Trim now and then rather than on every line: one DELETE per thousand lines.
          if (Number(lastInsertRowid) % 1_000 === 0) trimLines.run(MAX_PROMPT_LINES);
        })();
      } catch (error) {
        throw toStoreError(error, path, (reason) => `Cannot save the prompt line to ${path}: ${reason}.`);
      }
    },

    lines(limit) {
      checkLimit(limit, path, 'Line limit', 'lines');
      const {selectLines} = connect();
      return readOrThrow(path, () => selectLines.all(limit).map((row) => row.line));
    },

    close() {
      // Idempotent, so an exit path and a signal handler can both call it.
      if (isClosed) return;
      try {
        flush(); // a store that never opened and has nothing buffered stays off the disk
      } finally {
        // Close even when the last flush failed: the process is going away, and the rows with it.
        isClosed = true;
        buffer = [];
        taskBuffer = [];
        clearTimeout(postTimer);
        writer?.close();
        writer = undefined;
        connection?.db.close();
        connection = undefined;
      }
    },
  };
}

// openConnection, writeRows, saveError and the WRITER_ slots are shared with history-writer.ts.

/**
 * Open `path` (creating it and its directory), switch it to WAL and bring its schema up to date; used by
 * the store and by its worker. Throws a HistoryStoreError (ENOTDB, ENOTSUP, EROFS, ...) naming the file.
 */
export function openConnection(path: string): Connection {
  const isMemory = path === ':memory:';
  let db: BetterSqlite3.Database | undefined;
  try {
    if (!isMemory) fs.mkdirSync(nodePath.dirname(path), {recursive: true, mode: DATA_DIR_MODE});
    const Database = loadSqlite();
    db = new Database(path, {timeout: BUSY_TIMEOUT_MS});
    // The first statement reads the header, so a file that is not SQLite fails here.
    if (!isMemory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrateSchema(
      db,
      MIGRATIONS,
      (version, known) =>
        new HistoryStoreError('ENOTSUP', path, newerSchemaMessage('History database', path, version, known)),
    );
    return {
      db,
      insertBoot: db.prepare<[string]>('INSERT INTO boots (started_at) VALUES (?)'),
      insertProcess: db.prepare<InsertParams>(
        `INSERT INTO processes (boot, seq, pid, name, arrival, first_run, completion, burst,
           cpu_time, waiting, turnaround, response, exit_status, reason, killed)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      selectRecent: db.prepare<[number], StoredHistoryRow>(
        `SELECT ${ROW_COLUMNS} FROM (SELECT * FROM processes ORDER BY id DESC LIMIT ?) ORDER BY id`,
      ),
      selectSummary: db.prepare<[], SummaryResult>(
        `SELECT COUNT(*) AS processes,
           (SELECT COUNT(*) FROM boots) AS boots,
           AVG(CASE WHEN killed = 0 THEN turnaround END) AS avgTurnaround,
           AVG(CASE WHEN killed = 0 THEN waiting END) AS avgWaiting,
           AVG(CASE WHEN killed = 0 THEN response END) AS avgResponse,
           SUM(exit_status <> 0) AS failed,
           SUM(killed) AS killed
         FROM processes`,
      ),
      insertLine: db.prepare<[string]>('INSERT INTO prompt_lines (line) VALUES (?)'),
      trimLines: db.prepare<[number]>(
        'DELETE FROM prompt_lines WHERE id <= (SELECT MAX(id) FROM prompt_lines) - ?',
      ),
      selectLines: db.prepare<[number], {line: string}>(
        'SELECT line FROM (SELECT id, line FROM prompt_lines ORDER BY id DESC LIMIT ?) ORDER BY id',
      ),
      insertTask: db.prepare<TaskInsertParams>(
        `INSERT INTO tasks (task_id, code_hash, fn, args, peer, submitter, status, error, submitted_at,
           started_at, finished_at, waiting_ms, exec_ms, turnaround_ms, attempts, cached, user)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      selectRecentTasks: db.prepare<[number], StoredTaskRow>(
        `SELECT ${TASK_COLUMNS} FROM (SELECT * FROM tasks ORDER BY id DESC LIMIT ?) ORDER BY id`,
      ),
      selectTaskSummary: db.prepare<[], TaskSummaryResult>(
        `SELECT COUNT(*) AS tasks,
           SUM(status = 'ok') AS ok,
           SUM(status = 'failed') AS failed,
           SUM(status = 'canceled') AS canceled,
           SUM(status = 'timeout') AS timeout,
           AVG(waiting_ms) AS meanWaitingMs,
           AVG(exec_ms) AS meanExecMs,
           AVG(turnaround_ms) AS meanTurnaroundMs
         FROM tasks`,
      ),
    };
  } catch (error) {
    db?.close();
    if (error instanceof HistoryStoreError) throw error;
    throw toStoreError(error, path, (reason) => `Cannot open history database ${path}: ${reason}.`);
  }
}

/**
 * Write tasks and processes in one IMMEDIATE transaction and return the boot the processes went to. The
 * first write with processes creates the boot row (`boot` undefined); tasks alone add none. Throws
 * SQLite's error after rolling back everything, boot row included, so the caller keeps its rows.
 */
export function writeRows(
  {db, insertBoot, insertProcess, insertTask}: Connection,
  boot: number | undefined,
  processes: readonly ProcessParams[],
  tasks: readonly TaskInsertParams[],
): number | undefined {
  // IMMEDIATE takes the write lock up front, so a second p2pos waits (busy_timeout) instead of failing.
  return db
    .transaction((): number | undefined => {
      for (const task of tasks) insertTask.run(...task);
      // Tasks alone add no boot: a boot is a run that finished processes.
      if (processes.length === 0) return boot;
      const bootId = boot ?? Number(insertBoot.run(new Date().toISOString()).lastInsertRowid);
      for (const row of processes) insertProcess.run(bootId, ...row);
      return bootId;
    })
    .immediate();
}

/** A failed writeRows as the store reports it: the file, why, and what is still buffered. */
export function saveError(error: unknown, path: string, processes: number, tasks: number): HistoryStoreError {
  const buffered = [
    ...(processes > 0 || tasks === 0 ? [`${processes} finished processes`] : []),
    ...(tasks > 0 ? [`${tasks} ${tasks === 1 ? 'task' : 'tasks'}`] : []),
  ].join(' and ');
  return toStoreError(
    error,
    path,
    (reason) => `Cannot save process history to ${path}: ${reason} (${buffered} still buffered).`,
  );
}

function processParams(seq: number, p: FinishedProcess): ProcessParams {
  return [
    seq,
    p.pid,
    p.name,
    p.arrival,
    p.firstRun,
    p.completion,
    p.burst,
    p.cpuTime,
    p.waiting,
    p.turnaround,
    p.response,
    p.exitStatus,
    p.reason,
    p.killed ? 1 : 0,
  ];
}

// Slots of the Int32Array the store and its worker share (history-writer.ts writes them).
/** The id of the last batch the worker has handled: committed, or failed and kept for the next one. */
export const WRITER_HANDLED = 0;
/** 1 while the worker holds rows its last write could not commit, else 0. */
export const WRITER_FAILING = 1;

/** The caller's side of the worker that writes a store's rows (history-writer.ts). */
interface BackgroundWriter {
  /** Send rows to the worker; returns at once. */
  post(processes: ProcessParams[], tasks: TaskInsertParams[]): void;
  /**
   * Wait until the worker has handled every batch posted (retrying rows an earlier batch failed to write).
   * Throws the last write's HistoryStoreError if it failed, or EIO if the worker does not answer in time.
   */
  settle(): void;
  /** The failure of a batch handled since the last one reported, if any (does not wait). */
  takeFailure(): HistoryStoreError | undefined;
  /** Write what was posted, close the worker's database and end it; never throws. */
  close(): void;
}

/** Start the worker that writes `path`'s rows. Throws EIO when its bundled file is missing. */
function startWriter(path: string): BackgroundWriter {
  const file = writerFile();
  if (!fs.existsSync(file)) {
    throw new HistoryStoreError(
      'EIO',
      path,
      `Cannot save process history to ${path}: the history writer ${file} is missing (run npm run build).`,
    );
  }
  const state = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  const {port1: replies, port2: workerReplies} = new MessageChannel();
  const data: WriterData = {path, state: state.buffer as SharedArrayBuffer, replies: workerReplies};
  // execArgv: [] keeps the caller's loaders (tsx in tests) and flags out of a worker that runs plain JS.
  const worker = new Worker(file, {workerData: data, transferList: [workerReplies], execArgv: []});
  worker.unref();
  replies.unref();
  let exitError: Error | undefined;
  // Without a listener an error in the worker would be thrown on this thread; keep it for the timeout message.
  worker.on('error', (error) => {
    exitError = error;
  });
  let posted = 0; // ids of batches sent, from 1
  let reported = 0; // the last batch whose failure was thrown
  let latest: WriterFailure | undefined; // the newest failure the worker sent
  let isStuck = false; // it missed a WRITER_TIMEOUT_MS: don't wait for it again on close

  function send(request: WriterRequest): void {
    worker.postMessage(request);
  }

  /** Block until the worker has handled batch `id`. */
  function waitFor(id: number): void {
    const deadline = performance.now() + WRITER_TIMEOUT_MS;
    for (;;) {
      const handled = Atomics.load(state, WRITER_HANDLED);
      if (handled >= id) return;
      const left = deadline - performance.now();
      if (left <= 0 || isStuck) {
        isStuck = true;
        const why = exitError === undefined ? '' : ` (${exitError.message.replace(/\s+/g, ' ')})`;
        throw new HistoryStoreError(
          'EIO',
          path,
          `Cannot save process history to ${path}: its writer thread did not answer within ${WRITER_TIMEOUT_MS / 1_000} s${why}; the rows recorded since its last commit may be lost.`,
        );
      }
      Atomics.wait(state, WRITER_HANDLED, handled, left);
    }
  }

  /** The failure the worker reported for its last handled batch, if that batch failed. */
  function currentFailure(): WriterFailure | undefined {
    if (Atomics.load(state, WRITER_FAILING) === 0) return undefined;
    // The worker sends the failure before it sets WRITER_FAILING, so the message is already here.
    for (let next = receiveMessageOnPort(replies); next !== undefined; next = receiveMessageOnPort(replies))
      latest = next.message as WriterFailure;
    return latest;
  }

  function toError(failure: WriterFailure): HistoryStoreError {
    reported = Math.max(reported, failure.id);
    const error = new HistoryStoreError(failure.code, path, failure.message);
    error.cause = Object.assign(new Error(failure.cause.message), {code: failure.cause.code});
    return error;
  }

  return {
    post(processes, tasks) {
      posted += 1;
      send({type: 'write', id: posted, processes, tasks});
    },

    settle() {
      // Rows a failed batch left in the worker are retried by the next one; send an empty one if need be.
      if (Atomics.load(state, WRITER_FAILING) === 1 && Atomics.load(state, WRITER_HANDLED) === posted) {
        posted += 1;
        send({type: 'write', id: posted, processes: [], tasks: []});
      }
      waitFor(posted);
      const failure = currentFailure();
      if (failure !== undefined) throw toError(failure);
    },

    takeFailure() {
      const failure = currentFailure();
      return failure !== undefined && failure.id > reported ? toError(failure) : undefined;
    },

    close() {
      if (!isStuck) {
        posted += 1;
        send({type: 'close', id: posted});
        try {
          waitFor(posted);
        } catch {
          // Stuck: terminate it below; the caller's flush has already reported what was lost.
        }
      }
      void worker.terminate();
      replies.close();
    },
  };
}

/** The worker's bundled file: beside this module in dist/, else the package's dist/ when running from src/. */
function writerFile(): string {
  const beside = nodePath.join(nodePath.dirname(fileURLToPath(import.meta.url)), WRITER_FILE);
  if (fs.existsSync(beside)) return beside;
  return fileURLToPath(new URL(`../../dist/${WRITER_FILE}`, import.meta.url));
}

/** Reject a row limit SQLite would misread (negative means "no limit" there). */
function checkLimit(limit: number, path: string, what: string, unit: string): void {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new HistoryStoreError(
      'EINVAL',
      path,
      `${what} ${limit} is not allowed. Expected a whole number of ${unit}, 0 or more.`,
    );
  }
}

/** Run a query; a failure (a corrupt page, a lock held too long) becomes a one-line HistoryStoreError. */
function readOrThrow<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw toStoreError(error, path, (reason) => `Cannot read process history from ${path}: ${reason}.`);
  }
}

/** A task's insert parameters; throws EINVAL naming the first bad field (before it can poison a batch). */
function taskParams(task: TaskRecord, path: string): TaskInsertParams {
  const bad = (field: keyof TaskRecord, expected: string) =>
    new HistoryStoreError(
      'EINVAL',
      path,
      `Task ${String(task.taskId)} has ${field} ${String(task[field])}. Expected ${expected}.`,
    );
  for (const field of TASK_TEXT_FIELDS) {
    if (typeof task[field] !== 'string') throw bad(field, 'a string');
  }
  if (!TASK_STATUSES.includes(task.status)) throw bad('status', `one of ${TASK_STATUSES.join(', ')}`);
  if (task.error !== null && typeof task.error !== 'string') throw bad('error', 'a string or null');
  for (const field of TASK_TIME_FIELDS) {
    const value = task[field];
    if (!Number.isFinite(value) || value < 0) throw bad(field, 'a finite number of ms, 0 or more');
  }
  const {startedAt} = task;
  if (startedAt !== null && (!Number.isFinite(startedAt) || startedAt < 0)) {
    throw bad('startedAt', 'a finite number of ms, 0 or more, or null');
  }
  if (!Number.isSafeInteger(task.attempts) || task.attempts < 0)
    throw bad('attempts', 'a whole number, 0 or more');
  if (typeof task.cached !== 'boolean') throw bad('cached', 'true or false');
  if (
    task.user !== undefined &&
    task.user !== null &&
    (typeof task.user !== 'string' || task.user.length > 64)
  )
    throw bad('user', 'a user name of at most 64 characters, or null');
  return [
    task.taskId,
    task.codeHash,
    task.fn,
    cutText(argsText(task.args), MAX_TASK_ARGS_CHARS),
    task.peer,
    task.submitter,
    task.status,
    task.error === null ? null : cutText(task.error, MAX_TASK_ERROR_CHARS),
    task.submittedAt,
    startedAt,
    task.finishedAt,
    task.waitingMs,
    task.execMs,
    task.turnaroundMs,
    task.attempts,
    task.cached ? 1 : 0,
    task.user ?? null,
  ];
}

/** Arguments as JSON text; a value JSON cannot hold (a cycle, a BigInt) is kept as its description. */
function argsText(args: unknown): string {
  try {
    return JSON.stringify(args) ?? 'null';
  } catch {
    return JSON.stringify(String(args));
  }
}

/** Reject what SQLite would store as NULL or junk, before it can poison a whole batch at flush time. */
function checkTicks(process: FinishedProcess, path: string): void {
  for (const field of TICK_FIELDS) {
    if (!Number.isFinite(process[field])) {
      throw badField(process, field, path, 'a finite number of ticks');
    }
  }
  for (const field of OPTIONAL_TICK_FIELDS) {
    const value = process[field];
    if (value !== null && !Number.isFinite(value)) {
      throw badField(process, field, path, 'a finite number of ticks, or null');
    }
  }
  if (!Number.isSafeInteger(process.pid)) throw badField(process, 'pid', path, 'an integer');
  if (!Number.isSafeInteger(process.exitStatus)) throw badField(process, 'exitStatus', path, 'an integer');
  if (typeof process.name !== 'string') throw badField(process, 'name', path, 'a string');
  if (typeof process.reason !== 'string') throw badField(process, 'reason', path, 'a string');
  if (typeof process.killed !== 'boolean') throw badField(process, 'killed', path, 'true or false');
}

function badField(
  process: FinishedProcess,
  field: keyof FinishedProcess,
  path: string,
  expected: string,
): HistoryStoreError {
  return new HistoryStoreError(
    'EINVAL',
    path,
    `Process ${String(process.pid)} has ${field} ${String(process[field])}. Expected ${expected}.`,
  );
}

/** Wrap a SQLite or fs error as one line naming the file, e.g. "Cannot open history database /x: file is not a database." */
function toStoreError(error: unknown, path: string, describe: (reason: string) => string): HistoryStoreError {
  const {code, reason} = describeFailure(error);
  const storeError = new HistoryStoreError(code, path, describe(reason));
  storeError.cause = error;
  return storeError;
}
