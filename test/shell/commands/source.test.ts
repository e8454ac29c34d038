// source FILE through the runner, on real temp files: commands run in order in the same session,
// failures are reported as FILE:LINE and make source fail (ESOURCE) with the output kept,
// `set -e` stops at the first failure, missing files are ENOENT, and self-sourcing hits a depth limit.

import assert from 'node:assert/strict';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test, type TestContext} from 'node:test';
import type {Outcome} from '../../../src/shell/run-line.js';
import {createTestContext, run, runFails, runOk, linesOf} from '../../support/shell-context.js';

/** A temp directory removed after the test; write(name, text) puts a file in it and returns its path. */
function tempFiles(t: TestContext): {dir: string; write(name: string, text: string): string} {
  const dir = mkdtempSync(join(tmpdir(), 'p2pos-source-'));
  t.after(() => rmSync(dir, {recursive: true, force: true}));
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
  };
}

/** The outcome of a command expected to fail, narrowed. */
function failed(outcome: Outcome): Extract<Outcome, {ok: false}> {
  assert.equal(outcome.ok, false, `expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome as Extract<Outcome, {ok: false}>;
}

test("a file's commands run in order and their output is kept", async (t) => {
  const files = tempFiles(t);
  const path = files.write('lab.p2', 'echo one\necho two\ntick 5\necho three\n');
  const context = createTestContext();
  assert.deepEqual(await runOk(context, `source ${path}`), {
    lines: ['one', 'two', 't=5', 'three'],
    data: {file: path, commands: 4},
  });
  assert.equal(context.kernel.now, 5);
});

test('sourced commands change the same session the prompt uses', async (t) => {
  const files = tempFiles(t);
  const path = files.write('setup.p2', 'spawn editor --burst 5\nsem create S 2\n');
  const context = createTestContext();
  await runOk(context, `source ${path}`);
  assert.deepEqual(
    context.kernel.listProcesses().map((process) => process.name),
    ['init', 'editor'],
  );
  assert.deepEqual((await runOk(context, 'sem ls')).data.semaphores, context.kernel.semaphoreViews());
  assert.equal(context.kernel.semaphoreViews()[0]?.value, 2);
});

test('blank lines, comments and several commands on a line are handled as typed', async (t) => {
  const files = tempFiles(t);
  const path = files.write('lab.p2', '# a lab\n\necho one; echo two  # trailing\n   \necho three');
  const {lines, data} = await runOk(createTestContext(), `source ${path}`);
  assert.deepEqual(lines, ['one', 'two', 'three']);
  assert.equal(data.commands, 3);
});

test('CRLF line endings are read as plain lines', async (t) => {
  const files = tempFiles(t);
  const path = files.write('dos.p2', 'echo one\r\necho two\r\n');
  assert.deepEqual((await runOk(createTestContext(), `source ${path}`)).lines, ['one', 'two']);
});

test('tables a sourced command prints stay tables', async (t) => {
  const files = tempFiles(t);
  const path = files.write('ls.p2', 'sem create S\nsem ls\n');
  const outcome = await run(createTestContext(), `source ${path}`);
  assert.ok(outcome.ok);
  assert.equal(outcome.blocks.filter((block) => typeof block !== 'string').length, 1);
  assert.match(linesOf(outcome)[1]!, /^NAME\s+VALUE\s+TYPE/);
});

test('a failing line makes source fail with ESOURCE, keeping the output and naming FILE:LINE', async (t) => {
  const files = tempFiles(t);
  const path = files.write('broken.p2', 'echo one\nkill 99\necho three\n');
  const outcome = failed(await run(createTestContext(), `source ${path}`));
  assert.equal(outcome.code, 'ESOURCE');
  assert.equal(outcome.error, `1 of 3 commands in ${path} failed.`);
  assert.deepEqual(linesOf(outcome), ['one', `${path}:2: Process 99 does not exist.`, 'three']);
});

test('a usage error in a sourced line carries the usage, at its line', async (t) => {
  const files = tempFiles(t);
  const path = files.write('usage.p2', 'echo before\n\nspawn --burst x\n');
  const outcome = failed(await run(createTestContext(), `source ${path}`));
  assert.equal(outcome.code, 'ESOURCE');
  assert.equal(linesOf(outcome)[0], 'before');
  assert.match(linesOf(outcome)[1] ?? '', new RegExp(`^${escape(path)}:3: Bad --burst \`x\`.*Usage: spawn`));
});

