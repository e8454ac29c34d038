// The downloads pane's lines as data: transfers in order (running first, newest first) with aligned
// bars, the chunk map of the newest running download scaled to the width, the legend, and what gives
// way when the pane is short or narrow.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {Downloading} from '../../../src/net/files/sharing.js';
import {
  chunkCells,
  downloadsHint,
  downloadsLines,
  downloadsScrollLimit,
  NO_DOWNLOADS,
  orderTransfers,
  pickFocus,
  readDownloads,
  STALL_MS,
  watchStalls,
} from '../../../src/shell/ui/downloads-lines.js';
import {lineText, lineWidth} from '../../../src/shell/ui/spans.js';
import {chunks, fixture, transfer} from './downloads-fixture.js';

const text = (lines: readonly (readonly {text: string}[])[]) => lines.map(lineText);

test('the newest running transfer is the one mapped; none when nothing runs', () => {
  const views = [transfer(1), transfer(2), transfer(5), transfer(4)];
  assert.equal(pickFocus(views, new Set([1, 4])), 4);
  assert.equal(pickFocus(views, new Set([2])), 2);
  assert.equal(pickFocus(views, new Set()), undefined);
});

test('running transfers come first, then the rest, newest first in each', () => {
  const data = {
    ...NO_DOWNLOADS,
    transfers: [1, 2, 3, 4, 5].map((id) => transfer(id)),
    running: new Set([2, 4]),
  };
  assert.deepEqual(
    orderTransfers(data).map((view) => view.id),
    [4, 2, 5, 3, 1],
  );
});

test('at 60 x 8 each transfer has a line, then the chunk map with its title and legend', () => {
  assert.deepEqual(text(downloadsLines(fixture(), 60, 8)), [
    'file-3.bin  ████░░░░░░░░  40%  12.5 MB/s  3 peers  eta 1m05s',
    'file-2.bin  ████░░░░░░░░  40%  failed: ENOPEER: No live pee…',
    'file-1.bin  ████████████ 100%  done  70.6 MB/s',
    '3 file-3.bin  16/40 chunks  4 in flight',
    '████████████████▓▓▓▓····················',
    '█ done  ▓ in flight  · missing',
  ]);
});

test('a map with more chunks than cells scales them, and the legend adds partial cells', () => {
  // 20 x 6: three transfers, a title, one row of 20 cells for 40 chunks (two a cell), a legend
  const data = fixture();
  assert.equal(text(downloadsLines(data, 20, 6))[4], '████████▓▓··········');
  const odd = {...data, focus: {id: 3, chunks: chunks('#.'.repeat(5) + '.'.repeat(30))}};
  assert.equal(text(downloadsLines(odd, 20, 6))[4], '▒▒▒▒▒···············');
  // the legend names partial cells only when there are some, and closes up to fit a narrow pane
  const halves = {...data, focus: {id: 3, chunks: chunks('#.'.repeat(40))}};
  assert.deepEqual(text(downloadsLines(halves, 40, 6)).slice(4), [
    '▒'.repeat(40),
    '█ done ▓ in flight ▒ partial · missing',
  ]);
  assert.equal(text(downloadsLines(halves, 60, 6)).at(-1), '█ done  ▓ in flight  ▒ partial  · missing');
});

test('chunk cells: one per chunk when there is room; a cell in flight if any chunk is, done if all are', () => {
  assert.deepEqual(chunkCells(chunks('#>.'), 10), ['done', 'in-flight', 'missing']);
  assert.deepEqual(chunkCells(chunks('##>#.#..'), 4), ['done', 'in-flight', 'part', 'missing']);
  assert.deepEqual(chunkCells(chunks(''), 10), []);
  // every chunk lands in exactly one cell, however the division falls
  for (let count = 1; count <= 13; count++) {
    const cells = chunkCells(chunks('#'.repeat(13)), count);
    assert.equal(cells.length, Math.min(count, 13));
    assert.ok(
      cells.every((cell) => cell === 'done'),
      `${count} cells`,
    );
  }
});

