// Terminal input to key presses. Ink splits raw input into one event per key sequence; this names
// each one (arrows, F-keys, Alt+digit, Ctrl+letter, typed or pasted text). Ink's own useInput has no
// F-keys and folds Alt into `meta` inconsistently, so the console decodes the sequences itself.
// Covers xterm, VT220 (ESC [ n ~) and the Linux console (ESC [ [ A) forms, with modifiers.

export type KeyName =
  | 'text'
  | 'return'
  | 'backspace'
  | 'delete'
  | 'tab'
  | 'escape'
  | 'up'
  | 'down'
  | 'left'
  | 'right'
  | 'home'
  | 'end'
  | 'pageup'
  | 'pagedown'
  | `f${number}`
  | `ctrl-${string}`
  | 'unknown';

export interface KeyPress {
  name: KeyName;
  /** The typed characters, for name 'text' (a paste arrives as one event). */
  text: string;
  ctrl: boolean;
  /** Alt (sent as an ESC prefix, or modifier 3 in CSI sequences). */
  meta: boolean;
  shift: boolean;
}

const ESC = '\u001B';

/** Final characters of ESC [ … X and ESC O X sequences. */
const FINAL_KEYS: Record<string, KeyName> = {
  A: 'up',
  B: 'down',
  C: 'right',
  D: 'left',
  H: 'home',
  F: 'end',
  P: 'f1',
  Q: 'f2',
  R: 'f3',
  S: 'f4',
  Z: 'tab', // shift-tab
};

/** ESC [ n ~ codes (VT220). */
const TILDE_KEYS: Record<number, KeyName> = {
  1: 'home',
  2: 'unknown', // insert
  3: 'delete',
  4: 'end',
  5: 'pageup',
  6: 'pagedown',
  7: 'home',
  8: 'end',
  11: 'f1',
  12: 'f2',
  13: 'f3',
  14: 'f4',
  15: 'f5',
  17: 'f6',
  18: 'f7',
  19: 'f8',
  20: 'f9',
  21: 'f10',
  23: 'f11',
  24: 'f12',
};

/** The Linux console's F1-F5: ESC [ [ A … E. */
const LINUX_CONSOLE_KEYS: Record<string, KeyName> = {A: 'f1', B: 'f2', C: 'f3', D: 'f4', E: 'f5'};

function key(name: KeyName, extra: Partial<KeyPress> = {}): KeyPress {
  return {name, text: '', ctrl: false, meta: false, shift: false, ...extra};
}

/** Apply an xterm modifier parameter (1 + shift 1 + alt 2 + ctrl 4). */
function withModifier(press: KeyPress, modifier: number | undefined): KeyPress {
  if (modifier === undefined || modifier < 2) return press;
  const bits = modifier - 1;
  return {...press, shift: (bits & 1) !== 0, meta: (bits & 2) !== 0, ctrl: (bits & 4) !== 0};
}

