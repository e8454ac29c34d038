// Key decoding: every sequence form the console must name (xterm, VT220, SS3, the Linux console),
// modifiers, Alt as an ESC prefix, Ctrl letters, pasted text, and pastes split at line breaks.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
  createInputDecoder,
  decodeInput,
  decodeKey,
  type KeyName,
  type KeyPress,
} from '../../../src/shell/ui/keys.js';

const ESC = '\u001B';

/** A press with no modifiers unless `extra` sets them. */
function press(name: KeyName, extra: Partial<KeyPress> = {}): KeyPress {
  return {name, text: '', ctrl: false, meta: false, shift: false, ...extra};
}

/** Check a table of [sequence, expected press] rows, naming the bad row on failure. */
function expectKeys(rows: readonly [string, KeyPress][]): void {
  for (const [sequence, expected] of rows) {
    assert.deepEqual(decodeKey(sequence), expected, `decodeKey(${JSON.stringify(sequence)})`);
  }
}

test('Enter is return whether it arrives as CR, LF or CR LF', () => {
  expectKeys([
    ['\r', press('return')],
    ['\n', press('return')],
    ['\r\n', press('return')],
  ]);
});

test('Backspace is backspace whether the terminal sends DEL or BS', () => {
  expectKeys([
    ['\u007F', press('backspace')],
    ['\b', press('backspace')],
  ]);
});

test('Tab is tab and ESC [ Z is tab with shift', () => {
  expectKeys([
    ['\t', press('tab')],
    [`${ESC}[Z`, press('tab', {shift: true})],
  ]);
});

test('a lone ESC, or ESC twice, is escape', () => {
  expectKeys([
    [ESC, press('escape')],
    [ESC + ESC, press('escape')],
  ]);
});

test('arrows decode in both the CSI (ESC [) and SS3 (ESC O) forms', () => {
  expectKeys([
    [`${ESC}[A`, press('up')],
    [`${ESC}[B`, press('down')],
    [`${ESC}[C`, press('right')],
    [`${ESC}[D`, press('left')],
    [`${ESC}OA`, press('up')],
    [`${ESC}OB`, press('down')],
    [`${ESC}OC`, press('right')],
    [`${ESC}OD`, press('left')],
  ]);
});

test('xterm modifier parameters set shift, alt and ctrl on arrows', () => {
  expectKeys([
    [`${ESC}[1;2A`, press('up', {shift: true})],
    [`${ESC}[1;3D`, press('left', {meta: true})],
    [`${ESC}[1;5C`, press('right', {ctrl: true})],
    [`${ESC}[1;5D`, press('left', {ctrl: true})],
    [`${ESC}[1;6B`, press('down', {ctrl: true, shift: true})],
    [`${ESC}[1;7C`, press('right', {ctrl: true, meta: true})],
    [`${ESC}[1;8A`, press('up', {ctrl: true, meta: true, shift: true})],
  ]);
});

test('a modifier parameter of 1 means no modifiers', () => {
  expectKeys([[`${ESC}[1;1A`, press('up')]]);
});

test('Home and End decode in the CSI, SS3 and both VT220 tilde forms', () => {
  expectKeys([
    [`${ESC}[H`, press('home')],
    [`${ESC}OH`, press('home')],
    [`${ESC}[1~`, press('home')],
    [`${ESC}[7~`, press('home')],
    [`${ESC}[F`, press('end')],
    [`${ESC}OF`, press('end')],
    [`${ESC}[4~`, press('end')],
    [`${ESC}[8~`, press('end')],
  ]);
});

test('Home and End keep their modifiers', () => {
  expectKeys([
    [`${ESC}[1;5H`, press('home', {ctrl: true})],
    [`${ESC}[1;2F`, press('end', {shift: true})],
  ]);
});

test('PgUp, PgDn and Delete are VT220 tilde codes 5, 6 and 3', () => {
  expectKeys([
    [`${ESC}[5~`, press('pageup')],
    [`${ESC}[6~`, press('pagedown')],
    [`${ESC}[3~`, press('delete')],
    [`${ESC}[5;5~`, press('pageup', {ctrl: true})],
    [`${ESC}[3;3~`, press('delete', {meta: true})],
  ]);
});

test('F1 to F4 decode in the SS3, VT220 and Linux console forms', () => {
  expectKeys([
    [`${ESC}OP`, press('f1')],
    [`${ESC}OQ`, press('f2')],
    [`${ESC}OR`, press('f3')],
    [`${ESC}OS`, press('f4')],
    [`${ESC}[11~`, press('f1')],
    [`${ESC}[12~`, press('f2')],
    [`${ESC}[13~`, press('f3')],
    [`${ESC}[14~`, press('f4')],
    [`${ESC}[[A`, press('f1')],
    [`${ESC}[[B`, press('f2')],
    [`${ESC}[[C`, press('f3')],
    [`${ESC}[[D`, press('f4')],
  ]);
});

