// The console's key list: F1 prints every key the README's key table names, in aligned columns.

import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';
import {KEY_BINDINGS, keyBindingLines} from '../../../src/shell/ui/key-bindings.js';

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

test('the F1 list keeps at least two spaces between the keys and what they do', () => {
  const lines = keyBindingLines();
  const column = lines[0]!.indexOf('list these keys');
  for (const [i, line] of lines.entries()) {
    assert.equal(line.slice(0, column).trimEnd(), KEY_BINDINGS[i]!.keys, line);
    assert.ok(line.slice(0, column).endsWith('  '), line);
  }
});
