// The console's screen: status line, live panes, command output, prompt, help bar. It only lays
// out; state lives in the kernel (snapshots), the pane store, the scrollback and the prompt
// controller, which the console creates (console.tsx) and tests create directly.

import {Box} from 'ink';
import React, {useRef} from 'react';
import type {Kernel} from '../../kernel/index.js';
import type {Clock} from './clock.js';
import {HelpBar} from './components/help-bar.js';
import {OutputView} from './components/output-view.js';
import {PromptLine} from './components/prompt-line.js';
import {StatusLine} from './components/status-line.js';
import type {DownloadsData} from './downloads-lines.js';
import {useDownloads} from './hooks/use-downloads.js';
import {useKernelSnapshot} from './hooks/use-kernel-snapshot.js';
import {usePrompt} from './hooks/use-prompt.js';
import {useStore} from './hooks/use-store.js';
import {useTerminalSize} from './hooks/use-terminal-size.js';
import {computeLayout, type Layout, type PaneBox} from './layout.js';
import type {PaneState, PaneStore} from './pane-store.js';
import {DownloadsPane} from './panes/downloads-pane.js';
import {MemoryPane} from './panes/memory-pane.js';
import {SchedulerPane} from './panes/scheduler-pane.js';
import {TopPane} from './panes/top-pane.js';
import {PROMPT, type PromptController} from './prompt-controller.js';
import type {Scrollback} from './scrollback.js';
import type {KernelSnapshot} from '../../kernel/index.js';

export interface AppProps {
  kernel: Kernel;
  clock: Clock;
  panes: PaneStore;
  scrollback: Scrollback;
  prompt: PromptController;
  /** The layout the app last drew, for PgUp/PgDn sizes. */
  layoutRef?: {current: Layout | undefined};
  /** The downloads pane's data (undefined before the network is up); no network, no downloads. */
  downloads?: () => DownloadsData | undefined;
}

export function App({kernel, clock, panes, scrollback, prompt, layoutRef, downloads}: AppProps) {
  const snapshot = useKernelSnapshot(kernel);
  const clockState = useStore(clock);
  const paneState = useStore(panes);
  const output = useStore(scrollback);
  const promptState = usePrompt(prompt);
  const {columns, rows} = useTerminalSize();
  const layout = computeLayout(columns, rows, paneState);
  const fallbackRef = useRef<Layout | undefined>(undefined);
  (layoutRef ?? fallbackRef).current = layout;
  const isDownloadsShown = layout.paneRows.some((row) => row.some((box) => box.name === 'downloads'));
  const downloadsData = useDownloads(downloads, isDownloadsShown, snapshot, output);
  return (
    <Box flexDirection="column" width={layout.width} height={layout.height} overflow="hidden">
      <StatusLine
        snapshot={snapshot}
        hz={clockState.hz}
        isRunning={clockState.isRunning}
        width={layout.width}
      />
      {layout.paneRows.map((row, i) => (
        <Box key={i} flexDirection="row">
          {row.map((box) => (
            <PaneSlot
              key={box.name}
              box={box}
              snapshot={snapshot}
              state={paneState}
              downloads={downloadsData}
            />
          ))}
        </Box>
      ))}
      <OutputView scrollback={output} width={layout.width} height={layout.outputHeight} />
      <PromptLine
        prompt={PROMPT}
        line={promptState.line}
        busy={promptState.busy}
        secretPrompt={promptState.secretPrompt}
        isClockRunning={clockState.isRunning}
        width={layout.width}
      />
      <HelpBar width={layout.width} />
    </Box>
  );
}

interface PaneSlotProps {
  box: PaneBox;
  snapshot: KernelSnapshot;
  state: PaneState;
  downloads: DownloadsData;
}

function PaneSlot({box, snapshot, state, downloads}: PaneSlotProps) {
  const common = {snapshot, width: box.width, height: box.height, isFocused: state.focus === box.name};
  switch (box.name) {
    case 'sched':
      return <SchedulerPane {...common} scroll={state.scroll.sched} />;
    case 'map':
      return <MemoryPane {...common} />;
    case 'top':
      return <TopPane {...common} sortKey={state.sort} scroll={state.scroll.top} />;
    case 'downloads':
      return (
        <DownloadsPane
          data={downloads}
          width={box.width}
          height={box.height}
          isFocused={common.isFocused}
          scroll={state.scroll.downloads}
        />
      );
  }
}
