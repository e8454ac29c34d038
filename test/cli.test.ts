// The p2pos binary as a user runs it, on pipes: script mode (stdin, `run FILE`, `-c`), --json,
// FILE:LINE errors and exit statuses, boot flags, colour control, determinism and the data dir.
// Needs dist/: `npm test` builds first; a before hook builds when dist/cli.js is missing.

import assert from 'node:assert/strict';
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join, relative} from 'node:path';
import {after, before, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {ensureBuilt, runBinary, tempDataDir, type RunResult} from './support/binary.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string};
const ANSI_PATTERN = /\x1b\[[0-9;]*[A-Za-z]/g;
const HAS_ANSI = /\x1b\[/;
const PS_HEADER = /PID\s+PPID\s+NAME\s+STATE\s+PRI\s+CPU\s+WAIT\s+MEM/;

/** Colour variables removed, so only what a test passes decides colour (and stdout is a pipe). */
const NO_COLOR_ENV = {NO_COLOR: undefined, FORCE_COLOR: undefined};

let data: {dir: string; remove(): void};

before(() => {
  ensureBuilt();
  data = tempDataDir();
});

after(() => data.remove());

/** Run p2pos with the shared temp data dir; the data-directory tests call runBinary with their own. */
function p2pos(args: string[], input = '', env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return runBinary(['--data', data.dir, ...args], input, {env});
}

/** Fail with everything the binary printed, so a failure explains itself. */
function show(result: RunResult): string {
  return `exit ${result.status}\n--- stdout ---\n${result.stdout}--- stderr ---\n${result.stderr}`;
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  const lines = stdout.split('\n');
  assert.equal(lines.pop(), '', 'output ends with a newline');
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

function dataOf(record: Record<string, unknown> | undefined): Record<string, unknown> {
  assert.ok(record, 'missing JSON line');
  assert.equal(record.ok, true, `expected ok: ${JSON.stringify(record)}`);
  return record.data as Record<string, unknown>;
}

// --- script mode -----------------------------------------------------------------------------

const LAB = 'spawn a --burst 5\nwait all\nps -a\n';

test('a script piped on stdin runs in script mode', async () => {
  const result = await p2pos([], LAB);
  assert.equal(result.status, 0, show(result));
  assert.equal(result.stderr, '');
  assert.match(result.stdout, /^2\nall done at t=5\n/);
  assert.match(result.stdout, PS_HEADER);
  assert.match(result.stdout, /\n\s*2\s+1\s+a\s+TERMINATED\(0\)/);
});

test('p2pos run FILE runs the file and prints what stdin mode prints', async () => {
  const file = join(data.dir, 'lab.txt');
  writeFileSync(file, LAB);
  const fromFile = await p2pos(['run', file]);
  const fromStdin = await p2pos([], LAB);
  assert.equal(fromFile.status, 0, show(fromFile));
  assert.equal(fromFile.stdout, fromStdin.stdout);
});

test('p2pos -c runs commands separated by semicolons', async () => {
  const result = await p2pos(['-c', 'spawn a --burst 5; wait all; ps']);
  assert.equal(result.status, 0, show(result));
  assert.equal(result.stderr, '');
  const lines = result.stdout.split('\n');
  assert.equal(lines[0], '2');
  assert.equal(lines[1], 'all done at t=5');
  assert.match(lines[2] ?? '', PS_HEADER);
});

test('p2pos --command is the long form of -c', async () => {
  const result = await p2pos(['--command', 'echo hello']);
  assert.equal(result.status, 0, show(result));
  assert.equal(result.stdout, 'hello\n');
});

test('script output on a pipe is plain text without ANSI codes', async () => {
  const result = await p2pos(
    ['-c', 'spawn a --burst 5; ps; sched queue; help; banker; deadlock'],
    '',
    NO_COLOR_ENV,
  );
  assert.equal(result.status, 0, show(result));
  assert.doesNotMatch(result.stdout, HAS_ANSI);
  assert.doesNotMatch(result.stderr, HAS_ANSI);
});

for (const noColor of [undefined, '']) {
  test(`FORCE_COLOR=1 puts colour on a pipe (NO_COLOR ${noColor === undefined ? 'unset' : 'empty'})`, async () => {
    const script = 'spawn a --burst 5; ps; help';
    const coloured = await p2pos(['-c', script], '', {FORCE_COLOR: '1', NO_COLOR: noColor});
    const plain = await p2pos(['-c', script], '', NO_COLOR_ENV);
    assert.equal(coloured.status, 0, show(coloured));
    assert.match(coloured.stdout, /\x1b\[\d+mREADY\x1b\[\d+m/, 'ps colours the state');
    assert.match(coloured.stdout, /\x1b\[1mspawn/, 'help shows command names in bold');
    assert.equal(
      coloured.stdout.replace(ANSI_PATTERN, ''),
      plain.stdout,
      'colour only decorates the plain text',
    );
  });
}

test('NO_COLOR=1 keeps colour off', async () => {
  const result = await p2pos(['-c', 'spawn a --burst 5; ps; help'], '', {
    NO_COLOR: '1',
    FORCE_COLOR: undefined,
  });
  assert.equal(result.status, 0, show(result));
  assert.doesNotMatch(result.stdout, HAS_ANSI);
});

test('--json output has no colour even with FORCE_COLOR=1', async () => {
  const result = await p2pos(['--json', '-c', 'spawn a; ps; help'], '', {
    FORCE_COLOR: '1',
    NO_COLOR: undefined,
  });
  assert.equal(result.status, 0, show(result));
  assert.doesNotMatch(result.stdout, HAS_ANSI);
});

// --- --json ----------------------------------------------------------------------------------

test('--json prints exactly one JSON line per command, successes and failures alike', async () => {
  const result = await p2pos(['--json'], 'spawn a --burst 3\nbogus\necho hi; tick 1\n\n# comment\nkill 99\n');
  assert.equal(result.status, 1, show(result));
  const records = jsonLines(result.stdout);
  assert.deepEqual(
    records.map((record) => [record.cmd, record.ok]),
    [
      ['spawn', true],
      ['bogus', false],
      ['echo', true],
      ['tick', true],
      ['kill', false],
    ],
  );
  for (const record of records) {
    assert.deepEqual(
      Object.keys(record).filter((key) => key !== 'code'),
      record.ok ? ['cmd', 'ok', 'data'] : ['cmd', 'ok', 'error'],
    );
    if (!record.ok) assert.equal(typeof record.error, 'string');
  }
  assert.equal(dataOf(records[2]).text, 'hi');
});

test('--json gives the data each command computes', async () => {
  const script = [
    'spawn a --burst 3',
    'malloc 100',
    'wait all',
    'sched stats',
    'banker',
    'deadlock',
    'mem',
  ].join('\n');
  const result = await p2pos(['--json'], script);
  assert.equal(result.status, 0, show(result));
  const [spawn, malloc, , stats, banker, deadlock, mem] = jsonLines(result.stdout).map(dataOf);

  assert.equal(spawn?.pid, 2);

  assert.equal(typeof malloc?.addr, 'number');
  assert.equal(malloc?.size, 100);

  for (const key of ['avgWaiting', 'avgTurnaround', 'avgResponse'])
    assert.equal(typeof stats?.[key], 'number', key);
  assert.equal(stats?.avgTurnaround, 3);
  assert.ok(Array.isArray(stats?.processes));
  assert.equal((stats?.processes as unknown[]).length, 1);

  assert.equal(banker?.safe, true);
  assert.ok(Array.isArray(banker?.sequence));

  assert.deepEqual(deadlock?.deadlocked, []);

  assert.deepEqual(
    {
      used: mem?.used,
      free: mem?.free,
      freeBlocks: mem?.freeBlocks,
      largestFree: mem?.largestFree,
      externalFragmentation: mem?.externalFragmentation,
    },
    {
      used: 100,
      free: 1024 * 1024 - 100,
      freeBlocks: 1,
      largestFree: 1024 * 1024 - 100,
      externalFragmentation: 0,
    },
  );
});

test('--json reports a line that does not parse as one failed record', async () => {
  const result = await p2pos(['--json'], 'echo "open\necho next\n');
  assert.equal(result.status, 1, show(result));
  const records = jsonLines(result.stdout);
  assert.equal(records.length, 2);
  assert.equal(records[0]?.ok, false);
  assert.match(String(records[0]?.error), /Unterminated double quote/);
  assert.equal(dataOf(records[1]).text, 'next');
  assert.equal(result.stderr, '<stdin>:1: Unterminated double quote.\n');
});

test('--json reports each command of a sourced file as its own line, nested files too, then the source', async () => {
  const ok = join(data.dir, 'json-ok.txt');
  const inner = join(data.dir, 'json-inner.txt');
  const outer = join(data.dir, 'json-outer.txt');
  writeFileSync(ok, 'spawn a --burst 3\necho hi\n');
  writeFileSync(inner, `echo in\nbogus\nsource ${ok}\n`);
  writeFileSync(outer, `echo before\nsource ${inner}\necho after\n`);
  const result = await p2pos(['--json', '-c', `source ${outer}`]);
  assert.equal(result.status, 1, show(result));
  const records = jsonLines(result.stdout);
  assert.deepEqual(
    records.map((record) => [record.cmd, record.ok]),
    [
      ['echo', true],
      ['echo', true],
      ['bogus', false],
      ['spawn', true],
      ['echo', true],
      ['source', true],
      ['source', false],
      ['echo', true],
      ['source', false],
    ],
  );
  assert.equal(dataOf(records[3]).pid, 2);
  assert.equal(dataOf(records[4]).text, 'hi');
  assert.deepEqual(dataOf(records[5]), {file: ok, commands: 2});
  assert.equal(
    result.stderr,
    `${inner}:2: Unknown command \`bogus\`. Type \`help\` for the list.\n` +
      `${outer}:2: 1 of 3 commands in ${inner} failed.\n` +
      `-c:1: 1 of 3 commands in ${outer} failed.\n`,
  );
  // text mode keeps the sourced lines' output and errors in place on stdout, as before
  const text = await p2pos(['-c', `source ${outer}`]);
  assert.equal(
    text.stdout,
    `before\nin\n${inner}:2: Unknown command \`bogus\`. Type \`help\` for the list.\n2\nhi\n` +
      `${outer}:2: 1 of 3 commands in ${inner} failed.\nafter\n`,
  );
  assert.equal(text.stderr, `-c:1: 1 of 3 commands in ${outer} failed.\n`);
});

test('--json reports a line of a sourced file that does not parse as a failed record at its FILE:LINE', async () => {
  const file = join(data.dir, 'json-quote.txt');
  writeFileSync(file, 'echo "open\necho next\n');
  const result = await p2pos(['--json', '-c', `source ${file}`]);
  assert.equal(result.status, 1, show(result));
  const records = jsonLines(result.stdout);
  assert.deepEqual(
    records.map((record) => [record.cmd, record.ok, record.code]),
    [
      ['', false, 'EPARSE'],
      ['echo', true, undefined],
      ['source', false, 'ESOURCE'],
    ],
  );
  assert.equal(
    result.stderr,
    `${file}:1: Unterminated double quote.\n-c:1: 1 of 1 commands in ${file} failed.\n`,
  );
});

test('a UTF-8 byte-order mark at the start of a script is ignored: stdin, -c, run FILE and source FILE', async () => {
  const BOM = '\uFEFF';
  const script = `${BOM}spawn a --burst 3\nwait all\n`;
  const expected = '2\nall done at t=3\n';
  const file = join(data.dir, 'bom.txt');
  writeFileSync(file, script);
  for (const [what, result] of [
    ['stdin', await p2pos([], script)],
    ['-c', await p2pos(['-c', script])],
    ['run FILE', await p2pos(['run', file])],
    ['source FILE', await p2pos(['-c', `source ${file}`])],
  ] as const) {
    assert.equal(result.status, 0, `${what}: ${show(result)}`);
    assert.equal(result.stdout, expected, what);
  }
  // only at the start: a mark inside a script is still a character of the word it is in
  const inside = await p2pos(['-c', `echo one\n${BOM}echo two`]);
  assert.equal(inside.status, 1, show(inside));
});

test('control characters never reach the terminal raw: names are refused, free text is written out', async () => {
  const script = 'spawn a\x1b[31mX\nspawn b\x07c\nspawn ok\necho bell\x07 csi\u009b\nps\n';
  const text = await p2pos([], script);
  assert.equal(text.status, 1, show(text));
  assert.doesNotMatch(text.stdout + text.stderr, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  assert.match(text.stderr, /^<stdin>:1: `a\\x1b\[31mX` holds a control character \(\\x1b\)/);
  assert.match(text.stderr, /\n<stdin>:2: `b\\x07c` holds a control character \(\\x07\)/);
  assert.match(text.stdout, /^2\nbell\\x07 csi\\x9b\n/);
  const json = await p2pos(['--json'], script);
  assert.doesNotMatch(json.stdout, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  assert.equal(dataOf(jsonLines(json.stdout)[3]).text, 'bell\x07 csi\u009b', 'the data is the text as given');
});

// --- errors and exit status ------------------------------------------------------------------

test('an error on stdin is reported as <stdin>:LINE and the run continues, exiting 1', async () => {
  const result = await p2pos([], 'echo one\necho two\nbogus\necho after\n');
  assert.equal(result.status, 1, show(result));
  assert.equal(result.stdout, 'one\ntwo\nafter\n');
  assert.equal(result.stderr, '<stdin>:3: Unknown command `bogus`. Type `help` for the list.\n');
});

test('an error in -c is reported as -c:LINE, counting newlines in the string', async () => {
  const one = await p2pos(['-c', 'kill 99; echo after']);
  assert.equal(one.status, 1, show(one));
  assert.match(one.stderr, /^-c:1: /);
  assert.equal(one.stdout, 'after\n');

  const two = await p2pos(['-c', 'echo first\nkill 99']);
  assert.match(two.stderr, /^-c:2: /);
});

test('an error in a file is reported with the path as given and the line number', async () => {
  const dir = join(data.dir, 'path', 'to');
  mkdirSync(dir, {recursive: true});
  const file = relative(process.cwd(), join(dir, 'lab.txt'));
  writeFileSync(file, 'echo one\nspwan a\necho three\n');
  const result = await p2pos(['run', file]);
  assert.equal(result.status, 1, show(result));
  assert.equal(result.stdout, 'one\nthree\n');
  assert.equal(result.stderr, `${file}:2: Unknown command \`spwan\`. Did you mean \`spawn\`?\n`);
});

test('set -e stops the script at the first failure', async () => {
  const result = await p2pos([], 'set -e\necho one\nkill 99\necho two\nspawn late\n');
  assert.equal(result.status, 1, show(result));
  assert.equal(result.stdout, 'errexit on\none\n');
  assert.equal(result.stderr.split('\n').filter(Boolean).length, 1, 'only the first failure is reported');
  assert.match(result.stderr, /^<stdin>:3: /);
});

test('set -e also stops at a line that does not parse', async () => {
  const result = await p2pos([], 'set -e\necho "open\necho two\n');
  assert.equal(result.status, 1, show(result));
  assert.equal(result.stdout, 'errexit on\n');
});

test('set -e stops in the middle of a line of several commands', async () => {
  const result = await p2pos(['-c', 'set -e; kill 99; echo same-line']);
  assert.equal(result.status, 1, show(result));
  assert.doesNotMatch(result.stdout, /same-line/);
});

test('set +e turns errexit off again', async () => {
  const result = await p2pos([], 'set -e\nset +e\nkill 99\necho two\n');
  assert.equal(result.status, 1, show(result));
  assert.equal(result.stdout, 'errexit on\nerrexit off\ntwo\n');
});

test('an unknown command suggests the nearest name', async () => {
  const result = await p2pos(['-c', 'spwan a']);
  assert.equal(result.status, 1, show(result));
  assert.equal(result.stderr, '-c:1: Unknown command `spwan`. Did you mean `spawn`?\n');
});

test('a wrong argument prints what is wrong and the usage', async () => {
  const result = await p2pos(['-c', 'spawn a --burst x']);
  assert.equal(result.status, 1, show(result));
  assert.match(result.stderr, /^-c:1: Bad --burst `x`: .* Usage: spawn \[NAME\] \[--burst N\]/);
});

test('exit 3 stops the script and exits 3', async () => {
  const result = await p2pos([], 'echo one\nexit 3\necho two\n');
  assert.equal(result.status, 3, show(result));
  assert.equal(result.stdout, 'one\n');
});

test('exit with no status after a failure still exits 1', async () => {
  const result = await p2pos(['-c', 'kill 99; exit']);
  assert.equal(result.status, 1, show(result));
});

test('an empty script exits 0 and prints nothing', async () => {
  const result = await p2pos([], '');
  assert.deepEqual(result, {status: 0, stdout: '', stderr: ''});
});

// --- flags -----------------------------------------------------------------------------------

test('--help prints the usage and exits 0', async () => {
  const result = await runBinary(['--help']);
  assert.equal(result.status, 0, show(result));
  assert.match(result.stdout, /Usage/);
  assert.match(result.stdout, /p2pos run lab\.txt/);
  assert.match(result.stdout, /--sched ALG/);
});

test('--help next to another flag still prints the usage', async () => {
  const result = await p2pos(['--help']);
  assert.equal(result.status, 0, show(result));
  assert.match(result.stdout, /Usage/);
});

test('--version prints the package version', async () => {
  const result = await runBinary(['--version']);
  assert.equal(result.status, 0, show(result));
  assert.equal(result.stdout.trim(), PACKAGE.version);
});

test('-c with nothing after it exits 2 instead of running an empty script', async () => {
  const result = await p2pos(['-c']);
  assert.equal(result.status, 2, show(result));
  assert.match(result.stderr, /^p2pos: -c needs a script/);
});

// Every flag that takes a value, as the user types it.
const VALUE_FLAGS = [
  '--sched',
  '--quantum',
  '--heap',
  '--fit',
  '--data',
  '--hz',
  '--tracker',
  '--peer-tracker',
  '--port',
  '--host',
  '--name',
  '--run',
  '--max-upload',
  '--max-file-size',
  '--join',
  '--secret',
  '--password-file',
  '--password',
];

// The three ways to leave a value out, taken in turn so each flag costs one run.
const WITHOUT_VALUE = [
  (flag: string) => [flag, '-c', 'echo ran'],
  (flag: string) => ['-c', 'echo ran', flag],
  (flag: string) => [`${flag}=`, '-c', 'echo ran'],
];

VALUE_FLAGS.forEach((flag, index) => {
  const args = WITHOUT_VALUE[index % WITHOUT_VALUE.length]!(flag);
  test(`\`${args.join(' ')}\` exits 2 saying ${flag} needs a value`, async () => {
    // refused before the data directory is looked at (p2pos() gives one, which --data would repeat)
    const result = await runBinary(args);
    assert.equal(result.status, 2, show(result));
    assert.match(result.stderr, new RegExp(`^p2pos: ${flag} needs a value\\.\\n[^]*Usage`));
    assert.equal(result.stdout, '', 'nothing runs');
  });
});

test("-c '' is an empty script, as sh -c '' is: nothing runs and the exit status is 0", async () => {
  const result = await p2pos(['--offline', '-c', '']);
  assert.equal(result.status, 0, show(result));
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, '');
});

test('-c followed by another flag exits 2 instead of running an empty script', async () => {
  for (const args of [['-c', '--json'], ['--command=']]) {
    const result = await p2pos(args);
    assert.equal(result.status, 2, show(result));
    assert.match(result.stderr, new RegExp(`^p2pos: ${args[0]!.replace('=', '')} needs a script`));
  }
});

test('a flag given twice exits 2 with one line, not a stack trace', async () => {
  const result = await p2pos(['-c', 'echo one', '-c', 'echo two']);
  assert.equal(result.status, 2, show(result));
  assert.equal(result.stdout, '');
  assert.equal(
    result.stderr,
    'p2pos: The flag --command can only be set once. Run `p2pos --help` for the options.\n',
  );
});

test('an unknown flag exits 2, names it and prints the usage', async () => {
  const result = await p2pos(['--bogus', '-c', 'echo ran']);
  assert.equal(result.status, 2, show(result));
  assert.match(result.stderr, /^p2pos: Unknown flag: `--bogus`\.\n/);
  assert.match(result.stderr, /\n {2}Usage\n/);
  assert.doesNotMatch(result.stdout, /ran/);
  const two = await p2pos(['--max-uplod', '5M', '-x', '--no-remote-exec', '-c', 'echo ran']);
  assert.equal(two.status, 2, show(two));
  assert.match(two.stderr, /^p2pos: Unknown flags: `--max-uplod`, `-x`\.\n/);
});

const badFlags: {args: string[]; message: RegExp}[] = [
  {
    args: ['--sched', 'lottery'],
    message: /Unknown scheduler `lottery`\. Expected one of: fcfs, sjf, srtf, priority, rr, mlfq\./,
  },
  {args: ['--quantum', '0'], message: /Bad --quantum `0`: expected a whole number of ticks from 1/},
  {args: ['--quantum', 'x'], message: /Bad --quantum `x`/},
  {args: ['--heap', '0'], message: /Bad --heap `0`: expected a size such as 64K or 1M/},
  {args: ['--heap', '12Q'], message: /Bad --heap `12Q`/},
  {
    args: ['--fit', 'worstest'],
    message: /Unknown --fit `worstest`\. Expected one of: first, best, worst, next\./,
  },
  {
    args: ['--hz', '0'],
    message: /Bad --hz `0`: expected a whole number of ticks per second from 1 to 100000/,
  },
  {args: ['--hz', '200000'], message: /Bad --hz `200000`/},
  {
    args: ['--name', 'a\x1bb'],
    message: /Bad --name `a\\x1bb`: 1 to 64 characters, no spaces or control characters\./,
  },
];

test('a --data that is a file exits 2 saying so, for scripts and the tracker alike', async () => {
  const file = join(data.dir, 'not-a-directory');
  writeFileSync(file, 'x');
  for (const args of [
    ['-c', 'spawn a --burst 1; wait all'],
    ['tracker', '--port', '0'],
  ]) {
    const result = await runBinary(['--data', file, ...args]);
    assert.equal(result.status, 2, show(result));
    assert.match(result.stderr, /^p2pos: Bad --data `.*not-a-directory`: it is a file, not a directory\.\n/);
    assert.equal(result.stdout, '', 'nothing runs');
  }
});

for (const {args, message} of badFlags) {
  test(`\`${args.join(' ')}\` exits 2 with a message naming the bad value`, async () => {
    const result = await p2pos([...args, '-c', 'echo ran']);
    assert.equal(result.status, 2, show(result));
    assert.match(result.stderr, new RegExp(`^p2pos: ${message.source}`));
    assert.equal(result.stdout, '', 'nothing runs');
  });
}

test('--sched rr --quantum 2 boots round robin with a quantum of 2', async () => {
  const result = await p2pos(
    ['--sched', 'rr', '--quantum', '2', '--json'],
    'sched\nspawn a --burst 3\nspawn b --burst 3\nwait all\nsched gantt\n',
  );
  assert.equal(result.status, 0, show(result));
  const records = jsonLines(result.stdout);
  assert.equal(dataOf(records[0]).scheduler, 'rr');
  assert.match(String(dataOf(records[0]).description), /quantum 2/);
  const segments = dataOf(records[4]).segments as {pid: number; start: number; end: number}[];
  assert.deepEqual(
    segments.map(({pid, start, end}) => [pid, start, end]),
    [
      [2, 0, 2],
      [3, 2, 4],
      [2, 4, 5],
      [3, 5, 6],
    ],
  );
  const plain = await p2pos(['--sched', 'rr', '--quantum', '2', '-c', 'sched']);
  assert.equal(plain.stdout, 'scheduler rr (quantum 2)\n');
});

test('--heap 64K sets the heap size that mem reports', async () => {
  const result = await p2pos(['--heap', '64K', '-c', 'mem']);
  assert.equal(result.status, 0, show(result));
  assert.match(result.stdout, /^total\s+65536$/m);
});

test('--fit best sets the fit policy', async () => {
  const result = await p2pos(['--fit', 'best', '-c', 'fit; mem']);
  assert.equal(result.status, 0, show(result));
  assert.match(result.stdout, /^fit: best$/m);
  assert.match(result.stdout, /^fit\s+best$/m);
});

test('p2pos run on a missing file exits 1 and names the file', async () => {
  const result = await p2pos(['run', '/nonexistent/lab.txt']);
  assert.equal(result.status, 1, show(result));
  assert.match(result.stderr, /^p2pos: cannot read \/nonexistent\/lab\.txt: no such file \(ENOENT\)/);
  assert.equal(result.stdout, '');
});

test('p2pos run on a directory names the path', async () => {
  const result = await p2pos(['run', data.dir]);
  assert.equal(result.status, 1, show(result));
  assert.ok(result.stderr.includes(data.dir), result.stderr);
});

test('an unknown verb exits 2 and names it', async () => {
  const result = await p2pos(['frobnicate']);
  assert.equal(result.status, 2, show(result));
  assert.match(result.stderr, /Unknown command `frobnicate`/);
});

test('run without a file, or with -c as well, exits 2', async () => {
  assert.equal((await p2pos(['run'])).status, 2);
  assert.equal((await p2pos(['run', 'a.txt', '-c', 'ps'])).status, 2);
});

// --- determinism and the data directory ------------------------------------------------------

test('the same script run twice prints byte-identical output', async () => {
  const script = [
    'spawn editor --burst 7 --priority 3',
    'spawn compiler --burst 4 --arrive 2',
    "spawn io --prog 'cpu 2, io 3, cpu 2'",
    'malloc 4K',
    'malloc 100',
    'tick 5',
    'ps',
    'wait all',
    'sched stats',
    'sched gantt',
    'mem map',
    'events',
  ].join('\n');
  const args = ['--sched', 'rr', '--quantum', '2', '--fit', 'best'];
  const first = await p2pos(args, script);
  const second = await p2pos(args, script);
  assert.equal(first.status, 0, show(first));
  assert.equal(second.stdout, first.stdout);
  assert.equal(second.stderr, first.stderr);
});

test('history survives between runs in the --data directory', async () => {
  const own = tempDataDir();
  try {
    const dir = join(own.dir, 'data');
    for (let run = 0; run < 2; run++) {
      const result = await runBinary(['--data', dir, '-c', 'spawn a --burst 1; wait all']);
      assert.equal(result.status, 0, show(result));
    }
    assert.ok(existsSync(join(dir, 'history.sqlite')), 'the database lives inside --data');
    const result = await runBinary(['--data', dir, '-c', 'history']);
    assert.equal(result.status, 0, show(result));
    assert.match(result.stdout, /^2 processes, 2 boots;/m);
  } finally {
    own.remove();
  }
});

test('P2POS_DATA is the data directory when --data is not given', async () => {
  const own = tempDataDir();
  try {
    const result = await runBinary(['-c', 'spawn a --burst 1; wait all'], '', {env: {P2POS_DATA: own.dir}});
    assert.equal(result.status, 0, show(result));
    assert.ok(existsSync(join(own.dir, 'history.sqlite')));
  } finally {
    own.remove();
  }
});

test('a run that finishes no process creates no database file', async () => {
  const own = tempDataDir();
  try {
    const result = await runBinary(['--data', own.dir, '-c', 'spawn a --burst 5; tick 2; ps; mem']);
    assert.equal(result.status, 0, show(result));
    assert.equal(existsSync(join(own.dir, 'history.sqlite')), false);
  } finally {
    own.remove();
  }
});

test('a tracker with a bad --peer-tracker exits 2 before it writes anything (no secret, no database)', async () => {
  const own = tempDataDir();
  try {
    const dir = join(own.dir, 'tracker');
    const result = await runBinary(['tracker', '--data', dir, '--port', '0', '--peer-tracker', 'bogus']);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /^p2pos: Bad --peer-tracker: `bogus`/);
    assert.equal(existsSync(dir), false);
  } finally {
    own.remove();
  }
});

test('p2pos -c exit does not create the data directory', async () => {
  const own = tempDataDir();
  try {
    const dir = join(own.dir, 'not-yet');
    const result = await runBinary(['--data', dir, '-c', 'exit']);
    assert.deepEqual(result, {status: 0, stdout: '', stderr: ''});
    assert.equal(existsSync(dir), false);
  } finally {
    own.remove();
  }
});
