// The script runner (src/shell/plain.ts) on an in-memory output: what goes to stdout and stderr, in
// text and --json mode. The binary's own tests (test/cli.test.ts) cover the same through a pipe.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {runScript} from '../../src/shell/plain.js';
import {createTestContext} from '../support/shell-context.js';

/** Run `lines` as a script named -c; returns its status and everything it printed. */
async function runLines(
  lines: string[],
  json = false,
): Promise<{status: number; stdout: string; stderr: string}> {
  let stdout = '';
  let stderr = '';
  const output = {stdout: (text: string) => (stdout += text), stderr: (text: string) => (stderr += text)};
  const status = await runScript(lines, createTestContext(), output, {source: '-c', json});
  return {status, stdout, stderr};
}

const PASSWORD_WARNING =
  'warning: --password is visible to other users of this machine (ps, shell history); prefer --password-file FILE or P2POS_PASSWORD.';

for (const json of [false, true]) {
  test(`an inline --password is warned about on stderr once a run, never on stdout (${json ? '--json' : 'text'})`, async () => {
    // offline, login fails (no network); the password was on the command line all the same
    const {stdout, stderr} = await runLines(
      ['login bob --password hunter2hunter2', 'useradd ann --password hunter2hunter2'],
      json,
    );
    assert.doesNotMatch(stdout, /warning|visible/);
    assert.equal(
      stderr
        .split('\n')
        .filter((line) => line.includes('warning'))
        .join('\n'),
      `-c:1: ${PASSWORD_WARNING}`,
    );
    if (json) {
      for (const line of stdout.trimEnd().split('\n'))
        assert.equal((JSON.parse(line) as {data?: unknown}).data, undefined);
    }
  });
}

test('--password and --new-password of passwd are each named in a warning of their own', async () => {
  const {stderr} = await runLines(['passwd --password hunter2hunter2 --new-password hunter3hunter3']);
  const warnings = stderr.split('\n').filter((line) => line.includes('warning'));
  assert.deepEqual(warnings, [
    `-c:1: ${PASSWORD_WARNING}`,
    '-c:1: warning: --new-password is visible to other users of this machine (ps, shell history); prefer --new-password-file FILE or P2POS_NEW_PASSWORD.',
  ]);
});
