import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {after, test} from 'node:test';
import {FileError} from '../../../src/net/files/errors.js';
import {MAX_NAME_BYTES, resolveInside, safeFileName} from '../../../src/net/files/names.js';

function assertRefused(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof FileError, `expected a FileError, got ${String(error)}`);
    assert.equal(error.code, 'EINVAL', error.message);
    assert.match(error.message, message);
    return true;
  });
}

// [what, name from the network, the safe name]
const SANITISED: [string, string, string][] = [
  ['an ordinary name is kept', 'report.pdf', 'report.pdf'],
  ['a name with spaces inside is kept', 'my notes v2.txt', 'my notes v2.txt'],
  ['a relative path becomes one component', '../../etc/passwd', '_.._etc_passwd'],
  ['an absolute path becomes one component', '/etc/passwd', '_etc_passwd'],
  ['backslashes are separators too', '..\\x', '_x'],
  ['a Windows path becomes one component', 'C:\\Windows\\system32', 'C:_Windows_system32'],
  ['a slash inside a name is replaced', 'a/b', 'a_b'],
  ['a leading dot is dropped: no hidden files, no dotfiles', '.bashrc', 'bashrc'],
  ['every leading dot and space is dropped', ' ..hidden', 'hidden'],
  ['trailing dots and spaces are dropped', 'name. . ', 'name'],
  ['spaces at both ends are dropped', '  spaced  ', 'spaced'],
  ['a newline is replaced', 'line\nbreak', 'line_break'],
  ['a terminal escape is defused', '\u001b[2Jclear', '_[2Jclear'],
  ['tab, DEL and a C1 control are replaced', 'a\tb\u007fc\u009bd', 'a_b_c_d'],
  ['a right-to-left override cannot disguise the extension', 'evil\u202egnp.exe', 'evil_gnp.exe'],
  ['a decomposed (NFD) name is composed (NFC)', 'e\u0301te\u0301.txt', '\u00e9t\u00e9.txt'],
  ['an emoji is kept', '\u{1f4c4} notes.txt', '\u{1f4c4} notes.txt'],
  ['CJK is kept', '\u8d44\u6599.zip', '\u8d44\u6599.zip'],
  ['a lone surrogate becomes U+FFFD', 'a\ud800b', 'a\ufffdb'],
  ['a Windows device name gets a leading _', 'CON', '_CON'],
  ['a device name with an extension too', 'con.txt', '_con.txt'],
  ['LPT1 too', 'LPT1', '_LPT1'],
  ['a name that only starts like a device is kept', 'console.txt', 'console.txt'],
  ['COM10 is not a device', 'COM10', 'COM10'],
  ['255 bytes is allowed', 'a'.repeat(255), 'a'.repeat(255)],
  ['254 bytes of two-byte characters is allowed', '\u00e9'.repeat(127), '\u00e9'.repeat(127)],
  [
    'a long name shortened by its leading dots is measured after',
    '.'.repeat(100) + 'a'.repeat(255),
    'a'.repeat(255),
  ],
];

for (const [what, name, expected] of SANITISED) {
  test(`safeFileName: ${what}`, () => {
    const safe = safeFileName(name);
    assert.equal(safe, expected);
    assert.equal(safeFileName(safe), safe, 'a safe name is a fixed point');
    assert.ok(Buffer.byteLength(safe) <= MAX_NAME_BYTES);
    assert.doesNotMatch(safe, /[/\\\0]/);
    assert.notEqual(safe[0], '.');
  });
}

// [what, name, the message must mention]
const REFUSED: [string, string, RegExp][] = [
  ['the empty name', '', /empty/],
  ['.', '.', /"\." names a directory/],
  ['..', '..', /"\.\." names a directory/],
  ['... (nothing left once the dots go)', '...', /"\.\.\." has nothing left/],
  ['dots and spaces only', ' .. ', /nothing left/],
  ['a NUL byte', 'a\0b', /"a\\u0000b" contains a NUL byte/],
  ['a NUL byte after a safe-looking name', 'ok.txt\0.exe', /NUL/],
  ['256 bytes', 'a'.repeat(256), /is 256 bytes of UTF-8; the limit is 255/],
  ['a 300-character name', 'x'.repeat(300), /is 300 bytes of UTF-8; the limit is 255/],
  ['256 bytes of two-byte characters', '\u00e9'.repeat(128), /is 256 bytes of UTF-8/],
  ['64 emoji (256 bytes)', '\u{1f4c4}'.repeat(64), /is 256 bytes of UTF-8/],
];

for (const [what, name, message] of REFUSED) {
  test(`safeFileName refuses ${what}`, () => assertRefused(() => safeFileName(name), message));
}

test('safeFileName refuses a value that is not a string', () => {
  assertRefused(() => safeFileName(42 as unknown as string), /42 is not a string/);
  assertRefused(() => safeFileName(undefined as unknown as string), /missing is not a string/);
});

test('an error message shows a long name cut short', () => {
  assert.throws(
    () => safeFileName('x'.repeat(300)),
    (error: Error) => error.message.length < 150,
  );
});

const directory = mkdtempSync(join(tmpdir(), 'p2pos-names-'));
after(() => rmSync(directory, {recursive: true, force: true}));

test('resolveInside keeps every nasty name directly inside the directory', () => {
  for (const [, name, expected] of SANITISED) {
    const path = resolveInside(directory, name);
    assert.equal(dirname(path), directory, `${JSON.stringify(name)} -> ${path}`);
    assert.equal(path, join(directory, expected));
  }
});

test('resolveInside refuses what safeFileName refuses', () => {
  for (const [, name, message] of REFUSED) assertRefused(() => resolveInside(directory, name), message);
});

test('resolveInside resolves a relative directory against the working directory', () => {
  assert.equal(resolveInside('downloads/', '../x'), resolve('downloads', '_x'));
  assert.equal(resolveInside('.', '/etc/passwd'), resolve('_etc_passwd'));
});

test('resolveInside works at the root directory', () => {
  assert.equal(resolveInside('/', '../../etc/passwd'), '/_.._etc_passwd');
});

test('resolveInside normalises the directory it is given', () => {
  assert.equal(resolveInside(`${directory}/sub/..//`, 'a'), join(directory, 'a'));
});
