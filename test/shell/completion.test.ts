// Tab completion: command names, sub-commands, policy and semaphore names, pids in numeric order
// (never init), flags only after a '-', the common prefix, and lines with nothing to offer.
// State is set up through the commands, as a user would.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {commands} from '../../src/shell/commands/index.js';
import {complete} from '../../src/shell/completion.js';
import {createTestContext, runOk} from '../support/shell-context.js';

/** The candidates for `before` on a fresh kernel (or the context's). */
function candidates(before: string, context = createTestContext()): string[] {
  return complete(before, context.kernel).candidates;
}

// --- command names -----------------------------------------------------------------------------

test('the first word completes to command names', () => {
  const {kernel} = createTestContext();
  assert.deepEqual(complete('sp', kernel), {word: 'sp', candidates: ['spawn', 'speed'], common: 'sp'});
  assert.deepEqual(complete('spa', kernel), {word: 'spa', candidates: ['spawn'], common: 'spawn'});
  assert.deepEqual(candidates('st'), ['step']);
  assert.deepEqual(candidates('pa'), ['pane', 'passwd', 'pause']);
});

test('a command name that is a prefix of another lists both', () => {
  assert.deepEqual(complete('ps', createTestContext().kernel), {
    word: 'ps',
    candidates: ['ps', 'pstree'],
    common: 'ps',
  });
});

test('an empty line offers every command, sorted', () => {
  const names = commands.map((command) => command.name);
  assert.deepEqual(candidates(''), [...names].sort());
});

test('the common prefix runs as far as every candidate agrees', () => {
  const {kernel} = createTestContext();
  // 'deadlock' is the only command starting 'de'; 'res' and 'resume' share 'res'
  assert.equal(complete('de', kernel).common, 'deadlock');
  assert.deepEqual(complete('re', kernel), {word: 're', candidates: ['res', 'resume'], common: 'res'});
});

test('a word nothing matches has no candidates and keeps the word as the common prefix', () => {
  const {kernel} = createTestContext();
  assert.deepEqual(complete('xyz', kernel), {word: 'xyz', candidates: [], common: 'xyz'});
  assert.deepEqual(complete('sem zz', kernel), {word: 'zz', candidates: [], common: 'zz'});
});

test('an unknown command completes no arguments', () => {
  assert.deepEqual(candidates('frobnicate '), []);
});

// --- sub-commands and named arguments ----------------------------------------------------------

test('the second word completes to sub-commands', () => {
  const {kernel} = createTestContext();
  assert.deepEqual(complete('sem c', kernel), {word: 'c', candidates: ['create'], common: 'create'});
  assert.deepEqual(candidates('sem '), ['create', 'ls', 'signal', 'wait']);
  assert.deepEqual(candidates('mq r'), ['recv']);
  assert.deepEqual(candidates('pane s'), ['show', 'sort']);
});

test('sched completes policies and its other sub-commands, without duplicates', () => {
  assert.deepEqual(candidates('sched '), [
    'fcfs',
    'gantt',
    'mlfq',
    'priority',
    'queue',
    'rr',
    'sjf',
    'srtf',
    'stats',
  ]);
  assert.deepEqual(candidates('sched s'), ['sjf', 'srtf', 'stats']);
  assert.deepEqual(complete('sched sr', createTestContext().kernel).common, 'srtf');
});

test('fit completes allocation policies', () => {
  assert.deepEqual(candidates('fit '), ['best', 'first', 'next', 'worst']);
  assert.deepEqual(candidates('fit b'), ['best']);
});

test('help completes command names as its argument', () => {
  assert.deepEqual(candidates('help sp'), ['spawn', 'speed']);
});

test('the third word of sem completes semaphore names', async () => {
  const context = createTestContext();
  await runOk(context, 'sem create slots 3; sem create mutex 1 --binary');
  assert.deepEqual(candidates('sem wait ', context), ['mutex', 'slots']);
  assert.deepEqual(complete('sem wait m', context.kernel), {
    word: 'm',
    candidates: ['mutex'],
    common: 'mutex',
  });
  assert.deepEqual(candidates('sem signal s', context), ['slots']);
});

