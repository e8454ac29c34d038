// The console in a real terminal: the built binary runs in tmux (test/support/tmux.ts), keys are typed
// with send-keys and every step waits for its text on the captured screen. The clock runs at 50 Hz,
// so steps that depend on time poll until the panes show it. Needs tmux; fails (not skips) without it.

import assert from 'node:assert/strict';
import {createServer, type AddressInfo, type Socket} from 'node:net';
import {before, test} from 'node:test';
import {ensureBuilt, tempDataDir} from '../support/binary.js';
import {paneText, requireTmux, startTerminal, type Terminal} from '../support/tmux.js';

// The critical section is long (500 ticks, 10 s at 50 Hz) so the wait line stays up while it is
// looked for, and `wait all` is still blocked when Ctrl-C arrives.
const CONTENDER = `--prog 'cpu 2, sem wait M, cpu 500, sem signal M, cpu 3'`;
const STATUS_LINE = /^p2pos ▶ 50 Hz {2}t=\d+/m;
// capture-pane trims the trailing blank, the cursor cell, off an empty prompt
const PROMPT_LINE = /^p2pos>/m;

before(() => {
  requireTmux();
  ensureBuilt();
});

/**
 * Start the console on `dataDir`, or on a fresh one removed after the test; the terminal is closed
 * after the test (hooks run in the order added, so it closes before its directory goes).
 */
async function startConsole(
  t: {after(fn: () => unknown): void},
  options: {dataDir?: string; env?: Record<string, string>; columns?: number; rows?: number} = {},
): Promise<Terminal> {
  const temp = options.dataDir === undefined ? tempDataDir() : undefined;
  const terminal = await startTerminal({
    args: ['--data', options.dataDir ?? temp!.dir, '--hz', '50'],
    env: options.env,
    columns: options.columns,
    rows: options.rows,
  }).catch((error: unknown) => {
    temp?.remove();
    throw error;
  });
  t.after(async () => {
    await terminal.close();
    temp?.remove();
  });
  await terminal.waitFor(isFirstFrame, 'the first frame');
  return terminal;
}

function isFirstFrame(screen: string): boolean {
  return (
    STATUS_LINE.test(screen) &&
    screen.includes('╭─ Scheduler ') &&
    screen.includes('╭─ Top ') &&
    screen.includes('╭─ Block map ') &&
    PROMPT_LINE.test(screen)
  );
}

/**
 * Type a line, press Enter and wait for `result` on screen. Waiting before the next line matters:
 * the console drops keys that arrive while a command runs.
 */
async function enter(terminal: Terminal, line: string, result: string | RegExp): Promise<string> {
  await terminal.type(line);
  await terminal.press('Enter');
  return terminal.waitFor(result, `the output of \`${line}\` (${String(result)})`);
}

/** True when the pane shows a row for a process named `name` (a pid, then the name). */
function hasProcessRow(pane: string[] | undefined, name: string): boolean {
  return pane?.some((row) => new RegExp(`^\\s*\\d+\\s+${name}\\s`).test(row)) ?? false;
}

/** The prompt line: the last row that starts with the prompt (earlier ones are command echoes). */
function promptLine(screen: string): string {
  return screen.split('\n').findLast((row) => row.startsWith('p2pos>')) ?? '';
}

/** '#' cells (the shell's blocks) on the block map's bar: the rows above the stats line. */
function shellCells(screen: string): number {
  const pane = paneText(screen, 'Block map') ?? [];
  const statsRow = pane.findIndex((row) => row.startsWith('used '));
  return pane
    .slice(0, statsRow === -1 ? pane.length : statsRow)
    .join('')
    .split('')
    .filter((cell) => cell === '#').length;
}

