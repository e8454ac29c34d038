// The sandbox host: a child process that runs untrusted tasks for the pool (pool.ts), one at a time,
// in isolated-vm (runner.ts). It reads run and cancel frames on stdin and writes results on stdout
// (protocol.ts). Started as
//   node --no-node-snapshot dist/sandbox-host.js '{"memoryMb":64,"maxOutputBytes":1048576}'
// A frame it cannot use gets an error reply; bytes that are not frames, or an error of its own, end
// it with a non-zero status, and the pool starts another. It exits when stdin closes.

import {Worker} from 'node:worker_threads';
import {encodeFrame, FrameDecoder, MAX_BODY_BYTES, type Frame, type FrameHeader} from '../frame.js';
import {
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_MEMORY_MB,
  HOLD_MAX,
  isMemoryMb,
  parseRunRequest,
  type HostConfig,
  type RunRequest,
  type TaskOutcome,
} from './protocol.js';
import {TaskRunner} from './runner.js';

/** How often the watcher thread looks for its parent. */
const PARENT_CHECK_MS = 250;
/** Run tasks for at most this long before reading stdin again (cancels, more work). */
const SLICE_MS = 10;

interface Queued {
  request: RunRequest;
  argsJson: string;
}

const config = parseConfig(process.argv[2]);
const runner = new TaskRunner(config);
const decoder = new FrameDecoder();
const queue: Queued[] = [];
let outbox: Buffer[] = [];
/** Results in the outbox: kept back only before a `hold` task, and never more than HOLD_MAX. */
let heldResults = 0;
let isDraining = false;
let isPreparing = false;

process.stdin.on('data', onData);
process.stdin.on('end', () => process.exit(0));
watchParent();
send({type: 'ready', pid: process.pid});
flush();

function onData(chunk: Buffer): void {
  let frames: Frame[];
  try {
    frames = decoder.push(chunk);
  } catch (error) {
    send({type: 'error', message: `Unreadable input: ${(error as Error).message}`});
    flush();
    process.exit(2);
  }
  for (const frame of frames) onFrame(frame);
  if (!isDraining) drain();
  else flush();
}

function onFrame({header, body}: Frame): void {
  switch (header.type) {
    case 'run':
      return onRun(header, body);
    case 'cancel':
      return onCancel(header);
    default:
      send({type: 'error', message: `Unknown message type ${JSON.stringify(header.type)}.`});
  }
}

function onRun(header: FrameHeader, body: Buffer): void {
  const request = parseRunRequest(header);
  if (typeof request === 'string') {
    if (typeof header.id === 'number')
      reply(header.id, {ok: false, code: 'EINVAL', message: request, execMs: 0});
    else send({type: 'error', message: request});
    return;
  }
  queue.push({request, argsJson: body.length === 0 ? '[]' : body.toString('utf8')});
}

function onCancel(header: FrameHeader): void {
  const index = queue.findIndex((queued) => queued.request.id === header.id);
  if (index >= 0) queue.splice(index, 1);
  send({type: 'canceled', id: header.id});
}

// Run queued tasks for one slice, then give the event loop a turn to read cancels and new work.
function drain(): void {
  isDraining = true;
  const sliceStart = performance.now();
  while (queue.length > 0 && performance.now() - sliceStart < SLICE_MS) {
    // Results go out before the next task starts, so the pool can tell which task is running (it
    // kills the host when that one overruns) - unless the pool marked the next one `hold`: then a
    // few results leave together, one write instead of several.
    const {request, argsJson} = queue.shift()!;
    if (!request.hold || heldResults >= HOLD_MAX) flush();
    reply(request.id, runner.run(request, argsJson));
    heldResults++;
  }
  flush();
  if (queue.length > 0) return void setImmediate(drain);
  isDraining = false;
  prepareSpares();
}

// While idle, make fresh contexts ahead of need, one per turn so new work is not held up.
function prepareSpares(): void {
  if (isPreparing) return;
  isPreparing = true;
  setImmediate(function prepare() {
    if (queue.length === 0 && runner.prepareSpare()) return void setImmediate(prepare);
    isPreparing = false;
  });
}

function reply(id: number, outcome: TaskOutcome): void {
  if (outcome.ok) {
    send({type: 'result', id, ok: true, execMs: outcome.execMs}, Buffer.from(outcome.resultJson, 'utf8'));
  } else {
    send({type: 'result', id, ...outcome});
  }
}

function send(header: FrameHeader, body?: Buffer): void {
  outbox.push(encodeFrame(header, body));
}

function flush(): void {
  if (outbox.length === 0) return;
  const bytes = outbox.length === 1 ? outbox[0]! : Buffer.concat(outbox);
  outbox = [];
  heldResults = 0;
  process.stdout.write(bytes);
}

// A task runs synchronously, so while one runs the host cannot see its stdin close: a peer that was
// SIGKILLed would leave it running to the task's time limit (up to minutes). A thread of its own
// ends it as soon as its parent is gone (Linux gives an orphan a new parent pid).
function watchParent(): void {
  const watcher = new Worker(
    `const {workerData} = require('node:worker_threads');
     setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL'); }, ${PARENT_CHECK_MS});`,
    {eval: true, workerData: process.ppid},
  );
  watcher.unref();
}

function parseConfig(text: string | undefined): HostConfig {
  const given = (text ? JSON.parse(text) : {}) as Partial<HostConfig>;
  const memoryMb = given.memoryMb ?? DEFAULT_MEMORY_MB;
  const maxOutputBytes = given.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  if (!isMemoryMb(memoryMb)) throw new RangeError(`Memory limit ${memoryMb} MB is out of range.`);
  if (!Number.isInteger(maxOutputBytes) || maxOutputBytes < 2 || maxOutputBytes > MAX_BODY_BYTES)
    throw new RangeError(`Output limit ${maxOutputBytes} is not from 2 to ${MAX_BODY_BYTES} bytes.`);
  return {memoryMb, maxOutputBytes};
}
