// The console-only commands (pause, resume, speed, pane) in the real binary's script mode: they
// fail with ENOTTY on stderr and exit status 1, while step, which works anywhere, advances time.
// Needs dist/: `npm test` builds first; a before hook builds when dist/cli.js is missing.

import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import {ensureBuilt, runBinary, tempDataDir, type RunResult} from '../support/binary.js';

const PAUSE_MESSAGE =
  "`pause` controls the console's real-time clock; in a script time moves only with tick, step and wait.";

let data: {dir: string; remove(): void};

before(() => {
  ensureBuilt();
  data = tempDataDir();
});

after(() => data.remove());

function p2pos(args: string[], input = ''): Promise<RunResult> {
  return runBinary(['--data', data.dir, ...args], input);
}

function show(result: RunResult): string {
  return `exit ${result.status}\n--- stdout ---\n${result.stdout}--- stderr ---\n${result.stderr}`;
}

test("p2pos -c 'pause' exits 1 with the ENOTTY message on stderr", async () => {
  const result = await p2pos(['-c', 'pause']);
  assert.equal(result.status, 1, show(result));
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, `-c:1: ${PAUSE_MESSAGE}\n`);
});

test('resume, speed and pane fail the same way, each naming itself', async () => {
  const result = await p2pos([], 'resume\nspeed 50\npane ls\n');
  assert.equal(result.status, 1, show(result));
  assert.equal(result.stdout, '');
  assert.deepEqual(result.stderr.split('\n'), [
    "<stdin>:1: `resume` controls the console's real-time clock; in a script time moves only with tick, step and wait.",
    "<stdin>:2: `speed` controls the console's real-time clock; in a script time moves only with tick, step and wait.",
    '<stdin>:3: `pane` arranges the interactive console; a script has no panes.',
    '',
  ]);
});

test('--json reports pause as a failure with code ENOTTY', async () => {
  const result = await p2pos(['--json', '-c', 'pause']);
  assert.equal(result.status, 1, show(result));
  assert.deepEqual(JSON.parse(result.stdout), {
    cmd: 'pause',
    ok: false,
    error: PAUSE_MESSAGE,
    code: 'ENOTTY',
  });
});

test('a script carries on after pause fails, unless set -e is on', async () => {
  const carries = await p2pos(['-c', 'echo before; pause; echo after']);
  assert.equal(carries.status, 1, show(carries));
  assert.equal(carries.stdout, 'before\nafter\n');

  const stops = await p2pos(['-c', 'set -e; echo before; pause; echo after']);
  assert.equal(stops.status, 1, show(stops));
  assert.equal(stops.stdout, 'errexit on\nbefore\n');
  assert.equal(stops.stderr, `-c:1: ${PAUSE_MESSAGE}\n`);
});

test('step works in a script and exits 0', async () => {
  const result = await p2pos(['-c', 'spawn a --burst 2; step 5; ps -a']);
  assert.equal(result.status, 0, show(result));
  assert.equal(result.stderr, '');
  assert.match(result.stdout, /^2\nt=5\n/);
});
