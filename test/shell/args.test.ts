// parseArgs and the value checks every command shares: what is a flag, what is a positional, and
// errors (ShellError EUSAGE) that name the bad word and what is allowed.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
  expectPositionals,
  flagInteger,
  flagText,
  parseArgs,
  toAddress,
  toChoice,
  toInteger,
  toSize,
  type FlagSpecs,
} from '../../src/shell/args.js';
import {ShellError} from '../../src/shell/errors.js';

const SPECS: FlagSpecs = {
  burst: {kind: 'value', alias: 'b'},
  priority: {kind: 'value'},
  all: {kind: 'boolean', alias: 'a'},
};

/** Assert `run` throws ShellError EUSAGE whose message contains every fragment. */
function assertUsageError(run: () => unknown, ...fragments: string[]): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ShellError, `expected a ShellError, got ${String(error)}`);
    assert.equal(error.code, 'EUSAGE');
    for (const fragment of fragments)
      assert.ok(error.message.includes(fragment), `\`${error.message}\` lacks \`${fragment}\``);
    return true;
  });
}

function parse(line: string, specs: FlagSpecs = SPECS) {
  const {positionals, flags} = parseArgs(line === '' ? [] : line.split(' '), specs);
  return {positionals, flags: Object.fromEntries(flags)};
}

const cases: {name: string; line: string; positionals: string[]; flags: Record<string, string | true>}[] = [
  {name: 'no words give nothing', line: '', positionals: [], flags: {}},
  {name: 'a long flag takes the next word', line: 'a --burst 5', positionals: ['a'], flags: {burst: '5'}},
  {
    name: '--flag=value takes the value after the equals sign',
    line: '--burst=5 a',
    positionals: ['a'],
    flags: {burst: '5'},
  },
  {
    name: '--flag=value keeps later equals signs',
    line: '--priority=a=b',
    positionals: [],
    flags: {priority: 'a=b'},
  },
  {name: '--flag= gives an empty value', line: '--burst=', positionals: [], flags: {burst: ''}},
  {name: 'a one-letter alias stands for its flag', line: '-b 7 x', positionals: ['x'], flags: {burst: '7'}},
  {name: 'a boolean flag takes no value', line: '--all x', positionals: ['x'], flags: {all: true}},
  {name: 'a boolean alias takes no value', line: '-a x', positionals: ['x'], flags: {all: true}},
  {
    name: 'positionals keep their order around flags',
    line: 'x --all y -b 1 z',
    positionals: ['x', 'y', 'z'],
    flags: {all: true, burst: '1'},
  },
  {name: '-- ends the flags', line: 'x -- --all -b 5', positionals: ['x', '--all', '-b', '5'], flags: {}},
  {
    name: 'a negative number is a positional',
    line: '-5 --burst 2 -12',
    positionals: ['-5', '-12'],
    flags: {burst: '2'},
  },
  {name: 'a lone dash is a positional', line: '-', positionals: ['-'], flags: {}},
  {
    name: 'a value may itself start with a dash',
    line: '--priority -3',
    positionals: [],
    flags: {priority: '-3'},
  },
];

for (const {name, line, positionals, flags} of cases) {
  test(`${name}: \`${line}\``, () => {
    assert.deepEqual(parse(line), {positionals, flags});
  });
}

test('an unknown long option is an error that names it and lists the options', () => {
  assertUsageError(() => parse('--bust 5'), 'Unknown option `--bust`', '--burst, --priority, --all');
});

test('an unknown alias is an error that names it and lists the options', () => {
  assertUsageError(() => parse('-z'), 'Unknown option `-z`', '--burst, --priority, --all');
});

test('an unknown option of a command without options says only that it is unknown', () => {
  assert.throws(
    () => parse('--all', {}),
    (error: unknown) => error instanceof ShellError && error.message === 'Unknown option `--all`.',
  );
});

test('an unknown option with a value names the whole word', () => {
  assertUsageError(() => parse('--nope=3'), 'Unknown option `--nope=3`');
});

test('a value flag at the end of the words is missing its value', () => {
  assertUsageError(() => parse('a --burst'), 'Option --burst needs a value.');
  assertUsageError(() => parse('-b'), 'Option --burst needs a value.');
});

