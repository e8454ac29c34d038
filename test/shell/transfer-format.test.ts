// How transfers read: MB/s, times to go, percentages that reach 100 only when done, bars, and names
// from the network with their control characters made visible.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
  doneFraction,
  formatEta,
  formatPercent,
  formatRate,
  printable,
  progressBar,
  shownState,
} from '../../src/shell/transfer-format.js';

test('rates are decimal megabytes a second with one decimal', () => {
  assert.equal(formatRate(0), '0.0 MB/s');
  assert.equal(formatRate(112_449_999), '112.4 MB/s');
  assert.equal(formatRate(1.5e9), '1500.0 MB/s');
});

test('times to go round up, in seconds, minutes or hours; unknown is a dash', () => {
  const table: [number | null, string][] = [
    [0, '0s'],
    [0.2, '1s'],
    [59, '59s'],
    [60, '1m00s'],
    [65, '1m05s'],
    [3599, '59m59s'],
    [3600, '1h00m'],
    [7440, '2h04m'],
    [null, '-'],
    [Number.POSITIVE_INFINITY, '-'],
    [-1, '-'],
  ];
  for (const [seconds, text] of table) assert.equal(formatEta(seconds), text, String(seconds));
});

test('only a finished transfer is 100%: the last bytes still wait for the whole-file check', () => {
  assert.equal(formatPercent(doneFraction({state: 'verifying', size: 100, bytesDone: 100})), '99%');
  assert.equal(formatPercent(doneFraction({state: 'done', size: 100, bytesDone: 100})), '100%');
  assert.equal(formatPercent(doneFraction({state: 'active', size: 1000, bytesDone: 425})), '42%');
  assert.equal(
    doneFraction({state: 'active', size: 0, bytesDone: 0}),
    0,
    'an empty file is done when it is done',
  );
  assert.equal(doneFraction({state: 'done', size: 0, bytesDone: 0}), 1);
});

test('bars fill in proportion, rounded down, and a full bar means done', () => {
  assert.equal(progressBar(0, 10), '░░░░░░░░░░');
  assert.equal(progressBar(0.42, 10), '████░░░░░░');
  assert.equal(progressBar(doneFraction({state: 'verifying', size: 10, bytesDone: 10}), 10), '█████████░');
  assert.equal(progressBar(1, 10), '██████████');
  assert.equal(progressBar(0.5, 0), '');
});

test('a download recorded as active that no run drives reads as stopped', () => {
  assert.equal(shownState({state: 'active'}, true), 'active');
  assert.equal(shownState({state: 'active'}, false), 'stopped');
  assert.equal(shownState({state: 'verifying'}, false), 'stopped');
  assert.equal(shownState({state: 'paused'}, false), 'paused');
  assert.equal(shownState({state: 'done'}, false), 'done');
});

test('control characters and direction overrides in names from the network print as ?', () => {
  assert.equal(printable('report.pdf'), 'report.pdf');
  assert.equal(printable('a\u001b[2Jb'), 'a?[2Jb');
  assert.equal(printable('x\u202Egnp.exe'), 'x?gnp.exe');
  assert.equal(printable('tab\there\u0085'), 'tab?here?');
  assert.equal(printable('naïve 名前'), 'naïve 名前');
});
