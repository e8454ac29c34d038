// Line editing over {text, cursor}: insertion, deletion at the edges, cursor motion, readline's
// kill and word keys, keys that are not edits, and history recall that keeps the draft.
// Lines are written with a `|` where the cursor is: 'spawn ed|itor'.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {KeyName, KeyPress} from '../../../src/shell/ui/keys.js';
import {
  EMPTY_LINE,
  editLine,
  editSecret,
  recall,
  type LineState,
  promptWindow,
  type RecallState,
} from '../../../src/shell/ui/line-editor.js';

/** A line from text with one `|` marking the cursor. */
function at(marked: string): LineState {
  const cursor = marked.indexOf('|');
  assert.ok(cursor >= 0 && marked.indexOf('|', cursor + 1) < 0, `one | in ${marked}`);
  return {text: marked.slice(0, cursor) + marked.slice(cursor + 1), cursor};
}

/** The line with a `|` at the cursor, for readable assertions. */
function show(line: LineState | undefined): string | undefined {
  return line && line.text.slice(0, line.cursor) + '|' + line.text.slice(line.cursor);
}

function key(name: KeyName, extra: Partial<KeyPress> = {}): KeyPress {
  return {name, text: '', ctrl: false, meta: false, shift: false, ...extra};
}

const typed = (text: string) => key('text', {text});
const alt = (letter: string) => key('text', {text: letter, meta: true});
const ctrl = (letter: string) => key(`ctrl-${letter}`, {ctrl: true});

/** Apply keys in turn, each of which must be an edit; returns the marked line. */
function edit(marked: string, ...keys: KeyPress[]): string {
  let line = at(marked);
  for (const press of keys) {
    const next = editLine(line, press);
    assert.ok(next, `${press.name} is an edit`);
    line = next;
  }
  return show(line)!;
}

// --- inserting ---------------------------------------------------------------------------------

test('typing inserts at the cursor and moves the cursor past the text', () => {
  assert.equal(edit('|', typed('p'), typed('s')), 'ps|');
  assert.equal(edit('ab|cd', typed('X')), 'abX|cd');
  assert.equal(edit('|cd', typed('ab')), 'ab|cd');
});

test('a paste inserts all its text at once', () => {
  assert.equal(edit('spawn | --burst 5', typed('editor')), 'spawn editor| --burst 5');
});

test('the empty line is empty with the cursor at 0', () => {
  assert.deepEqual(EMPTY_LINE, {text: '', cursor: 0});
  assert.equal(edit('|', typed('ps')), show(editLine(EMPTY_LINE, typed('ps'))));
});

// --- deleting ----------------------------------------------------------------------------------

test('backspace deletes the character before the cursor', () => {
  assert.equal(edit('psx|', key('backspace')), 'ps|');
  assert.equal(edit('p|xs', key('backspace')), '|xs');
});

test('backspace at the start of the line changes nothing', () => {
  assert.equal(edit('|ps', key('backspace')), '|ps');
  assert.equal(edit('|', key('backspace')), '|');
});

test('Ctrl-H deletes backwards like backspace', () => {
  assert.equal(edit('ps|x', ctrl('h')), 'p|x');
  assert.equal(edit('|ps', ctrl('h')), '|ps');
});

test('delete removes the character under the cursor and leaves the cursor in place', () => {
  assert.equal(edit('p|xs', key('delete')), 'p|s');
  assert.equal(edit('|ps', key('delete')), '|s');
});

test('delete at the end of the line changes nothing', () => {
  assert.equal(edit('ps|', key('delete')), 'ps|');
  assert.equal(edit('|', key('delete')), '|');
});

// --- moving ------------------------------------------------------------------------------------

test('an emoji or an accented letter is one character to move over and delete', () => {
  // an emoji is two UTF-16 units: Left used to stop between them, and typing there broke it in two
  assert.equal(edit('echo 😀😀|', key('left'), typed('x')), 'echo 😀x|😀');
  assert.equal(edit('echo 😀|😀', key('right')), 'echo 😀😀|');
  assert.equal(edit('a😀|', key('backspace')), 'a|');
  assert.equal(edit('a😀|', ctrl('h')), 'a|');
  assert.equal(edit('a|😀b', key('delete')), 'a|b');
  assert.equal(edit('😀|', ctrl('b'), ctrl('f')), '😀|');
  assert.equal(edit('e\u0301|', key('backspace')), '|'); // e and a combining acute accent
  assert.equal(edit('编辑|器', key('left'), key('delete')), '编|器');
});

