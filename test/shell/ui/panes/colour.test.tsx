// Colour goes through the theme: with colour on, owners, states and the focused border are
// coloured; with it off (NO_COLOR) not one escape code is printed, even on a terminal that has colour.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {ReactElement} from 'react';

// Ink's chalk picks its colour level on import, so this file pretends to have a colour terminal first.
process.env.FORCE_COLOR = '1';
const React = (await import('react')).default;
const {render} = await import('ink-testing-library');
const {createKernel} = await import('../../../../src/kernel/index.js');
const {ThemeProvider} = await import('../../../../src/shell/ui/theme.js');
const {SchedulerPane} = await import('../../../../src/shell/ui/panes/scheduler-pane.js');
const {MemoryPane} = await import('../../../../src/shell/ui/panes/memory-pane.js');
const {TopPane} = await import('../../../../src/shell/ui/panes/top-pane.js');

const ESC = '\u001b[';
const CYAN = `${ESC}36m`;
const GREEN = `${ESC}32m`;

function frame(element: ReactElement, isColor: boolean): string {
  const {lastFrame, unmount} = render(<ThemeProvider isColor={isColor}>{element}</ThemeProvider>);
  const text = lastFrame() ?? '';
  unmount();
  return text;
}

function panes() {
  const kernel = createKernel({scheduler: 'rr', heapSize: 256});
  kernel.spawn({name: 'editor', burst: 20, memory: 64});
  kernel.spawn({name: 'compiler', burst: 20, memory: 32});
  kernel.tick(6);
  const snapshot = kernel.snapshot();
  return [
    <SchedulerPane snapshot={snapshot} width={40} height={10} isFocused={true} />,
    <MemoryPane snapshot={snapshot} width={40} height={5} isFocused={true} />,
    <TopPane snapshot={snapshot} width={60} height={8} isFocused={true} sortKey="cpu" scroll={0} />,
  ];
}

test('with colour off no pane prints an escape code', () => {
  for (const pane of panes()) assert.ok(!frame(pane, false).includes(ESC), frame(pane, false));
});

test('with colour on the focused border is cyan and owners and states are coloured', () => {
  const [scheduler, memory, top] = panes().map((pane) => frame(pane, true));
  for (const text of [scheduler!, memory!, top!]) assert.ok(text.includes(CYAN), 'focused border in cyan');
  // the theme gives pid 2 yellow and pid 3 green: the strip and the bar use both
  for (const text of [scheduler!, memory!]) {
    assert.ok(text.includes(`${ESC}33m`), 'pid 2 in yellow');
    assert.ok(text.includes(GREEN), 'pid 3 in green');
  }
  assert.ok(top!.includes(`${GREEN}RUNNING`), 'the running state in green');
});