test('a short pane keeps one transfer and gives the map what is left: legend first, then the title', () => {
  assert.deepEqual(text(downloadsLines(fixture(), 60, 3)), [
    'file-3.bin  ████░░░░░░░░  40%  12.5 MB/s  3 peers  eta 1m05s',
    '████████████████▓▓▓▓····················',
    '█ done  ▓ in flight  · missing',
  ]);
  assert.equal(downloadsLines(fixture(), 60, 2).length, 2);
  assert.deepEqual(text(downloadsLines(fixture(), 60, 1)), [
    'file-3.bin  ████░░░░░░░░  40%  12.5 MB/s  3 peers  eta 1m05s',
  ]);
});

test('a tall pane grows the map up to four rows, and leaves the rest blank', () => {
  const many = {...fixture(), focus: {id: 3, chunks: chunks('#'.repeat(100) + '.'.repeat(100))}};
  const lines = text(downloadsLines(many, 30, 20));
  assert.equal(lines.length, 3 + 1 + 4 + 1, 'three transfers, a title, four map rows, the legend');
  assert.equal(lines[4], '█'.repeat(30));
  assert.equal(lines[7], '·'.repeat(30));
});

test('with nothing running there is no map, and every transfer gets a row', () => {
  const data = {...fixture(), running: new Set<number>(), focus: undefined};
  const lines = text(downloadsLines(data, 60, 8));
  assert.equal(lines.length, 3);
  // recorded as active, but no run drives it: its process ended
  assert.match(lines[0]!, /^file-3\.bin .* 40%  stopped$/);
});

test('the list scrolls, clamped so the last rows stay full', () => {
  const data = {...NO_DOWNLOADS, transfers: [1, 2, 3, 4, 5].map((id) => transfer(id, {state: 'paused'}))};
  const names = (scroll: number) =>
    text(downloadsLines(data, 60, 2, scroll)).map((line) => line.slice(0, 10));
  assert.deepEqual(names(0), ['file-5.bin', 'file-4.bin']);
  assert.deepEqual(names(2), ['file-3.bin', 'file-2.bin']);
  assert.deepEqual(names(99), ['file-2.bin', 'file-1.bin']);
  assert.equal(downloadsScrollLimit(data, 2), 3, 'PgDn stops where the last rows are full');
  assert.equal(downloadsScrollLimit(data, 9), 0);
});

test('how a transfer ended always shows whole: the bar shrinks for it, at every width', () => {
  const data = fixture();
  const failedOnly = {...NO_DOWNLOADS, transfers: [data.transfers[1]!]};
  const paused = {
    ...NO_DOWNLOADS,
    transfers: [transfer(4, {state: 'paused', name: 'a-rather-long-name.iso'})],
  };
  for (const width of [24, 30, 40, 60, 80, 120, 160]) {
    const lines = text(downloadsLines(failedOnly, width, 3));
    assert.match(lines[0]!, /\bfailed(: |$)/, `${width}: ${lines[0]}`);
    const all = text(downloadsLines(data, width, 8));
    assert.match(all[1]!, /\bfailed(: |$)/, `${width}: ${all[1]}`);
    assert.match(all[2]!, /\bdone\b/, `${width}: ${all[2]}`);
    assert.match(text(downloadsLines(paused, width, 3))[0]!, /\bpaused$/, `${width}`);
    for (const line of [...lines, ...all]) assert.ok(line.length <= width, line);
  }
  // the bars leave room for the failure's code; the rest of the message is cut at the edge
  assert.equal(
    text(downloadsLines(failedOnly, 60, 3))[0],
    'file-2.bin  ██████████░░░░░░░░░░░░░░░  40%  failed: ENOPEER…',
  );
});

