// The interactive console: boots the screen over a kernel, runs until `exit` or Ctrl-D, and gives
// the terminal back as it found it (main screen, cursor, cooked mode), also on SIGTERM or a crash.
// Loaded only when stdin and stdout are a terminal; bundled as one chunk so Ink loads in one read.

import type {ChalkInstance} from 'chalk';
import {render} from 'ink';
import React from 'react';
import type {Kernel} from '../../kernel/index.js';
import type {PasswordDefaults} from '../command.js';
import type {HistoryStore} from '../history-store.js';
import type {NetAccess} from '../net-access.js';
import {App} from './app.js';
import {Clock} from './clock.js';
import {
  downloadsListRows,
  downloadsScrollLimit,
  NO_DOWNLOADS,
  readDownloads,
  watchStalls,
  type StallMarks,
} from './downloads-lines.js';
import {DISABLE_BRACKETED_PASTE, ENABLE_BRACKETED_PASTE} from './keys.js';
import type {Layout} from './layout.js';
import {paneInner} from './components/pane-frame.js';
import {schedulerListRows, schedulerScrollLimit} from './scheduler-lines.js';
import {topScrollLimit, topSections} from './top-lines.js';
import {createLiveContext} from './live-context.js';
import {PaneStore} from './pane-store.js';
import {PromptController} from './prompt-controller.js';
import {outputRowsShown, outputScrollLimit, Scrollback} from './scrollback.js';
import {ThemeProvider} from './theme.js';

export interface ConsoleOptions {
  kernel: Kernel;
  history: HistoryStore;
  /** Colours for command output; level 0 turns colour off in the panes too. */
  style: ChalkInstance;
  /** Clock rate in ticks per second. */
  hz: number;
  /** Start with the clock paused. @default false */
  isPaused?: boolean;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  /** The network, started with the console (a network of one unless --tracker); none in tests. */
  net?: NetAccess;
  /** Passwords given on the command line or in the environment; the console asks for the rest. */
  passwords?: PasswordDefaults;
}

const ENTER_ALTERNATE_SCREEN = '\u001B[?1049h\u001B[H';
const LEAVE_ALTERNATE_SCREEN = '\u001B[?1049l';
const SHOW_CURSOR = '\u001B[?25h';