test('left and right move one character and stop at the ends', () => {
  assert.equal(edit('ps|', key('left')), 'p|s');
  assert.equal(edit('p|s', key('right')), 'ps|');
  assert.equal(edit('|ps', key('left')), '|ps');
  assert.equal(edit('ps|', key('right')), 'ps|');
  assert.equal(edit('|', key('left'), key('right')), '|');
});

test('Ctrl-B and Ctrl-F move like left and right, with the same bounds', () => {
  assert.equal(edit('ps|', ctrl('b')), 'p|s');
  assert.equal(edit('|ps', ctrl('b')), '|ps');
  assert.equal(edit('p|s', ctrl('f')), 'ps|');
  assert.equal(edit('ps|', ctrl('f')), 'ps|');
});

test('shift alone does not turn an arrow into a word motion', () => {
  assert.equal(edit('spawn editor|', key('left', {shift: true})), 'spawn edito|r');
});

test('Home and Ctrl-A go to the start; End and Ctrl-E go to the end', () => {
  assert.equal(edit('spawn ed|itor', key('home')), '|spawn editor');
  assert.equal(edit('spawn ed|itor', ctrl('a')), '|spawn editor');
  assert.equal(edit('spawn ed|itor', key('end')), 'spawn editor|');
  assert.equal(edit('spawn ed|itor', ctrl('e')), 'spawn editor|');
  assert.equal(edit('|', key('home'), key('end')), '|');
});

// --- killing -----------------------------------------------------------------------------------

test('Ctrl-U cuts from the start of the line to the cursor', () => {
  assert.equal(edit('spawn ed|itor', ctrl('u')), '|itor');
  assert.equal(edit('spawn editor|', ctrl('u')), '|');
  assert.equal(edit('|spawn', ctrl('u')), '|spawn');
});

test('Ctrl-K cuts from the cursor to the end of the line', () => {
  assert.equal(edit('spawn ed|itor', ctrl('k')), 'spawn ed|');
  assert.equal(edit('|spawn', ctrl('k')), '|');
  assert.equal(edit('spawn|', ctrl('k')), 'spawn|');
});

test('Ctrl-W cuts the word before the cursor and the spaces after it', () => {
  assert.equal(edit('spawn editor|', ctrl('w')), 'spawn |');
  assert.equal(edit('spawn editor  |', ctrl('w')), 'spawn |');
  assert.equal(edit('spawn edi|tor', ctrl('w')), 'spawn |tor');
  assert.equal(edit('spawn editor|', ctrl('w'), ctrl('w')), '|');
  assert.equal(edit('|spawn', ctrl('w')), '|spawn');
});

test('Alt-Backspace cuts the word before the cursor, as Ctrl-W does', () => {
  assert.equal(edit('spawn editor|', key('backspace', {meta: true})), 'spawn |');
  assert.equal(edit('spawn edi|tor', key('backspace', {meta: true})), 'spawn |tor');
  assert.equal(edit('|spawn', key('backspace', {meta: true})), '|spawn');
});

// --- words -------------------------------------------------------------------------------------

test('Alt-B moves to the start of the word before the cursor, skipping spaces first', () => {
  assert.equal(edit('spawn editor --burst 5|', alt('b')), 'spawn editor --burst |5');
  assert.equal(edit('spawn editor --burst 5|', alt('b'), alt('b')), 'spawn editor |--burst 5');
  assert.equal(edit('spawn edi|tor', alt('b')), 'spawn |editor');
  assert.equal(edit('spawn   |editor', alt('b')), '|spawn   editor');
  assert.equal(edit('|spawn', alt('b')), '|spawn');
});

test('Alt-F moves to the end of the word after the cursor, skipping spaces first', () => {
  assert.equal(edit('sp|awn editor', alt('f')), 'spawn| editor');
  assert.equal(edit('sp|awn editor', alt('f'), alt('f')), 'spawn editor|');
  assert.equal(edit('spawn|   editor', alt('f')), 'spawn   editor|');
  assert.equal(edit('spawn|', alt('f')), 'spawn|');
});

