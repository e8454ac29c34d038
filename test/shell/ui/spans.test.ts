// Fitting spans to a width and packing labelled lists, with "+N more" for what does not fit.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {fitLine, lineText, packSections, type Section} from '../../../src/shell/ui/spans.js';

const list = (label: string, names: string[], separator?: string): Section => ({
  label: [{text: label}],
  count: names.length,
  item: (i) => [{text: names[i]!}],
  ...(separator === undefined ? {} : {separator}),
});

const texts = (lines: {text: string}[][]) => lines.map(lineText);

test('fitLine keeps a short line and cuts a long one with an ellipsis', () => {
  const line = [{text: 'abc', tone: 'green' as const}, {text: 'defgh'}];
  assert.deepEqual(fitLine(line, 8), line);
  assert.deepEqual(fitLine(line, 5), [{text: 'abc', tone: 'green'}, {text: 'd…'}]);
  assert.deepEqual(fitLine(line, 3), [{text: 'ab…', tone: 'green'}]);
  assert.equal(lineText(fitLine(line, 0)), '');
});

test('items flow over lines under their label, each section on a fresh line', () => {
  const lines = packSections(
    [list('ready ', ['2 a', '3 b', '4 c', '5 d'], ' → '), list('wait  ', ['6 e'])],
    20,
    5,
  );
  assert.deepEqual(texts(lines), ['ready 2 a → 3 b', '      4 c → 5 d', 'wait  6 e']);
});

test('what does not fit is counted in "+N more" on the last line, across sections', () => {
  const lines = packSections(
    [list('ready ', ['2 a', '3 b', '4 c', '5 d'], ' → '), list('wait  ', ['6 e'])],
    20,
    1,
  );
  assert.deepEqual(texts(lines), ['ready 2 a +4 more']);
  for (const line of texts(lines)) assert.ok(line.length <= 20);
});

test('a thousand items cost only the ones shown', () => {
  let made = 0;
  const section: Section = {
    label: [],
    count: 1000,
    item: (i) => {
      made++;
      return [{text: `item${i}`}];
    },
  };
  const lines = packSections([section], 30, 2);
  assert.deepEqual(texts(lines), ['item0  item1  item2  item3', 'item4  item5  item6 +993 more']);
  assert.ok(made < 12, `made ${made} items`);
});

test('no lines asked for gives none; an empty section shows its label', () => {
  assert.deepEqual(packSections([list('x ', ['a'])], 10, 0), []);
  assert.deepEqual(texts(packSections([list('ready (empty)', [])], 20, 2)), ['ready (empty)']);
});