test('an unknown command in a sourced file is reported at its line', async (t) => {
  const files = tempFiles(t);
  const path = files.write('typo.p2', 'echo one\nspwan a\n');
  const outcome = failed(await run(createTestContext(), `source ${path}`));
  assert.deepEqual(linesOf(outcome), [
    'one',
    `${path}:2: Unknown command \`spwan\`. Did you mean \`spawn\`?`,
  ]);
});

test('a line that does not parse is reported at its line and the rest still runs', async (t) => {
  const files = tempFiles(t);
  const path = files.write('quote.p2', "echo one\necho 'unterminated\necho three\n");
  const outcome = failed(await run(createTestContext(), `source ${path}`));
  assert.equal(outcome.code, 'ESOURCE');
  assert.equal(linesOf(outcome)[0], 'one');
  assert.ok(linesOf(outcome)[1]?.startsWith(`${path}:2: `), linesOf(outcome)[1]);
  assert.equal(linesOf(outcome)[2], 'three');
  assert.equal(outcome.error, `1 of 2 commands in ${path} failed.`);
});

test('several failures are all reported and counted', async (t) => {
  const files = tempFiles(t);
  const path = files.write('two.p2', 'kill 98\necho ok\nkill 99\n');
  const outcome = failed(await run(createTestContext(), `source ${path}`));
  assert.equal(outcome.error, `2 of 3 commands in ${path} failed.`);
  assert.deepEqual(linesOf(outcome), [
    `${path}:1: Process 98 does not exist.`,
    'ok',
    `${path}:3: Process 99 does not exist.`,
  ]);
});

test('set -e inside the file stops it at the first failure', async (t) => {
  const files = tempFiles(t);
  const path = files.write('strict.p2', 'set -e\necho one\nkill 99\necho three\n');
  const context = createTestContext();
  const outcome = failed(await run(context, `source ${path}`));
  assert.equal(outcome.code, 'ESOURCE');
  assert.deepEqual(linesOf(outcome), ['errexit on', 'one', `${path}:3: Process 99 does not exist.`]);
  assert.equal(outcome.error, `1 of 3 commands in ${path} failed.`);
});

test('set -e in the session stops a sourced file at its first failure', async (t) => {
  const files = tempFiles(t);
  const path = files.write('lab.p2', 'echo one\nkill 99\necho three\n');
  const context = createTestContext();
  await runOk(context, 'set -e');
  const outcome = failed(await run(context, `source ${path}`));
  assert.deepEqual(linesOf(outcome), ['one', `${path}:2: Process 99 does not exist.`]);
});

test('set -e stops at a line that does not parse too', async (t) => {
  const files = tempFiles(t);
  const path = files.write('quote.p2', "set -e\necho 'unterminated\necho three\n");
  const outcome = failed(await run(createTestContext(), `source ${path}`));
  assert.equal(linesOf(outcome).length, 2);
  assert.ok(!linesOf(outcome).includes('three'));
});

test('exit in a sourced file stops the file and ends the session', async (t) => {
  const files = tempFiles(t);
  const path = files.write('bye.p2', 'echo one\nexit 3\necho never\n');
  const context = createTestContext();
  const {lines, data} = await runOk(context, `source ${path}`);
  assert.deepEqual(lines, ['one']);
  assert.equal(data.commands, 2);
  assert.equal(context.session.exitStatus, 3);
});

test('a missing file fails with ENOENT', async (t) => {
  const files = tempFiles(t);
  const path = join(files.dir, 'nope.p2');
  assert.equal(
    await runFails(createTestContext(), `source ${path}`, 'ENOENT'),
    `Cannot read ${path}: no such file.`,
  );
});

test('a directory fails with ENOENT saying it is a directory', async (t) => {
  const files = tempFiles(t);
  const path = join(files.dir, 'labs');
  mkdirSync(path);
  assert.equal(
    await runFails(createTestContext(), `source ${path}`, 'ENOENT'),
    `Cannot read ${path}: it is a directory.`,
  );
});

test('source takes exactly one file', async () => {
  const context = createTestContext();
  await runFails(context, 'source', 'EUSAGE');
  await runFails(context, 'source a.p2 b.p2', 'EUSAGE');
});

test('an empty file runs nothing and succeeds', async (t) => {
  const files = tempFiles(t);
  const path = files.write('empty.p2', '');
  assert.deepEqual(await runOk(createTestContext(), `source ${path}`), {
    lines: [],
    data: {file: path, commands: 0},
  });
});

test('a file may source another; the inner output appears in place', async (t) => {
  const files = tempFiles(t);
  const inner = files.write('inner.p2', 'echo inner\n');
  const outer = files.write('outer.p2', `echo before\nsource ${inner}\necho after\n`);
  assert.deepEqual((await runOk(createTestContext(), `source ${outer}`)).lines, ['before', 'inner', 'after']);
});

