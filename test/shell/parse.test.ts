// parseLine: one script line -> its commands. Each row is a line as a user types it and the
// words (and text) the shell must see. To add a case, add a row.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {ShellError} from '../../src/shell/errors.js';
import {parseLine, stripByteOrderMark} from '../../src/shell/parse.js';

const wordCases: {name: string; line: string; words: string[][]}[] = [
  {
    name: 'spaces and tabs separate words',
    line: 'spawn  a\t--burst 5',
    words: [['spawn', 'a', '--burst', '5']],
  },
  {name: 'a semicolon separates commands', line: 'spawn a; ps', words: [['spawn', 'a'], ['ps']]},
  {
    name: 'a semicolon needs no spaces around it',
    line: 'tick 1;ps;mem',
    words: [['tick', '1'], ['ps'], ['mem']],
  },
  {name: 'empty commands between semicolons are dropped', line: ';; ps ;  ; mem;', words: [['ps'], ['mem']]},
  {name: 'a hash at the start of a word begins a comment', line: 'ps # list them; mem', words: [['ps']]},
  {name: 'a hash inside a word is kept', line: 'echo a#b', words: [['echo', 'a#b']]},
  {name: 'a hash after a closing quote is part of the word', line: 'echo "a"#b', words: [['echo', 'a#b']]},
  {name: 'a hash right after a semicolon begins a comment', line: 'ps;# mem', words: [['ps']]},
  {name: 'a quoted hash is text', line: 'echo "#" \'#\'', words: [['echo', '#', '#']]},
  {name: 'an escaped hash is text', line: 'echo \\#x', words: [['echo', '#x']]},
  {
    name: 'single quotes keep spaces and semicolons',
    line: "spawn a --prog 'cpu 3, io 2; x'",
    words: [['spawn', 'a', '--prog', 'cpu 3, io 2; x']],
  },
  {name: 'double quotes keep spaces', line: 'echo "x  y"', words: [['echo', 'x  y']]},
  {
    name: 'a backslash escapes inside double quotes',
    line: 'echo "say \\"hi\\" \\\\ ok"',
    words: [['echo', 'say "hi" \\ ok']],
  },
  {name: 'a backslash is literal inside single quotes', line: "echo 'a\\b'", words: [['echo', 'a\\b']]},
  {name: 'a backslash escapes a space outside quotes', line: 'echo a\\ b c', words: [['echo', 'a b', 'c']]},
  {name: 'a backslash escapes a semicolon outside quotes', line: 'echo a\\;b', words: [['echo', 'a;b']]},
  {name: 'a trailing backslash stays literal', line: 'echo a\\', words: [['echo', 'a\\']]},
  {
    name: 'quoted parts join the word around them',
    line: 'echo pre"mid dle"\'post\'',
    words: [['echo', 'premid dlepost']],
  },
  {name: 'empty quotes make an empty word', line: 'echo "" \'\'', words: [['echo', '', '']]},
  {name: 'an empty line has no commands', line: '', words: []},
  {name: 'a blank line has no commands', line: ' \t ', words: []},
  {name: 'a comment line has no commands', line: '# set up the lab', words: []},
  {name: 'an indented comment line has no commands', line: '   # note', words: []},
];

for (const {name, line, words} of wordCases) {
  test(`${name}: \`${line}\``, () => {
    assert.deepEqual(
      parseLine(line).map((command) => command.words),
      words,
    );
  });
}

test('the text of each command is trimmed and leaves out the separator and the comment', () => {
  assert.deepEqual(
    parseLine('  spawn a --burst 5 ;ps   # list').map((command) => command.text),
    ['spawn a --burst 5', 'ps'],
  );
});

test('the text of a command keeps its quotes and escapes as written', () => {
  assert.deepEqual(
    parseLine(`echo 'a;b' "c d" e\\;f`).map((command) => command.text),
    [`echo 'a;b' "c d" e\\;f`],
  );
});

test('every command carries the line number it was given, or 1 by default', () => {
  assert.deepEqual(parseLine('ps; mem', 7), [
    {line: 7, text: 'ps', words: ['ps']},
    {line: 7, text: 'mem', words: ['mem']},
  ]);
  assert.equal(parseLine('ps')[0]?.line, 1);
});

for (const [line, kind] of [
  ['echo "abc', 'double'],
  ["echo 'abc", 'single'],
  ['echo ok; echo "late', 'double'],
  ['echo "it\'s', 'double'],
  ['echo "a\\"', 'double'],
] as const) {
  test(`an unterminated ${kind} quote throws ShellError EPARSE: \`${line}\``, () => {
    assert.throws(
      () => parseLine(line),
      (error: unknown) => {
        assert.ok(error instanceof ShellError);
        assert.equal(error.code, 'EPARSE');
        assert.match(error.message, new RegExp(`Unterminated ${kind} quote`));
        return true;
      },
    );
  });
}

test('a quote character inside the other kind of quote is text', () => {
  assert.deepEqual(parseLine(`echo "it's" 'say "hi"'`)[0]?.words, ['echo', "it's", 'say "hi"']);
});

test('stripByteOrderMark drops a leading UTF-8 byte-order mark and nothing else', () => {
  assert.equal(stripByteOrderMark('\uFEFFspawn a'), 'spawn a');
  assert.equal(stripByteOrderMark('spawn a'), 'spawn a');
  assert.equal(stripByteOrderMark('echo \uFEFF'), 'echo \uFEFF');
  assert.equal(stripByteOrderMark(''), '');
});