test('F5 is ESC [ [ E on the Linux console', () => {
  expectKeys([[`${ESC}[[E`, press('f5')]]);
});

test('F5 to F12 are VT220 tilde codes 15 to 24, skipping 16 and 22', () => {
  expectKeys([
    [`${ESC}[15~`, press('f5')],
    [`${ESC}[17~`, press('f6')],
    [`${ESC}[18~`, press('f7')],
    [`${ESC}[19~`, press('f8')],
    [`${ESC}[20~`, press('f9')],
    [`${ESC}[21~`, press('f10')],
    [`${ESC}[23~`, press('f11')],
    [`${ESC}[24~`, press('f12')],
  ]);
});

test('modified F-keys keep their name and carry the modifier', () => {
  expectKeys([
    [`${ESC}[15;2~`, press('f5', {shift: true})],
    [`${ESC}[24;5~`, press('f12', {ctrl: true})],
    [`${ESC}[17;3~`, press('f6', {meta: true})],
    [`${ESC}[1;2P`, press('f1', {shift: true})],
    [`${ESC}[1;5S`, press('f4', {ctrl: true})],
  ]);
});

test('Alt+digit arrives as ESC then the digit: text with meta set', () => {
  for (const digit of ['0', '1', '2', '3', '9']) {
    assert.deepEqual(decodeKey(ESC + digit), press('text', {text: digit, meta: true}), `Alt+${digit}`);
  }
});

test('Alt+letter is the letter with meta set, and Alt keeps its case', () => {
  expectKeys([
    [`${ESC}b`, press('text', {text: 'b', meta: true})],
    [`${ESC}f`, press('text', {text: 'f', meta: true})],
    [`${ESC}B`, press('text', {text: 'B', meta: true})],
  ]);
});

test('Alt+Backspace and Alt+Enter are the plain keys with meta set', () => {
  expectKeys([
    [`${ESC}\u007F`, press('backspace', {meta: true})],
    [`${ESC}\b`, press('backspace', {meta: true})],
    [`${ESC}\r`, press('return', {meta: true})],
  ]);
});

test('ESC before an arrow sequence (macOS Alt+arrow) is the arrow with meta set', () => {
  expectKeys([
    [`${ESC}${ESC}[D`, press('left', {meta: true})],
    [`${ESC}${ESC}[C`, press('right', {meta: true})],
  ]);
});

test('Ctrl+letter arrives as codes 1 to 26 and is named ctrl-letter', () => {
  expectKeys([
    ['\u0001', press('ctrl-a', {ctrl: true})],
    ['\u0003', press('ctrl-c', {ctrl: true})],
    ['\u0004', press('ctrl-d', {ctrl: true})],
    ['\u0005', press('ctrl-e', {ctrl: true})],
    ['\u000B', press('ctrl-k', {ctrl: true})],
    ['\u000C', press('ctrl-l', {ctrl: true})],
    ['\u0015', press('ctrl-u', {ctrl: true})],
    ['\u0017', press('ctrl-w', {ctrl: true})],
    ['\u001A', press('ctrl-z', {ctrl: true})],
  ]);
});

test('Ctrl+Alt+letter is the ctrl name with meta set', () => {
  expectKeys([[`${ESC}\u0003`, press('ctrl-c', {ctrl: true, meta: true})]]);
});

test('other control characters on their own are unknown', () => {
  for (const sequence of ['\u0000', '\u001C', '\u001D', '\u001E', '\u001F']) {
    assert.deepEqual(decodeKey(sequence), press('unknown'), JSON.stringify(sequence));
  }
});

test('a typed character is text', () => {
  expectKeys([
    ['a', press('text', {text: 'a'})],
    [' ', press('text', {text: ' '})],
    ['[', press('text', {text: '['})],
    ['é', press('text', {text: 'é'})],
  ]);
});

test('pasted text stays one text press', () => {
  expectKeys([
    ['spawn editor --burst 5', press('text', {text: 'spawn editor --burst 5'})],
    ['héllo wörld', press('text', {text: 'héllo wörld'})],
  ]);
});

test('stray control characters in a paste are dropped', () => {
  expectKeys([
    ['ab\u0007c', press('text', {text: 'abc'})],
    ['\u0001abc', press('text', {text: 'abc'})],
    ['ps\u0000', press('text', {text: 'ps'})],
  ]);
});

test('a paste made only of control characters is unknown', () => {
  expectKeys([['\u0000\u0007', press('unknown')]]);
});