test('Alt-D cuts to the end of the word after the cursor and keeps the cursor', () => {
  assert.equal(edit('spawn |editor --burst', alt('d')), 'spawn | --burst');
  assert.equal(edit('spawn| editor x', alt('d')), 'spawn| x');
  assert.equal(edit('spawn ed|itor', alt('d')), 'spawn ed|');
  assert.equal(edit('spawn|', alt('d')), 'spawn|');
});

test('Ctrl and Alt arrows move by words like Alt-B and Alt-F', () => {
  assert.equal(edit('spawn editor|', key('left', {ctrl: true})), 'spawn |editor');
  assert.equal(edit('spawn editor|', key('left', {meta: true})), 'spawn |editor');
  assert.equal(edit('|spawn editor', key('right', {ctrl: true})), 'spawn| editor');
  assert.equal(edit('|spawn editor', key('right', {meta: true})), 'spawn| editor');
  assert.equal(edit('|spawn', key('left', {ctrl: true})), '|spawn');
  assert.equal(edit('spawn|', key('right', {ctrl: true})), 'spawn|');
});

// --- not edits ---------------------------------------------------------------------------------

test('keys that are not line edits return undefined', () => {
  const line = at('spawn ed|itor');
  const notEdits: KeyPress[] = [
    key('return'),
    key('tab'),
    key('tab', {shift: true}),
    key('escape'),
    key('up'),
    key('down'),
    key('pageup'),
    key('pagedown'),
    key('f1'),
    key('f5'),
    key('unknown'),
    ctrl('c'),
    ctrl('d'),
    ctrl('l'),
    alt('1'),
    alt('x'),
  ];
  for (const press of notEdits) {
    assert.equal(editLine(line, press), undefined, `${press.name}${press.meta ? ' (alt)' : ''}`);
  }
});

test('editing never changes the line it was given', () => {
  const line = at('spawn ed|itor');
  for (const press of [typed('x'), key('backspace'), key('delete'), ctrl('u'), ctrl('k'), alt('d')]) {
    editLine(line, press);
  }
  assert.equal(show(line), 'spawn ed|itor');
});

// --- history recall ----------------------------------------------------------------------------

const HISTORY = ['ps', 'sched rr', 'wait all'] as const;
const NOT_RECALLING: RecallState = {index: HISTORY.length, draft: ''};

test('up from the line being typed recalls the newest entry and keeps the draft', () => {
  const step = recall(HISTORY, NOT_RECALLING, at('spa|'), 'up');
  assert.deepEqual(step, {line: {text: 'wait all', cursor: 8}, state: {index: 2, draft: 'spa'}});
});

test('up walks back to the oldest entry and then stops', () => {
  let state = NOT_RECALLING;
  let line = at('spa|');
  const seen: string[] = [];
  for (;;) {
    const step = recall(HISTORY, state, line, 'up');
    if (!step) break;
    ({state, line} = step);
    seen.push(line.text);
  }
  assert.deepEqual(seen, ['wait all', 'sched rr', 'ps']);
  assert.deepEqual(state, {index: 0, draft: 'spa'});
  assert.equal(recall(HISTORY, state, line, 'up'), undefined);
});

test('down walks forward and returns to the draft, then stops', () => {
  let state: RecallState = {index: 0, draft: 'spa'};
  let line = at('ps|');
  const seen: string[] = [];
  for (;;) {
    const step = recall(HISTORY, state, line, 'down');
    if (!step) break;
    ({state, line} = step);
    seen.push(line.text);
  }
  assert.deepEqual(seen, ['sched rr', 'wait all', 'spa']);
  assert.deepEqual(line, {text: 'spa', cursor: 3});
  assert.equal(state.index, HISTORY.length);
  assert.equal(recall(HISTORY, state, line, 'down'), undefined);
});

test('down while typing (not recalling) has nowhere to go', () => {
  assert.equal(recall(HISTORY, NOT_RECALLING, at('spa|'), 'down'), undefined);
});