/** Name one key sequence as Ink delivers it. Several characters of plain text stay one 'text' press. */
export function decodeKey(sequence: string): KeyPress {
  if (sequence === '\r' || sequence === '\n' || sequence === '\r\n') return key('return');
  if (sequence === '\u007F' || sequence === '\b') return key('backspace');
  if (sequence === '\t') return key('tab');
  if (sequence === ESC || sequence === ESC + ESC) return key('escape');
  if (sequence.length === 1) {
    const code = sequence.charCodeAt(0);
    // Ctrl+A … Ctrl+Z arrive as 1 … 26 (Tab, Enter and Backspace were named above).
    if (code >= 1 && code <= 26) return key(`ctrl-${String.fromCharCode(code + 96)}`, {ctrl: true});
    if (code < 32) return key('unknown');
  }
  if (sequence.startsWith(ESC + '[[') && sequence.length === 4) {
    return key(LINUX_CONSOLE_KEYS[sequence[3]!] ?? 'unknown');
  }
  const csi = /^\u001B(?:\[|O)(\d*)(?:;(\d+))?([A-Za-z~])$/.exec(sequence);
  if (csi) {
    const [, number, modifier, final] = csi;
    const modifierValue = modifier === undefined ? undefined : Number(modifier);
    if (final === '~') return withModifier(key(TILDE_KEYS[Number(number)] ?? 'unknown'), modifierValue);
    const name = FINAL_KEYS[final!];
    if (name === undefined) return key('unknown');
    // ESC [ 1 ; 3 C (alt-right) puts the modifier after a 1; ESC [ Z is shift-tab.
    const press = withModifier(key(name), modifierValue);
    return final === 'Z' ? {...press, shift: true} : press;
  }
  if (sequence.startsWith(ESC) && sequence.length >= 2) {
    // Alt+key arrives as ESC followed by the key.
    const inner = decodeKey(sequence.slice(1));
    return {...inner, meta: true};
  }
  if (sequence.startsWith(ESC)) return key('unknown');
  // Printable text: a pasted tab becomes a space (it separated words); other control characters go.
  // eslint-disable-next-line no-control-regex
  const text = sequence.replace(/\t/g, ' ').replace(/[\u0000-\u001F\u007F]/g, '');
  return text === '' ? key('unknown') : key('text', {text});
}

/**
 * Name every key in one chunk of input as Ink delivers it. Ink splits escape sequences apart but leaves
 * any other run of characters whole, and a busy console reads keys typed or sent in quick succession
 * in one chunk: "ps\rsched\r" (a paste) runs two commands, and Ctrl-U then Ctrl-D ("\u0015\u0004")
 * are two presses, never one unknown one. Printable text between them stays one 'text' press, so a
 * paste is inserted at once. Tabs between two words are a paste's separator and become a space (as
 * in decodeKey); any other tab is the Tab key: "kill\t\t" completes and then lists. With
 * `tabsAreKeys` (the terminal marks its pastes, see createInputDecoder) every tab is the Tab key.
 */
export function decodeInput(sequence: string, options: {tabsAreKeys?: boolean} = {}): KeyPress[] {
  if (sequence.startsWith(ESC) || sequence.length === 1) return [decodeKey(sequence)];
  const presses: KeyPress[] = [];
  let textStart = 0;
  const endText = (at: number) => {
    if (at > textStart) presses.push(decodeKey(sequence.slice(textStart, at)));
  };
  for (let index = 0; index < sequence.length; index += 1) {
    const code = sequence.charCodeAt(index);
    const isKey =
      code === 9 ? options.tabsAreKeys === true || !isTabInText(sequence, index) : code < 32 || code === 127;
    if (!isKey) continue;
    endText(index);
    if (code === 13 && sequence.charCodeAt(index + 1) === 10) index += 1; // CR LF: one return
    presses.push(decodeKey(code === 10 ? '\n' : String.fromCharCode(code)));
    textStart = index + 1;
  }
  endText(sequence.length);
  return presses;
}

/** Whether the run of tabs around `index` has printable text on both sides (a pasted separator). */
function isTabInText(sequence: string, index: number): boolean {
  let before = index;
  while (before > 0 && sequence.charCodeAt(before - 1) === 9) before -= 1;
  let after = index;
  while (after < sequence.length && sequence.charCodeAt(after) === 9) after += 1;
  return isPrintable(sequence.charCodeAt(before - 1)) && isPrintable(sequence.charCodeAt(after));
}

/** A character code of typed text; NaN (past either end of the chunk) is not. */
function isPrintable(code: number): boolean {
  return code >= 32 && code !== 127;
}

/** Bracketed paste (xterm): the console asks for it, and the terminal then wraps each paste in marks. */
export const ENABLE_BRACKETED_PASTE = '\u001B[?2004h';
export const DISABLE_BRACKETED_PASTE = '\u001B[?2004l';
const PASTE_START = ESC + '[200~';
const PASTE_END = ESC + '[201~';

/**
 * A terminal's input events in order, as key presses. Text between bracketed-paste marks is pasted:
 * its line breaks are returns (a pasted lab runs line by line, as typed), its tabs spaces, and its
 * control characters and escape sequences are dropped, never pressed. Once the terminal has marked a
 * paste, every unmarked tab is the Tab key, however fast it came after a letter; until then (or on a
 * terminal without bracketed paste) a tab between two words is taken as a paste's, as in decodeInput.
 */
export function createInputDecoder(): (sequence: string) => KeyPress[] {
  let isPasting = false;
  let marksPastes = false;
  return (sequence) => {
    if (sequence === PASTE_START || sequence === PASTE_END) {
      isPasting = sequence === PASTE_START;
      marksPastes = true;
      return [];
    }
    if (!isPasting) return decodeInput(sequence, {tabsAreKeys: marksPastes});
    if (sequence.startsWith(ESC)) return [];
    return decodeInput(sequence.replace(/\t/g, ' ')).filter(
      (press) => press.name === 'text' || press.name === 'return',
    );
  };
}
