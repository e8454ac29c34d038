// The console's key list: F1 prints every key the README's key table names, in aligned columns.

import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';
import {KEY_BINDINGS, keyBindingLines} from '../../../src/shell/ui/key-bindings.js';
import {Scrollback, wrapHanging} from '../../../src/shell/ui/scrollback.js';

/** The keys of the README's console key table, one entry per key ("Alt+1", "Ctrl-D"). */
function readmeKeys(): string[] {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('| key | does |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  return rows.flatMap((row) =>
    row
      .split('|')[1]!
      .split(',')
      .map((key) => key.trim()),
  );
}

test('F1 lists every key the README key table names', () => {
  const listed = KEY_BINDINGS.flatMap((binding) => binding.keys.split(' '));
  const keys = readmeKeys();
  assert.ok(keys.length > 20, `read the README key table: ${keys.join(' ')}`);
  for (const key of keys) assert.ok(listed.includes(key), `F1 lists ${key}`);
});

test('the F1 list keeps at least two spaces between the keys and what they do, in one column', () => {
  const lines = keyBindingLines();
  const column = lines[0]!.text.indexOf('list these keys');
  let line = 0;
  for (const binding of KEY_BINDINGS) {
    let text = lines[line++]!.text;
    // keys too long for the column stand alone, their description on the next row
    if (text === binding.keys) text = lines[line++]!.text;
    else assert.equal(text.slice(0, column).trimEnd(), binding.keys, text);
    assert.ok(text.slice(0, column).endsWith('  '), text);
    assert.equal(text.slice(column), binding.action);
  }
  assert.equal(line, lines.length);
  assert.ok(lines.every((each) => each.indent === column));
});

test('at any width a wrapped description continues under the descriptions, not at column 0', () => {
  const scrollback = new Scrollback();
  scrollback.append(keyBindingLines());
  const column = keyBindingLines()[0]!.indent;
  for (const width of [60, 80, 100, 120]) {
    const rows = scrollback.getState().rows.flatMap((row) => {
      assert.equal(row.kind, 'text');
      return row.kind === 'text' ? wrapHanging(row.text, width, row.indent ?? 0) : [];
    });
    for (const row of rows) {
      assert.ok(row.length <= width, `${width}: ${row}`);
      // a row is a key at column 0, or text from the description column
      if (!/^(F\d|Alt|PgUp|Up|Tab|Ctrl)/.test(row))
        assert.match(row, new RegExp(`^ {${column}}\\S`), `${width}: ${row}`);
    }
    const f6 = rows.findIndex((row) => row.startsWith('F6'));
    assert.ok(rows[f6]!.includes('next sort key'), rows[f6]);
  }
});