test('semaphores made by the kernel directly complete too', () => {
  const context = createTestContext();
  context.kernel.semCreate('empty', 4);
  context.kernel.semCreate('full', 0);
  assert.deepEqual(candidates('sem wait ', context), ['empty', 'full']);
});

test('semaphore names are not offered as the sub-command', async () => {
  const context = createTestContext();
  await runOk(context, 'sem create slots');
  assert.deepEqual(candidates('sem s', context), ['signal']);
});

test('the third word of mq completes queue names', async () => {
  const context = createTestContext();
  await runOk(context, 'mq create jobs; mq create done');
  assert.deepEqual(candidates('mq send ', context), ['done', 'jobs']);
});

test('wait completes all as well as pids', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn a --burst 5');
  assert.deepEqual(candidates('wait ', context), ['all', '2']);
  assert.deepEqual(candidates('wait a', context), ['all']);
});

test('the third word of pane completes pane names', () => {
  assert.deepEqual(candidates('pane hide m'), ['map']);
  assert.deepEqual(candidates('pane focus o'), ['output']);
  assert.deepEqual(candidates('pane sort m'), ['mem']);
});

test('pane completes only the names its sub-command takes', () => {
  // pane show/hide take pane names, pane focus also takes `output`, pane sort takes sort keys
  assert.deepEqual(candidates('pane show '), ['downloads', 'map', 'sched', 'top']);
  assert.deepEqual(candidates('pane focus '), ['downloads', 'map', 'output', 'sched', 'top']);
  assert.deepEqual(candidates('pane sort '), ['cpu', 'mem', 'name', 'pid', 'pri', 'state', 'time']);
});

// --- pids --------------------------------------------------------------------------------------

test('pids complete in numeric order and never include init', async () => {
  const context = createTestContext();
  for (let i = 0; i < 11; i++) await runOk(context, `spawn p${i} --burst 100`);
  const pids = candidates('nice ', context);
  assert.deepEqual(pids, ['2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
  assert.deepEqual(candidates('nice 1', context), ['10', '11', '12']);
});

test('pids come after names among the candidates', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn a --burst 5; spawn b --burst 5');
  assert.deepEqual(candidates('kill ', context), ['-CONT', '-KILL', '-STOP', '-TERM', '-g', '2', '3']);
});

test('pids of processes that have exited are not offered', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn short --burst 1; spawn long --burst 100; tick 5');
  assert.deepEqual(candidates('nice ', context), ['3']);
});

test('commands that never take a pid do not offer pids', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn a --burst 50');
  for (const line of ['echo ', 'set ', 'sched ', 'fit ', 'help ', 'speed ', 'source ', 'pane ']) {
    assert.ok(!candidates(line, context).includes('2'), `\`${line}\` offered pid 2`);
  }
});

test('only init running means no pids to offer', () => {
  assert.deepEqual(candidates('nice '), []);
});

// --- flags -------------------------------------------------------------------------------------

test('flags are offered only when the word starts with a dash', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn a --burst 50');
  assert.deepEqual(candidates('spawn editor --b', context), ['--burst']);
  assert.deepEqual(candidates('spawn editor --p', context), ['--parent', '--priority', '--prog']);
  assert.deepEqual(candidates('spawn editor -', context), [
    '--arrive',
    '--burst',
    '--group',
    '--mem',
    '--parent',
    '--priority',
    '--prog',
  ]);
  assert.deepEqual(candidates('spawn editor b', context), []);
  assert.ok(!candidates('nice ', context).some((candidate) => candidate.startsWith('-')));
});

test('a dash word offers no pids', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn a --burst 50');
  assert.deepEqual(candidates('wait -', context), ['--timeout']);
});

test('a flag word completes to its common prefix', () => {
  assert.deepEqual(complete('sem create S --bi', createTestContext().kernel), {
    word: '--bi',
    candidates: ['--binary'],
    common: '--binary',
  });
});

test('completion never changes the kernel', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn a --burst 5; sem create S');
  const before = context.kernel.snapshot();
  for (const line of ['', 's', 'sem wait ', 'kill ', 'spawn x -', 'sched ']) complete(line, context.kernel);
  assert.equal(context.kernel.snapshot(), before);
});
