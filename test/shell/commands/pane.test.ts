// The pane command through the runner: ENOTTY in a script (no panes), and with the console's
// PaneStore in the context: ls, show, hide, focus and sort, and bad names that list what is allowed.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {Context} from '../../../src/shell/command.js';
import {PaneStore} from '../../../src/shell/ui/pane-store.js';
import {createTestContext, runFails, runOk} from '../../support/shell-context.js';

/** The panes as the console starts: the downloads pane waits until a download is worth watching. */
const PANE_DEFAULT = [
  'sched      shown',
  'map        shown',
  'top        shown',
  'downloads  hidden',
  'top sorted by cpu',
];

/** A test context with the console's panes. */
function withPanes(): {context: Context; panes: PaneStore} {
  const panes = new PaneStore();
  return {context: {...createTestContext(), panes}, panes};
}

test('pane fails with ENOTTY in a script, whatever the sub-command', async () => {
  const context = createTestContext();
  for (const line of [
    'pane',
    'pane ls',
    'pane show map',
    'pane hide top',
    'pane focus sched',
    'pane sort mem',
  ]) {
    const message = await runFails(context, line, 'ENOTTY');
    assert.equal(message, '`pane` arranges the interactive console; a script has no panes.', line);
  }
});

test('pane with no sub-command lists the panes and the sort key', async () => {
  const {context} = withPanes();
  assert.deepEqual(await runOk(context, 'pane'), {
    lines: PANE_DEFAULT,
    data: {
      panes: [
        {name: 'sched', visible: true, focused: false},
        {name: 'map', visible: true, focused: false},
        {name: 'top', visible: true, focused: false},
        {name: 'downloads', visible: false, focused: false},
      ],
      sort: 'cpu',
    },
  });
  assert.deepEqual(await runOk(context, 'pane ls'), await runOk(context, 'pane'));
});

test('pane hide hides a pane and lists the result', async () => {
  const {context, panes} = withPanes();
  assert.deepEqual((await runOk(context, 'pane hide map')).lines, [
    'sched      shown',
    'map        hidden',
    'top        shown',
    'downloads  hidden',
    'top sorted by cpu',
  ]);
  assert.equal(panes.state.visible.map, false);
});

test('pane show shows a hidden pane again', async () => {
  const {context, panes} = withPanes();
  await runOk(context, 'pane hide top');
  assert.deepEqual((await runOk(context, 'pane show top')).lines, PANE_DEFAULT);
  assert.equal(panes.state.visible.top, true);
});

test('pane focus focuses a pane, showing it if it was hidden', async () => {
  const {context, panes} = withPanes();
  await runOk(context, 'pane hide sched');
  assert.deepEqual((await runOk(context, 'pane focus sched')).lines, [
    'sched      shown, focused',
    'map        shown',
    'top        shown',
    'downloads  hidden',
    'top sorted by cpu',
  ]);
  assert.equal(panes.state.focus, 'sched');
  assert.equal(panes.state.visible.sched, true);
});

test('pane focus output gives the focus back to the output', async () => {
  const {context, panes} = withPanes();
  await runOk(context, 'pane focus top');
  assert.deepEqual((await runOk(context, 'pane focus output')).lines, PANE_DEFAULT);
  assert.equal(panes.state.focus, 'output');
});

test('hiding the focused pane with pane hide moves the focus to the output', async () => {
  const {context, panes} = withPanes();
  await runOk(context, 'pane focus map');
  const {data} = await runOk(context, 'pane hide map');
  assert.equal(panes.state.focus, 'output');
  assert.deepEqual(data.panes, [
    {name: 'sched', visible: true, focused: false},
    {name: 'map', visible: false, focused: false},
    {name: 'top', visible: true, focused: false},
    {name: 'downloads', visible: false, focused: false},
  ]);
});

test('pane sort sets the top pane sort key', async () => {
  const {context, panes} = withPanes();
  const {lines, data} = await runOk(context, 'pane sort mem');
  assert.equal(lines.at(-1), 'top sorted by mem');
  assert.equal(data.sort, 'mem');
  assert.equal(panes.state.sort, 'mem');
});

test('every top sort key is accepted', async () => {
  const {context, panes} = withPanes();
  for (const key of panes.sortKeys) {
    await runOk(context, `pane sort ${key}`);
    assert.equal(panes.state.sort, key);
  }
});

test('a bad pane name fails with EUSAGE listing the pane names', async () => {
  const {context, panes} = withPanes();
  const before = panes.state;
  for (const sub of ['show', 'hide']) {
    const message = await runFails(context, `pane ${sub} gantt`, 'EUSAGE');
    assert.ok(
      message.startsWith('Unknown pane `gantt`. Expected one of: sched, map, top, downloads.'),
      message,
    );
    assert.match(message, /Usage: pane \[ls\]/);
  }
  assert.equal(panes.state, before, 'nothing changed');
});

test('pane focus also allows output, and says so when the name is bad', async () => {
  const {context} = withPanes();
  const message = await runFails(context, 'pane focus gantt', 'EUSAGE');
  assert.ok(
    message.startsWith('Unknown pane `gantt`. Expected one of: sched, map, top, downloads, output.'),
    message,
  );
});

test('output is not a pane to show or hide', async () => {
  const {context} = withPanes();
  await runFails(context, 'pane hide output', 'EUSAGE');
  await runFails(context, 'pane show output', 'EUSAGE');
});

test('a bad sort key fails with EUSAGE listing the keys', async () => {
  const {context, panes} = withPanes();
  const message = await runFails(context, 'pane sort size', 'EUSAGE');
  assert.ok(
    message.startsWith('Unknown sort key `size`. Expected one of: cpu, mem, pid, name, state, pri, time.'),
    message,
  );
  assert.equal(panes.state.sort, 'cpu');
});

test('a bad sub-command fails with EUSAGE listing the sub-commands', async () => {
  const {context} = withPanes();
  const message = await runFails(context, 'pane toggle map', 'EUSAGE');
  assert.ok(
    message.startsWith('Unknown pane subcommand `toggle`. Expected one of: ls, show, hide, focus, sort.'),
    message,
  );
});

test('pane sub-commands check their argument count', async () => {
  const {context} = withPanes();
  assert.match(await runFails(context, 'pane show', 'EUSAGE'), /^Missing argument\./);
  assert.match(await runFails(context, 'pane show map top', 'EUSAGE'), /^Too many arguments: `top`\./);
  assert.match(await runFails(context, 'pane ls map', 'EUSAGE'), /^Too many arguments: `map`\./);
});