test('a session: contend for a semaphore, allocate and free, kill, hide a pane, interrupt, leave', async (t) => {
  const terminal = await startConsole(t);

  await enter(terminal, 'sem create M 1', 'created semaphore M');
  await enter(terminal, 'sched rr --quantum 2', 'scheduler rr (quantum 2)');
  const pids: Record<string, number> = {};
  for (const name of ['p1', 'p2', 'p3']) {
    const echo = new RegExp(`^p2pos> spawn ${name} .*\\n(\\d+) *$`, 'm');
    const screen = await enter(terminal, `spawn ${name} ${CONTENDER}`, echo);
    pids[name] = Number(echo.exec(screen)![1]);
  }

  await terminal.waitFor((screen) => {
    const top = paneText(screen, 'Top');
    return hasProcessRow(top, 'p1') && hasProcessRow(top, 'p2') && hasProcessRow(top, 'p3');
  }, 'p1, p2 and p3 in the Top pane');
  await terminal.waitFor(
    (screen) => paneText(screen, 'Scheduler')?.some((row) => /^wait .*\(sem M\)/.test(row)) ?? false,
    'a process waiting on sem M in the Scheduler pane',
  );

  assert.equal(shellCells(await terminal.screen()), 0, 'no shell block before malloc');
  const allocated = /^(0x[0-9a-f]+) \(204800 units, first fit\)/m;
  const afterMalloc = await enter(terminal, 'malloc 200K', allocated);
  const addr = allocated.exec(afterMalloc)![1]!;
  await terminal.waitFor((screen) => shellCells(screen) > 0, "the shell's block ('#') on the block map");
  await enter(terminal, `free ${addr}`, `freed 204800 units at ${addr}`);
  await terminal.waitFor((screen) => shellCells(screen) === 0, "the '#' cells gone from the block map");

  await enter(terminal, `kill ${pids.p2}`, new RegExp(`^p2pos> kill ${pids.p2}\\n.+`, 'm'));
  await terminal.waitFor((screen) => {
    const top = paneText(screen, 'Top');
    return !hasProcessRow(top, 'p2') && hasProcessRow(top, 'p1') && hasProcessRow(top, 'p3');
  }, 'p2 gone from the Top pane');

  await terminal.press('F2');
  await terminal.waitFor(
    (screen) => !screen.includes('╭─ Scheduler ') && screen.includes('╭─ Top '),
    'F2 to hide the Scheduler pane',
  );

  await terminal.type('wait all');
  await terminal.press('Enter');
  await terminal.waitFor(/^… wait all {2}\(Ctrl-C stops it\)/m, '`wait all` to block');
  await terminal.press('C-c');
  await terminal.waitFor(/^error: Interrupted at t=\d+/m, 'Ctrl-C to interrupt `wait all`');
  await terminal.waitFor(PROMPT_LINE, 'the prompt back');

  await terminal.press('C-d');
  assert.equal(await terminal.exitStatus(), 0);
  const after = await terminal.screen();
  assert.doesNotMatch(after, /Block map|p2pos>/, `the console is still on screen after exit:\n${after}`);
});

test('Ctrl-C stops a running exec: the task is canceled and the prompt comes back at once', async (t) => {
  const temp = tempDataDir();
  const terminal = await startTerminal({args: ['--data', temp.dir, '--hz', '50', '--offline']});
  t.after(async () => {
    await terminal.close();
    temp.remove();
  });
  await terminal.waitFor(isFirstFrame, 'the first frame');
  await terminal.type(`exec -e 'function main(){ for (;;); }' --timeout 60000`);
  await terminal.press('Enter');
  await terminal.waitFor(/^… exec .*\(Ctrl-C stops it\)/m, 'exec to run');
  const pressed = Date.now();
  await terminal.press('C-c');
  await terminal.waitFor(/^error: Interrupted: task [0-9a-f]{8} canceled\.$/m, 'Ctrl-C to stop exec');
  assert.ok(Date.now() - pressed < 5_000, 'the prompt came back long before the 60 s time limit');
  await enter(terminal, 'tasks', /^[0-9a-f]{8} +main +canceled /m);
});

test('command history persists across sessions in the data dir', async (t) => {
  const data = tempDataDir();
  let first: Terminal | undefined;
  let second: Terminal | undefined;
  // added before the terminals' own hooks: close both, then remove their directory
  t.after(async () => {
    await first?.close();
    await second?.close();
    data.remove();
  });
  first = await startConsole(t, {dataDir: data.dir});
  await enter(first, 'echo first-session', /^first-session$/m);
  await first.type('exit');
  await first.press('Enter');
  assert.equal(await first.exitStatus(), 0);
  await first.close();

  second = await startConsole(t, {dataDir: data.dir});
  // newest first: `exit` was the last line typed
  await second.press('Up');
  await second.waitFor((screen) => promptLine(screen).startsWith('p2pos> exit'), 'Up to recall `exit`');
  await second.press('Up');
  await second.waitFor(
    (screen) => promptLine(screen).startsWith('p2pos> echo first-session'),
    'Up again to recall `echo first-session` on the prompt line',
  );
});

