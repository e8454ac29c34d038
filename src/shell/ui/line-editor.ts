// The prompt's line editing as pure functions over {text, cursor}: readline's Emacs keys (Ctrl-A/E,
// Ctrl-B/F, Ctrl-U/K/W, Alt-B/F, Home/End, arrows, Backspace/Delete) and history recall with a draft.
// Interface:
//   editLine(line, key)                 the line after one key, or undefined if the key is not an edit
//   recall(history, line, 'up'|'down')  step through earlier lines, keeping what was being typed
//   editSecret(text, key)               a secret typed blind (a password): append, erase, submit, cancel
//   promptWindow(line, room)            what of a long line the prompt shows, around the cursor

import {textWidth} from '../text-width.js';
import type {KeyPress} from './keys.js';

export interface LineState {
  text: string;
  /** Insertion point, 0..text.length. */
  cursor: number;
}

export const EMPTY_LINE: LineState = {text: '', cursor: 0};

const graphemes = new Intl.Segmenter();

/** Start of the character before `cursor`: a whole grapheme (an emoji, a letter and its accents). */
function previousBoundary(text: string, cursor: number): number {
  return cursor <= 0 ? 0 : graphemes.segment(text).containing(cursor - 1)!.index;
}

/** End of the character after `cursor`, so the cursor never stops inside an emoji's surrogate pair. */
function nextBoundary(text: string, cursor: number): number {
  if (cursor >= text.length) return text.length;
  const {index, segment} = graphemes.segment(text).containing(cursor)!;
  return index + segment.length;
}

/** Start of the word before the cursor (skipping spaces first), as Ctrl-W and Alt-B see it. */
function wordStart(text: string, from: number): number {
  let i = from;
  while (i > 0 && text[i - 1] === ' ') i--;
  while (i > 0 && text[i - 1] !== ' ') i--;
  return i;
}

/** End of the word after the cursor, as Alt-F sees it. */
function wordEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && text[i] === ' ') i++;
  while (i < text.length && text[i] !== ' ') i++;
  return i;
}

function insert(line: LineState, text: string): LineState {
  return {
    text: line.text.slice(0, line.cursor) + text + line.text.slice(line.cursor),
    cursor: line.cursor + text.length,
  };
}

function cut(line: LineState, from: number, to: number): LineState {
  return {text: line.text.slice(0, from) + line.text.slice(to), cursor: from};
}

/** Apply one key to the line. Returns undefined for keys that are not line edits (Enter, Tab, F-keys). */
export function editLine(line: LineState, key: KeyPress): LineState | undefined {
  const {text, cursor} = line;
  if (key.name === 'text' && !key.meta) return insert(line, key.text);
  if (key.meta && key.name === 'text') {
    if (key.text === 'b') return {text, cursor: wordStart(text, cursor)};
    if (key.text === 'f') return {text, cursor: wordEnd(text, cursor)};
    if (key.text === 'd') return {...cut(line, cursor, wordEnd(text, cursor)), cursor};
    return undefined;
  }
  switch (key.name) {
    case 'backspace':
      if (key.meta) return cut(line, wordStart(text, cursor), cursor);
      return cursor === 0 ? line : cut(line, previousBoundary(text, cursor), cursor);
    case 'delete':
      return cursor === text.length ? line : {...cut(line, cursor, nextBoundary(text, cursor)), cursor};
    case 'left':
      if (key.ctrl || key.meta) return {text, cursor: wordStart(text, cursor)};
      return {text, cursor: previousBoundary(text, cursor)};
    case 'right':
      if (key.ctrl || key.meta) return {text, cursor: wordEnd(text, cursor)};
      return {text, cursor: nextBoundary(text, cursor)};
    case 'home':
    case 'ctrl-a':
      return {text, cursor: 0};
    case 'end':
    case 'ctrl-e':
      return {text, cursor: text.length};
    case 'ctrl-b':
      return {text, cursor: previousBoundary(text, cursor)};
    case 'ctrl-f':
      return {text, cursor: nextBoundary(text, cursor)};
    case 'ctrl-h':
      return cursor === 0 ? line : cut(line, previousBoundary(text, cursor), cursor);
    case 'ctrl-u':
      return cut(line, 0, cursor);
    case 'ctrl-k':
      return {text: text.slice(0, cursor), cursor};
    case 'ctrl-w':
      return cut(line, wordStart(text, cursor), cursor);
    default:
      return undefined;
  }
}

