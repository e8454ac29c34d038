// A real terminal for end-to-end tests: the built binary runs in a private tmux server, keys go in
// with send-keys and the screen comes back with capture-pane. Each terminal is its own server
// (`tmux -L NAME -f /dev/null`), so tests never share state or read the user's tmux config.
// Interface:
//   const term = await startTerminal({args, columns: 80, rows: 24})
//   await term.type('ps'); await term.press('Enter')    literal text, then tmux key names (F2, C-c, M-1)
//   await term.paste('ps\tmem')                          as pasted (bracketed when the program asks)
//   await term.waitFor('p2pos>')                         poll the screen under a deadline
//   await term.exitStatus()                              after the program leaves
//   await term.close()                                   always, in a finally or t.after

import assert from 'node:assert/strict';
import {execFile, spawnSync} from 'node:child_process';
import {rmSync} from 'node:fs';
import {promisify} from 'node:util';
import {BIN} from './binary.js';

const run = promisify(execFile);

/** How long one step may wait for the screen to show what it expects. */
export const STEP_DEADLINE_MS = 10_000;
const POLL_MS = 50;
/** Printed by the wrapper shell once the program has left, with its exit status. */
const EXIT_MARKER = 'EXITED';

let serverCount = 0;

/** Fail (not skip) when tmux is missing: the real-terminal tests are part of `npm test`. */
export function requireTmux(): void {
  const probe = spawnSync('tmux', ['-V'], {encoding: 'utf8'});
  if (probe.error || probe.status !== 0) {
    assert.fail(
      'tmux is not installed, and the real-terminal tests need it. Install it ' +
        '(`apt-get install tmux`, `brew install tmux`); .ci/run installs it on CI.',
    );
  }
}

export interface TerminalOptions {
  /** Arguments after `node bin/p2pos.js`. */
  args: string[];
  /** Variables set for the program (TERM is xterm-256color unless given). */
  env?: Record<string, string>;
  /** @default 80 */
  columns?: number;
  /** @default 24 */
  rows?: number;
}

export interface Terminal {
  /** The tmux server's socket name (-L). */
  readonly server: string;
  /** The screen as text, one line per row; with `escapes`, SGR codes kept (capture-pane -e). */
  screen(options?: {escapes?: boolean}): Promise<string>;
  /** Type text literally (send-keys -l). */
  type(text: string): Promise<void>;
  /** Press keys by tmux name: Enter, Up, F2, C-c, C-d, M-1. */
  press(...keys: string[]): Promise<void>;
  /** Paste text as a terminal does: in bracketed-paste marks when the program asked for them. */
  paste(text: string): Promise<void>;
  /** Wait until the screen contains `text` or matches `condition`; returns that screen. */
  waitFor(condition: string | RegExp | ((screen: string) => boolean), what?: string): Promise<string>;
  /** Resize the window (the program gets SIGWINCH). */
  resize(columns: number, rows: number): Promise<void>;
  /** Wait for the program to leave; its exit status. */
  exitStatus(): Promise<number>;
  /** Kill the server and everything in it. Safe to call twice. */
  close(): Promise<void>;
}

/** Single-quote a word for sh. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Start `node bin/p2pos.js ARGS` in a fresh tmux server with a detached window of the given size. */
export async function startTerminal(options: TerminalOptions): Promise<Terminal> {
  requireTmux();
  const server = `p2pos-test-${process.pid}-${++serverCount}`;
  const tmux = async (...args: string[]) =>
    (await run('tmux', ['-L', server, '-f', '/dev/null', ...args], {encoding: 'utf8'})).stdout;
  // The test runner's colour and CI settings must not leak in (chalk draws no colour under CI=1):
  // each test says what it wants.
  const env = {TERM: 'xterm-256color', ...options.env};
  const program = [
    'env',
    ...['NO_COLOR', 'FORCE_COLOR', 'COLORTERM', 'CI', 'CONTINUOUS_INTEGRATION'].flatMap((name) => [
      '-u',
      name,
    ]),
    ...Object.entries(env).map(([name, value]) => `${name}=${value}`),
    process.execPath,
    BIN,
    ...options.args,
  ]
    .map(shellQuote)
    .join(' ');
  // The wrapper keeps the pane open after the program leaves, so its status and screen can be read.
  const command = `${program}; echo ${EXIT_MARKER} $?; sleep 600`;
  const columns = options.columns ?? 80;
  const rows = options.rows ?? 24;
  await tmux('new-session', '-d', '-x', String(columns), '-y', String(rows), command);
  // kill-server leaves the socket file behind; close() removes it
  const socketPath = (await tmux('display-message', '-p', '#{socket_path}')).trim();
  let isClosed = false;

  const terminal: Terminal = {
    server,
    async screen({escapes = false} = {}) {
      return tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []));
    },
    async type(text) {
      await tmux('send-keys', '-l', text);
    },
    async press(...keys) {
      for (const key of keys) await tmux('send-keys', key);
    },
    async paste(text) {
      await tmux('set-buffer', '-b', 'paste', '--', text);
      await tmux('paste-buffer', '-p', '-d', '-b', 'paste'); // -p: bracketed if the program enabled it
    },
    async waitFor(condition, what) {
      const matches =
        typeof condition === 'string'
          ? (screen: string) => screen.includes(condition)
          : condition instanceof RegExp
            ? (screen: string) => condition.test(screen)
            : condition;
      const deadline = Date.now() + STEP_DEADLINE_MS;
      for (;;) {
        const screen = await terminal.screen();
        if (matches(screen)) return screen;
        if (Date.now() > deadline) {
          assert.fail(
            `Timed out after ${STEP_DEADLINE_MS} ms waiting for ${what ?? String(condition)}. Screen:\n${screen}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    },
    async resize(newColumns, newRows) {
      await tmux('resize-window', '-x', String(newColumns), '-y', String(newRows));
    },
    async exitStatus() {
      const pattern = new RegExp(`^${EXIT_MARKER} (\\d+)$`, 'm');
      const screen = await terminal.waitFor(pattern, 'the program to exit');
      return Number(pattern.exec(screen)![1]);
    },
    async close() {
      if (isClosed) return;
      isClosed = true;
      await tmux('kill-server').catch(() => {}); // already gone is fine
      rmSync(socketPath, {force: true});
    },
  };
  return terminal;
}

/**
 * The inside of the pane titled `title` on a captured screen, one string per row, or undefined
 * when the pane is not drawn. Box-drawing characters are one column each, so string indices are columns.
 */
export function paneText(screen: string, title: string): string[] | undefined {
  const lines = screen.split('\n');
  const top = lines.findIndex((line) => line.includes(`╭─ ${title} `));
  if (top === -1) return undefined;
  const left = lines[top]!.indexOf(`╭─ ${title} `);
  const right = lines[top]!.indexOf('╮', left);
  const inside: string[] = [];
  for (const line of lines.slice(top + 1)) {
    if (line[left] === '╰') break;
    inside.push(line.slice(left + 1, right));
  }
  return inside;
}
