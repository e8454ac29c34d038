// The downloads pane: its frame from a fixture (bars, the chunk map, the legend, the count in the
// border), and in the whole console: F9 and `pane show downloads` bring it up, Alt+4 focuses it, and
// it follows a running transfer while the clock is paused.

import assert from 'node:assert/strict';
import {afterEach, test} from 'node:test';
import {Chalk} from 'chalk';
import {cleanup, render} from 'ink-testing-library';
import React from 'react';
import {createKernel} from '../../../../src/kernel/index.js';
import {openHistoryStore} from '../../../../src/shell/history-store.js';
import {App} from '../../../../src/shell/ui/app.js';
import {createConsoleParts} from '../../../../src/shell/ui/console.js';
import {NO_DOWNLOADS, type DownloadsData} from '../../../../src/shell/ui/downloads-lines.js';
import {DownloadsPane} from '../../../../src/shell/ui/panes/downloads-pane.js';
import {assertFits, frameLines} from '../../../support/ink-frame.js';
import {chunks, fixture, transfer} from '../downloads-fixture.js';

afterEach(() => cleanup());

test('at 60 x 8 the pane lists the transfers and maps the running one', () => {
  const lines = frameLines(<DownloadsPane data={fixture()} width={60} height={8} isFocused={false} />);
  assert.deepEqual(lines, [
    '╭─ Downloads ──────────────────────── 1 running, 3 in all ─╮',
    '│file-3.bin  ████░░░░░░  40%  12.5 MB/s  3 peers  eta 1m05s│',
    '│file-2.bin  ████░░░░░░  40%  failed: ENOPEER: No live pee…│',
    '│file-1.bin  ██████████ 100%  done  70.6 MB/s              │',
    '│3 file-3.bin  16/40 chunks  4 in flight                   │',
    '│████████████████▓▓▓▓····················                  │',
    '│█ done  ▓ in flight  · missing                            │',
    '╰──────────────────────────────────────────────────────────╯',
  ]);
  assertFits(lines, 60, 8);
});

test('without downloads the pane says how to start one', () => {
  const lines = frameLines(<DownloadsPane data={NO_DOWNLOADS} width={50} height={5} isFocused={true} />);
  assert.equal(lines[0], '╔═ Downloads ════════════════════════════════════╗');
  assert.equal(lines[1], '║no downloads: `download ID|NAME` starts one     ║');
  assertFits(lines, 50, 5);
});

const DEADLINE_MS = 5_000;

async function until(condition: () => boolean, what: string, frame: () => string): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}. Screen:\n${frame()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('in the console F9 and `pane show downloads` show the pane, and it moves with a paused clock', async () => {
  const kernel = createKernel();
  const parts = createConsoleParts({
    kernel,
    history: openHistoryStore(':memory:'),
    style: new Chalk({level: 0}),
    hz: 10,
    isPaused: true,
  });
  let data: DownloadsData = fixture();
  let reads = 0;
  const downloads = () => {
    reads += 1;
    return data;
  };
  const view = render(<App {...parts} downloads={downloads} />);
  const frame = () => view.lastFrame() ?? '';
  await until(() => frame().includes('p2pos>'), 'the prompt', frame);
  assert.doesNotMatch(frame(), /Downloads/, 'hidden at start');
  assert.equal(reads, 0, 'nothing is read while the pane is hidden');

  view.stdin.write('\u001B[20~'); // F9
  await until(() => frame().includes('Downloads'), 'the downloads pane', frame);
  assert.match(frame(), /file-3\.bin +█+░+ +40% +12\.5 MB\/s/);
  assert.match(frame(), /█ done {2}▓ in flight {2}· missing/);

  // the transfer moves on while the clock stands still: the pane reads it again by itself
  data = {
    ...data,
    transfers: [...data.transfers.slice(0, 2), transfer(3, {bytesDone: 9 * 1024 * 1024, chunksDone: 36})],
    focus: {id: 3, chunks: chunks('#'.repeat(36) + '>>>>')},
  };
  await until(() => / 90% /.test(frame()), 'the bar to reach 90%', frame);
  assert.match(frame(), /│█{36}▓▓▓▓ /, 'the chunk map follows');

  view.stdin.write('\u001B4'); // Alt+4
  await until(() => parts.panes.state.focus === 'downloads', 'focus on the downloads pane', frame);

  view.stdin.write('\u001B[20~'); // F9 again hides it
  await until(() => !frame().includes('Downloads'), 'the pane to go', frame);
  assert.equal(parts.panes.state.focus, 'output');

  for (const char of 'pane show downloads') view.stdin.write(char);
  view.stdin.write('\r');
  await until(() => frame().includes('Downloads'), 'the pane again', frame);
  assert.match(frame(), /downloads {2}shown/);
});
