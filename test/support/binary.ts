// Run the built p2pos binary as a user would: a real child process with its own data dir.

import {spawn, spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/p2pos.js', import.meta.url));

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `p2pos ARGS` with `input` on stdin; resolves when it exits (killed after `timeoutMs`). */
export function runBinary(
  args: string[],
  input = '',
  options: {env?: NodeJS.ProcessEnv; timeoutMs?: number} = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {...process.env, NO_COLOR: '', FORCE_COLOR: '0', ...options.env},
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({status, stdout, stderr});
    });
    child.stdin.end(input);
  });
}

/** A fresh data directory, removed by the returned function. */
export function tempDataDir(): {dir: string; remove(): void} {
  const dir = mkdtempSync(join(tmpdir(), 'p2pos-test-'));
  return {dir, remove: () => rmSync(dir, {recursive: true, force: true})};
}

/** Build dist/ if it is missing (npm test builds first; a lone test file may not have). */
export function ensureBuilt(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  if (existsSync(join(root, 'dist', 'cli.js'))) return;
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.js')], {
    cwd: root,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`build failed:\n${build.stderr}`);
}
