// The history store's writer thread: with openHistoryStore(path, {backgroundWrites: true}) the store
// checks rows on the caller's thread and posts them here in batches; this thread writes them with its own
// connection to the file, one IMMEDIATE transaction per wake-up (batches that queued meanwhile are taken
// together). After each wake-up it publishes the last batch id it handled in the shared Int32Array
// (WRITER_HANDLED) and wakes the store, which may be blocked in Atomics.wait for a flush, a read or close.
// A failed write keeps its rows for the next batch (as an in-thread flush keeps them buffered) and sends a
// WriterFailure on the replies port before setting WRITER_FAILING, so the store can read it synchronously.
// The boot row logic is the store's writeRows(): the first write with processes creates this run's boot.

import {parentPort, receiveMessageOnPort, workerData, type MessagePort} from 'node:worker_threads';
import {
  HistoryStoreError,
  openConnection,
  saveError,
  WRITER_FAILING,
  WRITER_HANDLED,
  writeRows,
  type Connection,
  type HistoryStoreErrorCode,
  type ProcessParams,
  type TaskInsertParams,
} from './history-store.js';

/** What the store passes at start-up. */
export interface WriterData {
  /** The database file. */
  path: string;
  /** Two Int32 slots: WRITER_HANDLED and WRITER_FAILING. */
  state: SharedArrayBuffer;
  /** Where WriterFailures go. */
  replies: MessagePort;
}

/** A batch to write (possibly empty: "retry what you hold"), or the last message: close the database. */
export type WriterRequest =
  | {type: 'write'; id: number; processes: ProcessParams[]; tasks: TaskInsertParams[]}
  | {type: 'close'; id: number};

/** Why batch `id` was not written: the HistoryStoreError the store throws, field by field. */
export interface WriterFailure {
  id: number;
  code: HistoryStoreErrorCode;
  message: string;
  cause: {message: string; code: unknown};
}

const {path, state: stateBuffer, replies} = workerData as WriterData;
const state = new Int32Array(stateBuffer);
const port = parentPort!;

let connection: Connection | undefined; // opened by the first batch with rows; a failed open is retried
let boot: number | undefined;
// Rows not yet committed: this wake-up's, and those earlier failed writes kept.
let processes: ProcessParams[] = [];
let tasks: TaskInsertParams[] = [];

port.on('message', (first: WriterRequest) => {
  const requests = [first];
  for (let next = receiveMessageOnPort(port); next !== undefined; next = receiveMessageOnPort(port))
    requests.push(next.message as WriterRequest);
  let lastId = 0;
  let isClosing = false;
  let hasWrites = false;
  for (const request of requests) {
    lastId = request.id;
    if (request.type === 'close') isClosing = true;
    else {
      hasWrites = true;
      for (const row of request.processes) processes.push(row);
      for (const row of request.tasks) tasks.push(row);
    }
  }
  // A close alone does not retry rows the store's last flush already failed to write (and reported).
  const failure = hasWrites ? write() : undefined;
  if (isClosing) {
    connection?.db.close(); // checkpoints the WAL; the rows of a failed last write go with the process
    connection = undefined;
  }
  if (failure !== undefined) {
    const cause = failure.cause as {message?: unknown; code?: unknown} | undefined;
    replies.postMessage({
      id: lastId,
      code: failure.code,
      message: failure.message,
      cause: {message: String(cause?.message ?? failure.message), code: cause?.code},
    } satisfies WriterFailure);
  }
  Atomics.store(state, WRITER_FAILING, failure === undefined ? 0 : 1);
  Atomics.store(state, WRITER_HANDLED, lastId);
  Atomics.notify(state, WRITER_HANDLED);
  if (isClosing) {
    port.close();
    replies.close();
  }
});

/** Write every row held; on failure keep them and return the error the store will throw. */
function write(): HistoryStoreError | undefined {
  if (processes.length === 0 && tasks.length === 0) return undefined;
  try {
    connection ??= openConnection(path);
  } catch (error) {
    return asStoreError(error, (reason) => `Cannot open history database ${path}: ${reason}.`);
  }
  try {
    boot = writeRows(connection, boot, processes, tasks);
  } catch (error) {
    return saveError(error, path, processes.length, tasks.length);
  }
  processes = [];
  tasks = [];
  return undefined;
}

/** openConnection throws HistoryStoreErrors; anything else here is a bug, still reported rather than hung on. */
function asStoreError(error: unknown, describe: (reason: string) => string): HistoryStoreError {
  if (error instanceof HistoryStoreError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  const storeError = new HistoryStoreError('EIO', path, describe(reason));
  storeError.cause = error;
  return storeError;
}
