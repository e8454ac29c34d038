// The interactive prompt on a real pseudo-terminal: util-linux `script` gives p2pos a terminal on
// stdin and stdout, and the test types into it. Each step waits for the output it expects (no fixed
// sleeps) under a deadline, and every child is killed in a finally. Skipped without util-linux script.

import assert from 'node:assert/strict';
import {spawn, spawnSync, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {accessSync, constants, existsSync} from 'node:fs';
import {delimiter, join} from 'node:path';
import {before, test, type TestContext} from 'node:test';
import {BIN, ensureBuilt, tempDataDir} from '../support/binary.js';

const STEP_TIMEOUT_MS = 10_000; // generous for a loaded CI machine; a passing step takes milliseconds
const TEST_TIMEOUT_MS = 30_000;
const ANSI_PATTERN = /\x1b\[[0-9;?]*[A-Za-z]/g;
const PS_HEADER = /PID\s+PPID\s+NAME\s+STATE\s+PRI\s+CPU\s+WAIT\s+MEM/;
const ENTER = '\r'; // what the Enter key sends on a terminal

before(() => {
  ensureBuilt();
});

/** The path of util-linux `script` on PATH, or why there is none. */
function findScript(): {path: string} | {reason: string} {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, 'script');
    try {
      accessSync(path, constants.X_OK);
    } catch {
      continue;
    }
    const version = spawnSync(path, ['--version'], {encoding: 'utf8', timeout: 5_000});
    if (/util-linux/.test(version.stdout ?? '')) return {path};
    return {reason: `\`${path}\` is not util-linux script (it takes different options)`};
  }
  return {reason: 'util-linux `script` is not on PATH; it provides the pseudo-terminal'};
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** p2pos on a pseudo-terminal; `expect` waits for text in what the terminal shows (colours stripped). */
class TerminalSession {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  private raw = '';
  private cursor = 0; // where the next expect() starts looking in the screen text

  constructor(scriptPath: string, dataDir: string) {
    const command = `exec ${shellQuote(process.execPath)} ${shellQuote(BIN)} --data ${shellQuote(dataDir)}`;
    // -q quiet, -f flush each write, -e exit with the child's status, -c run the command; no typescript file.
    this.child = spawn(scriptPath, ['-qfec', command, '/dev/null'], {
      // A process group of its own, so kill() reaches script; p2pos, the pty's session leader, gets SIGHUP when it goes.
      detached: true,
      env: {...process.env, SHELL: '/bin/sh', TERM: 'xterm', NO_COLOR: undefined, FORCE_COLOR: undefined},
    });
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.raw += chunk));
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.raw += chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (status) => resolve(status)));
  }

  /** What the terminal has shown so far, without colour or cursor codes, with \n line ends. */
  get screen(): string {
    return this.raw.replace(ANSI_PATTERN, '').replace(/\r/g, '');
  }

  type(text: string): void {
    this.child.stdin.write(text);
  }

  /** Wait until `pattern` appears after the previous match; fails with the screen so far after STEP_TIMEOUT_MS. */
  async expect(pattern: RegExp | string, what: string): Promise<void> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const rest = this.screen.slice(this.cursor);
      const index = typeof pattern === 'string' ? rest.indexOf(pattern) : rest.search(pattern);
      if (index >= 0) {
        const length = typeof pattern === 'string' ? pattern.length : (rest.match(pattern)?.[0].length ?? 0);
        this.cursor += index + length;
        return;
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        assert.fail(`p2pos exited before ${what}; the terminal showed:\n${this.screen}`);
      }
      if (Date.now() > deadline)
        assert.fail(`timed out waiting for ${what}; the terminal showed:\n${this.screen}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The exit status, or a failure if p2pos is still running after STEP_TIMEOUT_MS. */
  async exitStatus(): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`p2pos did not exit; the terminal showed:\n${this.screen}`)),
        STEP_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    this.child.stdin.destroy();
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Run `body` against a fresh session in a temp data dir, or skip when there is no util-linux script. */
async function withSession(
  t: TestContext,
  body: (session: TerminalSession, dataDir: string) => Promise<void>,
): Promise<void> {
  const found = findScript();
  if ('reason' in found) {
    t.skip(found.reason);
    return;
  }
  const data = tempDataDir();
  const session = new TerminalSession(found.path, data.dir);
  try {
    await body(session, data.dir);
  } finally {
    session.kill();
    await session.exited;
    data.remove();
  }
}

test(
  'the prompt runs commands on a terminal and exit leaves with status 0',
  {timeout: TEST_TIMEOUT_MS},
  async (t) => {
    await withSession(t, async (session, dataDir) => {
      await session.expect('p2pos t=0> ', 'the first prompt');

      session.type(`spawn a --burst 3${ENTER}`);
      await session.expect(/\n2\n/, 'the pid from spawn');
      await session.expect('p2pos t=0> ', 'the prompt after spawn');

      session.type(`ps${ENTER}`);
      await session.expect(PS_HEADER, 'the ps header');
      await session.expect(/\n\s*2\s+1\s+a\s+READY/, 'the new process in ps');
      await session.expect('p2pos t=0> ', 'the prompt after ps');

      session.type(`tick 3${ENTER}`);
      await session.expect(/\nt=3\n/, 'the time after tick');
      await session.expect('p2pos t=3> ', 'the prompt showing the new time');

      session.type(`exit${ENTER}`);
      assert.equal(await session.exitStatus(), 0);
      assert.ok(existsSync(join(dataDir, 'history.sqlite')), 'the finished process was saved on exit');
    });
  },
);

test(
  'Ctrl-C at the prompt clears the line without ending the shell',
  {timeout: TEST_TIMEOUT_MS},
  async (t) => {
    await withSession(t, async (session) => {
      await session.expect('p2pos t=0> ', 'the first prompt');

      session.type('spawn half-typed');
      await session.expect('spawn half-typed', 'the typed text echoed');
      session.type('\x03');
      await session.expect('^C', 'Ctrl-C echoed');
      await session.expect('p2pos t=0> ', 'a fresh prompt after Ctrl-C');

      session.type(`echo alive${ENTER}`);
      await session.expect(/\nalive\n/, 'echo running after Ctrl-C');
      await session.expect('p2pos t=0> ', 'the prompt after echo');

      session.type(`bogus${ENTER}`);
      await session.expect('error: Unknown command `bogus`.', 'the error for an unknown command');
      await session.expect('p2pos t=0> ', 'the prompt after an error');

      session.type(`ps${ENTER}`);
      await session.expect(PS_HEADER, 'the ps header');
      await session.expect('p2pos t=0> ', 'the prompt after ps');
      assert.doesNotMatch(session.screen, /half-typed\s+(NEW|READY)/, 'the cleared line never ran');

      session.type('\x04'); // Ctrl-D on an empty line leaves
      assert.equal(await session.exitStatus(), 0);
    });
  },
);