test('a running transfer with nothing in flight that fetches nothing for STALL_MS shows as stalled, with no ETA', () => {
  const stuck = (bytesDone: number) => ({
    ...fixture(),
    transfers: [transfer(3, {inFlight: 0, bytesDone, rate: 1.2e6, etaSeconds: 18})],
    focus: undefined,
  });
  let watched = watchStalls(stuck(100), new Map(), 1_000);
  assert.equal(watched.data.stalled, undefined);
  watched = watchStalls(stuck(100), watched.marks, 1_000 + STALL_MS - 1);
  assert.equal(watched.data.stalled, undefined, 'not yet');
  watched = watchStalls(stuck(100), watched.marks, 1_000 + STALL_MS);
  assert.deepEqual([...watched.data.stalled!], [3]);
  const line = text(downloadsLines(watched.data, 60, 1))[0]!;
  assert.match(line, /  0%  stalled$/);
  assert.doesNotMatch(line, /eta|MB\/s/);
  // a chunk in flight for a moment (a retry of a dead peer) does not end it; a byte does
  const retrying = {...stuck(100), transfers: [transfer(3, {bytesDone: 100, inFlight: 1})]};
  assert.deepEqual([...watchStalls(retrying, watched.marks, 1_000 + STALL_MS + 1).data.stalled!], [3]);
  assert.equal(watchStalls(stuck(200), watched.marks, 1_000 + STALL_MS + 1).data.stalled, undefined);
  // not stalled while chunks are in flight, however long the last byte was
  const slow = {...stuck(100), transfers: [transfer(3, {bytesDone: 100, inFlight: 4})]};
  let waiting = watchStalls(slow, new Map(), 0);
  waiting = watchStalls(slow, waiting.marks, 10 * STALL_MS);
  assert.equal(waiting.data.stalled, undefined);
  // the mapped transfer counts what its map shows in flight: none here, whatever requests still wait
  const mapped = {
    ...stuck(100),
    transfers: [transfer(3, {bytesDone: 100, inFlight: 4})],
    focus: {id: 3, chunks: chunks('####......')},
  };
  assert.deepEqual([...watchStalls(mapped, waiting.marks, 11 * STALL_MS).data.stalled!], [3]);
  // a transfer that no run drives is stopped, not stalled
  const notRunning = {...stuck(100), running: new Set<number>()};
  assert.equal(watchStalls(notRunning, watched.marks, 1_000 + 2 * STALL_MS).data.stalled, undefined);
});

test('no transfers: one line saying how to start one, and no hint', () => {
  assert.deepEqual(text(downloadsLines(NO_DOWNLOADS, 60, 5)), [
    'no downloads: `download ID|NAME` starts one',
  ]);
  assert.equal(downloadsHint(NO_DOWNLOADS), undefined);
  assert.equal(downloadsHint(fixture()), '1 running, 3 in all');
});

test('long names are cut so the bars line up; no line is wider than the pane', () => {
  const data = fixture();
  const long = {
    ...data,
    transfers: [...data.transfers, transfer(4, {name: 'a-very-long-file-name-indeed.tar.gz'})],
  };
  const lines = text(downloadsLines(long, 60, 10));
  const bars = lines.slice(0, 4).map((line) => line.indexOf('█'));
  assert.ok(
    bars.every((column) => column === bars[0]),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((line) => line.startsWith('a-very-long-fi…  ')),
    lines.join('\n'),
  );
  for (let width = 1; width <= 90; width += 7)
    for (let height = 1; height <= 12; height += 3)
      for (const line of downloadsLines(long, width, height))
        assert.ok(lineWidth(line) <= width, `${width}x${height}: ${lineText(line)}`);
});

test('readDownloads asks the sharing service for every transfer and the chunk map of the newest running one', () => {
  const map = chunks('##>.');
  const running = new Map<number, Partial<Downloading>>([
    [2, {chunkMap: () => chunks('....')}],
    [4, {chunkMap: () => map}],
  ]);
  const data = readDownloads({
    downloads: () => [1, 2, 3, 4].map((id) => transfer(id)),
    running: (id) => running.get(id) as Downloading | undefined,
  });
  assert.deepEqual([...data.running], [2, 4]);
  assert.deepEqual(data.focus, {id: 4, chunks: map});
  assert.equal(data.transfers.length, 4);
});