/** SGR sequences on a screen that set a foreground or background colour. */
function colourCodes(screen: string): string[] {
  const found: string[] = [];
  for (const [sequence, parameters] of screen.matchAll(/\u001B\[([\d;:]*)m/g)) {
    const codes = parameters!.split(/[;:]/).map(Number);
    const isColour = codes.some(
      (code) =>
        (code >= 30 && code <= 38) ||
        (code >= 40 && code <= 48) ||
        (code >= 90 && code <= 97) ||
        (code >= 100 && code <= 107),
    );
    if (isColour) found.push(JSON.stringify(sequence));
  }
  return found;
}

test('NO_COLOR draws the console without colour; a 256-colour terminal gets colour', async (t) => {
  const plain = await startConsole(t, {env: {NO_COLOR: '1'}});
  await enter(plain, 'spawn worker --burst 100000', /^p2pos> spawn worker .*\n\d+ *$/m);
  await plain.waitFor((screen) => hasProcessRow(paneText(screen, 'Top'), 'worker'), 'worker in Top');
  const plainScreen = await plain.screen({escapes: true});
  assert.deepEqual(colourCodes(plainScreen), [], 'colour codes on a NO_COLOR screen');
  await plain.close();

  const coloured = await startConsole(t);
  await enter(coloured, 'spawn worker --burst 100000', /^p2pos> spawn worker .*\n\d+ *$/m);
  await coloured.waitFor((screen) => hasProcessRow(paneText(screen, 'Top'), 'worker'), 'worker in Top');
  const colouredScreen = await coloured.screen({escapes: true});
  assert.ok(colourCodes(colouredScreen).length > 0, `no colour codes with TERM=xterm-256color`);
});

test('Tab pressed twice in one read completes and then lists the choices', async (t) => {
  const terminal = await startConsole(t);
  await terminal.type('fit ');
  await terminal.waitFor((screen) => promptLine(screen).startsWith('p2pos> fit'), '`fit ` typed');
  await terminal.type('\t\t'); // two Tabs in one send-keys: the console reads them at once
  await terminal.waitFor(/^best {2}first {2}next {2}worst$/m, 'the fit policies listed');
  assert.equal(promptLine(await terminal.screen()).trimEnd(), 'p2pos> fit', 'no spaces inserted');
});

test('a bracketed paste turns tabs into spaces and drops control keys; a typed Tab then always completes', async (t) => {
  const terminal = await startConsole(t);
  // Ctrl-D inside a paste would otherwise leave the console; a pasted tab is a separator, not Tab
  await terminal.paste('\techo a\tb\u0004c');
  await terminal.waitFor((screen) => promptLine(screen) === 'p2pos>  echo a bc', 'the paste at the prompt');
  await terminal.press('C-u');
  // the terminal marks its pastes, so a tab typed between letters in one read is the Tab key
  await terminal.type('spaw\tx');
  await terminal.waitFor((screen) => promptLine(screen).trimEnd() === 'p2pos> spawn x', 'spaw completed');
});

test('Ctrl-D before the network has started still ends the console once the start is over', async (t) => {
  // a "tracker" that accepts the connection and never answers: joining it waits out the TLS handshake
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const {port} = silent.address() as AddressInfo;
  const temp = tempDataDir();
  const terminal = await startTerminal({
    args: [
      '--data',
      temp.dir,
      '--hz',
      '50',
      '--tracker',
      `127.0.0.1:${port}`,
      '--secret',
      'ab'.repeat(32),
      '--port',
      '0',
    ],
  });
  t.after(async () => {
    await terminal.close();
    temp.remove();
  });
  await terminal.waitFor(isFirstFrame, 'the first frame');
  await terminal.press('C-d'); // the peer is still waiting on the tracker's handshake (5 s)
  // it used to keep the peer it went on to start, and never exit
  assert.equal(await terminal.exitStatus(), 0);
});

test('CI=1 in the environment still draws the console on a terminal', async (t) => {
  // Ink draws only the last frame when it believes it runs under CI; a terminal is not CI.
  const terminal = await startConsole(t, {env: {CI: '1'}});
  await enter(terminal, 'spawn worker --burst 100000', /^p2pos> spawn worker .*\n\d+ *$/m);
  await terminal.waitFor((screen) => hasProcessRow(paneText(screen, 'Top'), 'worker'), 'worker in Top');
  await terminal.press('C-d');
  assert.equal(await terminal.exitStatus(), 0);
});

test('a resize redraws the console at the new size, down to 60x20', async (t) => {
  const terminal = await startConsole(t);
  const rowsOf = (screen: string) => screen.split('\n');
  const promptRow = (screen: string) => rowsOf(screen).lastIndexOf(promptLine(screen));
  const mapBorders = (screen: string) => rowsOf(screen).filter((row) => row.startsWith('╭─ Block map '));
  /** One frame, `columns` wide: a single status line and block map (no rows left from the old size). */
  const isOneFrame = (screen: string, columns: number) =>
    mapBorders(screen).length === 1 &&
    mapBorders(screen)[0]!.trimEnd().length === columns &&
    rowsOf(screen).filter((row) => STATUS_LINE.test(row)).length === 1;
  // the output area: the rows between the last bottom border (the block map's) and the prompt
  const outputRows = (screen: string) =>
    promptRow(screen) - rowsOf(screen).findLastIndex((row) => row.startsWith('╰')) - 1;

  const small = await terminal.screen();
  assert.ok(isOneFrame(small, 80), `not an 80-column frame:\n${small}`);

  await terminal.resize(120, 40);
  const large = await terminal.waitFor(
    (screen) => isOneFrame(screen, 120) && promptRow(screen) > promptRow(small),
    'one frame 120 columns wide with the prompt lower down',
  );
  assert.ok(outputRows(large) > outputRows(small), `no more output rows at 120x40:\n${large}`);

  await terminal.resize(60, 20);
  const tiny = await terminal.waitFor(
    (screen) => isOneFrame(screen, 60) && promptRow(screen) !== -1 && screen.includes('F1'),
    'one frame 60 columns wide with its prompt and help bar',
  );
  assert.match(tiny, STATUS_LINE);
});

test(
  'useradd and login ask for the password without echo, and whoami then names the user',
  {timeout: 90_000},
  async (t) => {
    // a network of one: the console starts its own tracker, which keeps the accounts in the data dir
    const terminal = await startConsole(t);
    const password = 'correct-horse-42';
    // the prompt line while the password is read (the transcript keeps only `Password for alice:`)
    const passwordPrompt = /^Password for alice: +\(not shown; Enter submits, Esc cancels\)/m;
    const typePassword = async () => {
      await terminal.waitFor(passwordPrompt, 'the password prompt on the prompt line');
      await terminal.type(password);
      // Nothing on screen changes as it is typed, so look for a while: several frames at 30 fps.
      for (const deadline = Date.now() + 500; Date.now() < deadline;) {
        const screen = await terminal.screen();
        assert.match(screen, passwordPrompt);
        assert.ok(!screen.includes('correct-h'), `the password is on screen:\n${screen}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await terminal.press('Enter');
    };

    await terminal.type('useradd alice');
    await terminal.press('Enter');
    await typePassword();
    const added = await terminal.waitFor(/^user alice added/m, 'useradd to add alice');
    assert.match(added, /^Password for alice:\nuser alice added/m, 'the transcript keeps the prompt only');

    await terminal.type('login alice');
    await terminal.press('Enter');
    await terminal.waitFor(passwordPrompt, 'the password prompt');
    await terminal.press('Escape');
    await terminal.waitFor(/^error: Password entry cancelled\.$/m, 'Esc to cancel the login');
    await terminal.waitFor((screen) => !passwordPrompt.test(screen), 'the prompt back');

    await terminal.type('login alice');
    await terminal.press('Enter');
    await typePassword();
    await terminal.waitFor(/^logged in as alice until/m, 'login to log alice in');
    const screen = await enter(terminal, 'whoami', /^alice until .*; groups: none/m);
    assert.ok(!screen.includes(password), `the password is on screen:\n${screen}`);

    // up-arrow recalls the commands, never the password
    await terminal.press('Up');
    await terminal.waitFor((s) => promptLine(s).startsWith('p2pos> whoami'), 'Up to recall `whoami`');
    await terminal.press('Up');
    await terminal.waitFor(
      (s) => promptLine(s).startsWith('p2pos> login alice'),
      'Up again to recall `login alice`',
    );
    await terminal.press('C-u', 'C-d');
    assert.equal(await terminal.exitStatus(), 0);
  },
);