/** Every part of a console, wired together; tests render <App {...parts} /> themselves. */
export function createConsoleParts({
  kernel,
  history,
  style,
  hz,
  isPaused = false,
  net,
  passwords,
}: Omit<ConsoleOptions, 'stdin' | 'stdout'>) {
  const scrollback = new Scrollback();
  const panes = new PaneStore();
  const clock = new Clock(kernel, {
    hz,
    isPaused,
    onError: (error) =>
      scrollback.append([style.red(`error: the clock stopped: ${(error as Error).message}`)]),
  });
  const context = createLiveContext(kernel, history, style, clock, panes);
  context.net = net;
  context.passwords = passwords;
  const layoutRef: {current: Layout | undefined} = {current: undefined};
  let onExit: (status: number) => void = () => {};
  const prompt = new PromptController({
    context,
    clock,
    panes,
    scrollback,
    history,
    // the rows each view shows as drawn now; a page moves by one less, so one row stays for context
    pageRows: (target) => {
      const layout = layoutRef.current;
      if (!layout) return 10;
      if (target === 'output')
        return outputRowsShown(scrollback.getState(), layout.width, layout.outputHeight);
      const box = layout.paneRows.flat().find((pane) => pane.name === target);
      if (!box) return 10;
      const inner = paneInner(box.width, box.height);
      switch (target) {
        case 'sched':
          return schedulerListRows(inner.height);
        case 'top':
          return topSections(kernel.snapshot(), inner.width, inner.height).tableRows;
        case 'downloads':
          return downloadsListRows(downloads() ?? NO_DOWNLOADS, inner.height);
        default:
          return 1; // the map does not scroll
      }
    },
    scrollLimit: (pane) => {
      const layout = layoutRef.current;
      if (layout && pane === 'output')
        return outputScrollLimit(scrollback.getState().rows, layout.width, layout.outputHeight);
      const box = layout?.paneRows.flat().find((each) => each.name === pane);
      if (!box) return Infinity; // not drawn yet: the pane clamps when it is
      const inner = paneInner(box.width, box.height);
      switch (pane) {
        case 'sched':
          return schedulerScrollLimit(kernel.snapshot(), inner.width, inner.height);
        case 'top':
          return topScrollLimit(kernel.snapshot(), inner.width, inner.height);
        case 'downloads':
          return downloadsScrollLimit(downloads() ?? NO_DOWNLOADS, inner.height);
        default:
          return 0; // the map does not scroll
      }
    },
    onExit: (status) => onExit(status),
  });
  // `download` returns at once here; how the download ends comes as a line of output.
  context.notify = (line) => scrollback.append([line]);
  // useradd, login and passwd ask here when no password file or variable names one (issue 6).
  context.readSecret = prompt.readSecret;
  scrollback.append([
    `p2pos: a teaching kernel, ${kernel.schedulerDescription}, clock at ${hz} Hz.`,
    style.dim('Type `help` for commands, F1 for keys, `exit` or Ctrl-D to leave.'),
  ]);
  if (net && !net.config.offline) {
    net.peer().then(
      (peer) =>
        scrollback.append([
          style.dim(
            `network: peer ${peer.id} (${peer.name}) on ${peer.host}:${peer.port}, tracker ${peer.tracker?.host}:${peer.tracker?.port}${net.tracker() ? ' (started here)' : ''}`,
          ),
        ]),
      (error: Error) => scrollback.append([style.red(`error: ${error.message}`)]),
    );
  }
  // Read by the downloads pane once the peer is up; nothing starts the network for it.
  let stallMarks: StallMarks = new Map();
  const downloads = () => {
    const peer = net?.current();
    if (peer === undefined) return undefined;
    const watched = watchStalls(readDownloads(peer.sharing), stallMarks, Date.now());
    stallMarks = watched.marks;
    return watched.data;
  };
  return {
    kernel,
    context,
    clock,
    panes,
    scrollback,
    prompt,
    layoutRef,
    downloads,
    /** Called once with the exit status when the user leaves. */
    onExit(listener: (status: number) => void) {
      onExit = listener;
    },
  };
}

/** Run the console until the user leaves; resolves with the exit status. */
export async function runConsole(options: ConsoleOptions): Promise<number> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const parts = createConsoleParts(options);
  let hasRestored = false;
  const restore = () => {
    if (hasRestored) return;
    hasRestored = true;
    parts.clock.stop();
    stdout.write(DISABLE_BRACKETED_PASTE + LEAVE_ALTERNATE_SCREEN + SHOW_CURSOR);
  };
  // Bracketed paste: the terminal marks pasted text, so a pasted tab is a space and a typed one Tab.
  stdout.write(ENTER_ALTERNATE_SCREEN + ENABLE_BRACKETED_PASTE);
  // Ink restores raw mode and the cursor on exit; the alternate screen is ours to leave.
  process.once('exit', restore);
  const status = await new Promise<number>((resolve) => {
    const instance = render(
      <ThemeProvider isColor={options.style.level > 0}>
        <App {...parts} />
      </ThemeProvider>,
      {stdin, stdout, exitOnCtrlC: false, patchConsole: false, incrementalRendering: false, maxFps: 30},
    );
    const onTerminate = () => finish(143); // 128 + SIGTERM, as a shell reports it
    const onHangup = () => finish(129);
    const finish = (code: number) => {
      process.off('SIGTERM', onTerminate);
      process.off('SIGHUP', onHangup);
      instance.unmount();
      resolve(code);
    };
    process.once('SIGTERM', onTerminate);
    process.once('SIGHUP', onHangup);
    parts.onExit(finish);
  });
  restore();
  process.off('exit', restore);
  return status;
}