/** The part of a line the prompt shows: before the cursor, the character under it (a space at the end), after it. */
export interface PromptWindow {
  before: string;
  atCursor: string;
  after: string;
}

/**
 * The window of `line` that fits in `room` terminal cells and shows the cursor: as much as fits
 * before it, then what follows. Cut between whole characters, measured in cells (CJK takes two).
 */
export function promptWindow(line: LineState, room: number): PromptWindow {
  const parts = Array.from(graphemes.segment(line.text), ({segment, index}) => ({
    segment,
    index,
    width: textWidth(segment),
  }));
  let at = parts.findIndex((part) => part.index >= line.cursor);
  if (at < 0) at = parts.length;
  let used = parts[at]?.width ?? 1;
  let start = at;
  while (start > 0 && used + parts[start - 1]!.width <= room) used += parts[--start]!.width;
  let end = at + 1;
  while (end < parts.length && used + parts[end]!.width <= room) used += parts[end++]!.width;
  const join = (from: number, to: number) =>
    parts
      .slice(from, to)
      .map((part) => part.segment)
      .join('');
  return {before: join(start, at), atCursor: parts[at]?.segment ?? ' ', after: join(at + 1, end)};
}

/** Where up/down stand in the list of earlier lines; `draft` is the line being typed before recall began. */
export interface RecallState {
  /** entries.length means "not recalling" (the draft line). */
  index: number;
  draft: string;
}

/**
 * Step back (up) or forward (down) through `entries`, oldest first. Leaving the newest entry going
 * down restores the draft. Returns the new line and position, or undefined at either end.
 */
export function recall(
  entries: readonly string[],
  state: RecallState,
  line: LineState,
  direction: 'up' | 'down',
): {line: LineState; state: RecallState} | undefined {
  const draft = state.index >= entries.length ? line.text : state.draft;
  const index = direction === 'up' ? state.index - 1 : state.index + 1;
  if (index < 0 || index > entries.length) return undefined;
  const text = index === entries.length ? draft : entries[index]!;
  return {line: {text, cursor: text.length}, state: {index, draft}};
}

/** What one key does to a secret being typed: its new text, submit it, or cancel the entry. */
export type SecretEdit = {kind: 'edit'; text: string} | {kind: 'submit'} | {kind: 'cancel'};

/**
 * Apply one key to a secret typed without echo. Nothing shows where the cursor is, so the keys are
 * the blind ones of a terminal's password prompt: typed text appends, Backspace (Ctrl-H) erases the
 * last character, Ctrl-U (and Ctrl-W) erases it all; Enter submits; Esc, Ctrl-C, and Ctrl-D on an
 * empty secret cancel. Returns undefined for every other key (arrows, Tab, F-keys, Alt+key), which
 * the caller drops.
 */
export function editSecret(text: string, key: KeyPress): SecretEdit | undefined {
  if (key.name === 'text') return key.meta ? undefined : {kind: 'edit', text: text + key.text};
  switch (key.name) {
    case 'return':
      return {kind: 'submit'};
    case 'escape':
    case 'ctrl-c':
      return {kind: 'cancel'};
    case 'ctrl-d':
      return text === '' ? {kind: 'cancel'} : undefined;
    case 'backspace':
    case 'ctrl-h':
      // by code point, so an emoji or other astral character goes in one press
      return key.meta ? undefined : {kind: 'edit', text: Array.from(text).slice(0, -1).join('')};
    case 'ctrl-u':
    case 'ctrl-w':
      return {kind: 'edit', text: ''};
    default:
      return undefined;
  }
}