test('a failure in a nested file names the inner FILE:LINE and fails the outer file too', async (t) => {
  const files = tempFiles(t);
  const inner = files.write('inner.p2', 'echo inner\nkill 99\n');
  const outer = files.write('outer.p2', `source ${inner}\necho after\n`);
  const outcome = failed(await run(createTestContext(), `source ${outer}`));
  assert.equal(outcome.code, 'ESOURCE');
  assert.deepEqual(linesOf(outcome), [
    'inner',
    `${inner}:2: Process 99 does not exist.`,
    `${outer}:1: 1 of 2 commands in ${inner} failed.`,
    'after',
  ]);
});

test('a file that sources itself, or one sourcing it, is refused at once as a loop', async (t) => {
  const files = tempFiles(t);
  const path = join(files.dir, 'loop.p2');
  files.write('loop.p2', `echo level\nsource ${path}\n`);
  const context = createTestContext();
  const outcome = failed(await run(context, `source ${path}`));
  assert.equal(outcome.code, 'ESOURCE');
  assert.deepEqual(linesOf(outcome), [
    'level',
    `${path}:2: ${path} is already being sourced (${path} → ${path}): it would never end.`,
  ]);
  // two files that source each other: the chain names both
  const a = join(files.dir, 'a.p2');
  const b = files.write('b.p2', `source ${a}\n`);
  files.write('a.p2', `source ${b}\n`);
  const pair = linesOf(failed(await run(context, `source ${a}`)));
  assert.equal(pair[0], `${b}:1: ${a} is already being sourced (${a} → ${b} → ${a}): it would never end.`);
});

test('a chain of nine different files stops at the depth limit, and source works again after', async (t) => {
  const files = tempFiles(t);
  const context = createTestContext();
  let path = files.write('deep-9.p2', 'echo too deep\n');
  for (let level = 8; level >= 1; level--) path = files.write(`deep-${level}.p2`, `source ${path}\n`);
  const lines = linesOf(failed(await run(context, `source ${path}`)));
  assert.ok(
    lines.includes(
      `${join(files.dir, 'deep-8.p2')}:1: Sources nest deeper than 8 files (at ${join(files.dir, 'deep-9.p2')}).`,
    ),
    `no depth error in:\n${lines.join('\n')}`,
  );
  // a chain of seven nested files still fits under the limit of eight
  path = files.write('level-7.p2', 'echo deepest\n');
  for (let level = 6; level >= 1; level--) path = files.write(`level-${level}.p2`, `source ${path}\n`);
  assert.deepEqual((await runOk(context, `source ${path}`)).lines, ['deepest']);
});

test('a missing file named inside a sourced file is reported at its line', async (t) => {
  const files = tempFiles(t);
  const missing = join(files.dir, 'missing.p2');
  const path = files.write('outer.p2', `source ${missing}\n`);
  const outcome = failed(await run(createTestContext(), `source ${path}`));
  assert.deepEqual(linesOf(outcome), [`${path}:1: Cannot read ${missing}: no such file.`]);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('with trace on, each sourced command shows its own events once, before its output', async (t) => {
  const files = tempFiles(t);
  const path = files.write('traced.p2', 'spawn a --burst 3\necho hi\n');
  const context = createTestContext();
  await runOk(context, 'trace on');
  const outcome = await run(context, `source ${path}`);
  assert.ok(outcome.ok);
  assert.deepEqual(linesOf(outcome), ['  [t=0] pid 2 spawn', '  [t=0] pid 2 admit', '2', 'hi']);
  assert.equal(outcome.data.events, undefined, 'the events are on the spawn, not repeated on source');
});

test("the outcome carries each sourced command's own outcome and FILE:LINE, for --json", async (t) => {
  const files = tempFiles(t);
  const inner = files.write('inner.p2', 'kill 99\n');
  const outer = files.write('outer.p2', `echo one; echo two\nsource ${inner}\n`);
  const outcome = failed(await run(createTestContext(), `source ${outer}`));
  assert.deepEqual(
    outcome.inner?.map(({file, line, outcome}) => [file, line, outcome.cmd, outcome.ok]),
    [
      [outer, 1, 'echo', true],
      [outer, 1, 'echo', true],
      [outer, 2, 'source', false],
    ],
  );
  const nested = outcome.inner?.[2]?.outcome.inner;
  assert.deepEqual(
    nested?.map(({file, line, outcome}) => [file, line, outcome.ok ? '' : outcome.code]),
    [[inner, 1, 'ESRCH']],
  );
});