test('a boolean flag given a value is an error', () => {
  assertUsageError(() => parse('--all=yes'), 'Option --all takes no value.');
});

test('a flag given twice is an error, also through its alias', () => {
  assertUsageError(() => parse('--burst 1 --burst 2'), 'Option --burst given twice.');
  assertUsageError(() => parse('-b 1 --burst=2'), 'Option --burst given twice.');
  assertUsageError(() => parse('--all -a'), 'Option --all given twice.');
});

test('an option named after an Object.prototype property is unknown', () => {
  for (const word of ['--constructor', '--toString', '--__proto__', '--hasOwnProperty']) {
    assertUsageError(() => parse(`${word} 1`), `Unknown option \`${word}\``);
  }
});

test('expectPositionals checks the count and names the extra words', () => {
  const args = parseArgs(['a', 'b', 'c']);
  assert.doesNotThrow(() => expectPositionals(args, 1, 3));
  assertUsageError(() => expectPositionals(args, 4), 'Missing argument.');
  assertUsageError(() => expectPositionals(args, 5), 'Missing arguments.');
  assertUsageError(() => expectPositionals(args, 0, 1), 'Too many arguments: `b c`.');
});

test('toInteger accepts whole numbers in range', () => {
  assert.equal(toInteger('0', 'burst'), 0);
  assert.equal(toInteger('42', 'burst', 1, 100), 42);
  assert.equal(toInteger('100', 'burst', 1, 100), 100);
});

for (const bad of ['x', '', '-1', '1.5', '1e3', ' 4', '0x10', '101', '0']) {
  test(`toInteger rejects \`${bad}\` and names it with the allowed range`, () => {
    assertUsageError(() => toInteger(bad, 'burst', 1, 100), `Bad burst \`${bad}\``, 'from 1 to 100');
  });
}

test('toSize accepts units and K, M, G suffixes in either case', () => {
  assert.equal(toSize('64', 'size'), 64);
  assert.equal(toSize('4K', 'size'), 4096);
  assert.equal(toSize('1m', 'size'), 1024 * 1024);
  assert.equal(toSize('2G', 'size'), 2 * 1024 ** 3);
});

for (const bad of ['0', '0K', 'x', '12Q', '-4', '1.5K', 'K', '']) {
  test(`toSize rejects \`${bad}\` and names it`, () => {
    assertUsageError(() => toSize(bad, '--mem'), `Bad --mem \`${bad}\``, 'positive size');
  });
}

test('toAddress accepts decimal and 0x hex', () => {
  assert.equal(toAddress('0'), 0);
  assert.equal(toAddress('4096'), 4096);
  assert.equal(toAddress('0x1000'), 4096);
  assert.equal(toAddress('0XfF'), 255);
});

for (const bad of ['0x', '0xg1', 'abc', '-1', '1.5', '#10']) {
  test(`toAddress rejects \`${bad}\` and names it`, () => {
    assertUsageError(() => toAddress(bad), `Bad address \`${bad}\``, 'decimal or 0x hex');
  });
}

test('toChoice returns a listed word and rejects any other, listing the choices', () => {
  const fits = ['first', 'best', 'worst', 'next'] as const;
  assert.equal(toChoice('best', 'fit policy', fits), 'best');
  assertUsageError(
    () => toChoice('worstest', 'fit policy', fits),
    'Unknown fit policy `worstest`',
    'first, best, worst, next',
  );
  assertUsageError(() => toChoice('Best', 'fit policy', fits), 'Unknown fit policy `Best`');
});

test('flagText and flagInteger read value flags and name the flag in errors', () => {
  const args = parseArgs(['--burst', '12', '--priority', 'high', '--all'], SPECS);
  assert.equal(flagText(args, 'burst'), '12');
  assert.equal(flagText(args, 'all'), undefined, 'a boolean flag has no text');
  assert.equal(flagText(args, 'missing'), undefined);
  assert.equal(flagInteger(args, 'burst', 1, 100), 12);
  assert.equal(flagInteger(args, 'missing'), undefined);
  assertUsageError(() => flagInteger(args, 'priority'), 'Bad --priority `high`');
});
