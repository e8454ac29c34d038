// Golden tests of scripted sessions: each lab in labs/ runs through the real binary, and its
// stdout, stderr and exit status must match test/golden/ byte for byte, on every run.
// After an intended change: UPDATE_GOLDEN=1 node scripts/test.js golden

import assert from 'node:assert/strict';
import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import {test} from 'node:test';
import {runBinary, tempDataDir} from '../support/binary.js';

const labs = new URL('../../labs/', import.meta.url);
const golden = new URL('../golden/', import.meta.url);

const cases: {name: string; lab: string; args: string[]}[] = [
  ...['fcfs', 'sjf', 'srtf', 'priority', 'rr', 'mlfq'].map((policy) => ({
    name: `scheduling-${policy}`,
    lab: 'scheduling.txt',
    args: ['--sched', policy, '--quantum', '4'],
  })),
  ...['first', 'best', 'worst', 'next'].map((fit) => ({
    name: `memory-${fit}`,
    lab: 'memory.txt',
    args: ['--fit', fit],
  })),
  {name: 'semaphores', lab: 'semaphores.txt', args: []},
  {name: 'bankers', lab: 'bankers.txt', args: []},
  {name: 'processes', lab: 'processes.txt', args: []},
  {name: 'bankers-json', lab: 'bankers.txt', args: ['--json']},
];

for (const {name, lab, args} of cases) {
  test(`the ${name} session matches its golden output`, async () => {
    const script = readFileSync(new URL(lab, labs), 'utf8');
    const data = tempDataDir();
    try {
      const first = await runBinary(['--data', data.dir, ...args], script);
      const second = await runBinary(['--data', data.dir, ...args], script);
      const render = (r: typeof first) => `${r.stdout}--- stderr ---\n${r.stderr}--- exit ${r.status} ---\n`;
      assert.equal(render(second), render(first), 'the same script gives the same output on every run');
      const file = new URL(`${name}.out`, golden);
      if (process.env.UPDATE_GOLDEN) writeFileSync(file, render(first));
      assert.ok(existsSync(file), `missing ${file.pathname}; create it with UPDATE_GOLDEN=1`);
      assert.equal(render(first), readFileSync(file, 'utf8'));
    } finally {
      data.remove();
    }
  });
}