test('sequences no terminal key sends are unknown', () => {
  expectKeys([
    [`${ESC}[2~`, press('unknown')], // Insert: not a key the console uses
    [`${ESC}[99~`, press('unknown')],
    [`${ESC}[200~`, press('unknown')], // bracketed-paste start
    [`${ESC}[M`, press('unknown')],
    [`${ESC}[1;5X`, press('unknown')],
    [`${ESC}[[Z`, press('unknown')],
  ]);
});

test('decodeInput splits a paste at carriage returns into text and return presses', () => {
  assert.deepEqual(decodeInput('ps\rsched\r'), [
    press('text', {text: 'ps'}),
    press('return'),
    press('text', {text: 'sched'}),
    press('return'),
  ]);
});

test('decodeInput splits at LF and CR LF too, and keeps a last line with no newline', () => {
  assert.deepEqual(decodeInput('ps\r\nsched\nmem'), [
    press('text', {text: 'ps'}),
    press('return'),
    press('text', {text: 'sched'}),
    press('return'),
    press('text', {text: 'mem'}),
  ]);
});

test('decodeInput gives one return per empty line', () => {
  assert.deepEqual(decodeInput('ps\r\rmem\r'), [
    press('text', {text: 'ps'}),
    press('return'),
    press('return'),
    press('text', {text: 'mem'}),
    press('return'),
  ]);
  assert.deepEqual(decodeInput('\r\r'), [press('return'), press('return')]);
});

test('decodeInput passes single keys and escape sequences through decodeKey', () => {
  for (const sequence of ['\r', '\n', '\r\n', 'a', 'ps', `${ESC}[A`, `${ESC}\r`, '\u0003', `${ESC}[15;2~`]) {
    assert.deepEqual(decodeInput(sequence), [decodeKey(sequence)], JSON.stringify(sequence));
  }
});

test('a tab inside pasted text becomes a space, so the words stay apart', () => {
  assert.deepEqual(decodeKey('spawn\teditor'), {
    name: 'text',
    text: 'spawn editor',
    ctrl: false,
    meta: false,
    shift: false,
  });
});

test('decodeInput names each control key of a chunk read at once, and the text between them', () => {
  // A busy console reads Ctrl-U then Ctrl-D in one chunk: both must act (it used to drop both).
  assert.deepEqual(decodeInput('\u0015\u0004'), [
    press('ctrl-u', {ctrl: true}),
    press('ctrl-d', {ctrl: true}),
  ]);
  assert.deepEqual(decodeInput('ps\u0003'), [press('text', {text: 'ps'}), press('ctrl-c', {ctrl: true})]);
  assert.deepEqual(decodeInput('ab\u007Fc'), [
    press('text', {text: 'ab'}),
    press('backspace'),
    press('text', {text: 'c'}),
  ]);
  // a tab inside text is a pasted separator: a space, as decodeKey makes it
  assert.deepEqual(decodeInput('a\tb\r'), [press('text', {text: 'a b'}), press('return')]);
});

test('decodeInput reads a tab that does not sit between two words as the Tab key', () => {
  // Tab pressed twice, read in one chunk, completes and then lists: it used to insert two spaces.
  assert.deepEqual(decodeInput('\t\t'), [press('tab'), press('tab')]);
  assert.deepEqual(decodeInput('spa\t'), [press('text', {text: 'spa'}), press('tab')]);
  assert.deepEqual(decodeInput('\tx'), [press('tab'), press('text', {text: 'x'})]);
  assert.deepEqual(decodeInput('kill \t\r'), [press('text', {text: 'kill '}), press('tab'), press('return')]);
  // tabs between two words, however many, stay a pasted separator
  assert.deepEqual(decodeInput('a\t\tb'), [press('text', {text: 'a  b'})]);
});

test('a bracketed paste is text and returns only: its tabs are spaces, its control keys dropped', () => {
  const decode = createInputDecoder();
  // Ink hands the marks and the text between them over as separate events
  const events = [`${ESC}[200~`, '\tps\tmem\u0004\rsched', `${ESC}[A`, `${ESC}[201~`];
  assert.deepEqual(
    events.flatMap((event) => decode(event)),
    [press('text', {text: ' ps mem'}), press('return'), press('text', {text: 'sched'})],
  );
});

test('once the terminal marks its pastes, every unmarked tab is the Tab key', () => {
  const decode = createInputDecoder();
  // before any mark, a tab between letters read at once is taken as a paste's separator
  assert.deepEqual(decode('spaw\tx'), [press('text', {text: 'spaw x'})]);
  decode(`${ESC}[200~`);
  decode(`${ESC}[201~`);
  assert.deepEqual(decode('spaw\tx'), [
    press('text', {text: 'spaw'}),
    press('tab'),
    press('text', {text: 'x'}),
  ]);
  assert.deepEqual(decode(`${ESC}[A`), [press('up')], 'keys outside a paste are keys');
});