test('the draft survives editing a recalled line and comes back going down', () => {
  const up = recall(HISTORY, NOT_RECALLING, at('sem wait |S'), 'up')!;
  const edited = editLine(up.line, typed(' --timeout 5'))!;
  const further = recall(HISTORY, up.state, edited, 'up')!;
  assert.equal(further.line.text, 'sched rr');
  assert.equal(further.state.draft, 'sem wait S');
  const back = recall(HISTORY, recall(HISTORY, further.state, further.line, 'down')!.state, edited, 'down')!;
  assert.deepEqual(back.line, {text: 'sem wait S', cursor: 10});
});

test('recalled lines put the cursor at the end', () => {
  const step = recall(HISTORY, {index: 2, draft: ''}, at('wait all|'), 'up')!;
  assert.deepEqual(step.line, {text: 'sched rr', cursor: 8});
});

test('with no history, up and down both stop at once', () => {
  const state: RecallState = {index: 0, draft: ''};
  assert.equal(recall([], state, at('ps|'), 'up'), undefined);
  assert.equal(recall([], state, at('ps|'), 'down'), undefined);
});

test('an empty draft comes back as an empty line', () => {
  const up = recall(HISTORY, NOT_RECALLING, EMPTY_LINE, 'up')!;
  const down = recall(HISTORY, up.state, up.line, 'down')!;
  assert.deepEqual(down.line, EMPTY_LINE);
});

// --- secrets (typed without echo) --------------------------------------------------------------

/** Type keys into a secret in turn; returns its text, or how the entry ended. */
function typeSecret(...keys: KeyPress[]): string {
  let text = '';
  for (const press of keys) {
    const result = editSecret(text, press);
    if (result === undefined) continue;
    if (result.kind !== 'edit') return `<${result.kind}>`;
    text = result.text;
  }
  return text;
}

test('a secret takes typed text and pastes, and Backspace and Ctrl-H erase its last character', () => {
  assert.equal(typeSecret(typed('hunt'), typed('er2'), key('backspace'), typed('3')), 'hunter3');
  assert.equal(typeSecret(typed('ab'), ctrl('h'), ctrl('h'), ctrl('h')), '');
  assert.equal(typeSecret(typed('p😀'), key('backspace')), 'p', 'an astral character goes in one press');
});

test('Ctrl-U and Ctrl-W erase the whole secret', () => {
  assert.equal(typeSecret(typed('two words'), ctrl('u'), typed('x')), 'x');
  assert.equal(typeSecret(typed('two words'), ctrl('w')), '');
});

test('Enter submits a secret; Esc, Ctrl-C and Ctrl-D on an empty one cancel it', () => {
  assert.equal(typeSecret(typed('pw'), key('return')), '<submit>');
  assert.equal(typeSecret(typed('pw'), key('escape')), '<cancel>');
  assert.equal(typeSecret(typed('pw'), ctrl('c')), '<cancel>');
  assert.equal(typeSecret(ctrl('d')), '<cancel>');
  assert.equal(typeSecret(typed('pw'), ctrl('d')), 'pw', 'Ctrl-D on a typed secret does nothing');
});

test('keys that would move an unseen cursor, complete or recall are not secret edits', () => {
  for (const press of [
    key('left'),
    key('right'),
    key('up'),
    key('down'),
    key('home'),
    key('tab'),
    key('delete'),
    key('f2'),
    key('pageup'),
    alt('1'),
    ctrl('a'),
    ctrl('l'),
  ])
    assert.equal(editSecret('pw', press), undefined, press.name + (press.meta ? ' with Alt' : ''));
});

test('the prompt window keeps the cursor in view and cuts between whole characters', () => {
  const windowOf = (marked: string, room: number) => {
    const {before, atCursor, after} = promptWindow(at(marked), room);
    return `${before}[${atCursor}]${after}`;
  };
  assert.equal(windowOf('spawn a|', 20), 'spawn a[ ]');
  assert.equal(windowOf('abcdefgh|', 4), 'fgh[ ]');
  assert.equal(windowOf('ab|cdefgh', 4), 'ab[c]d');
  // an emoji under the cursor is shown whole, never half a surrogate pair
  assert.equal(windowOf('echo 😀|😀', 20), 'echo 😀[😀]');
  // wide characters take two cells of the room
  assert.equal(windowOf('编辑器编辑器|', 7), '编辑器[ ]');
});
