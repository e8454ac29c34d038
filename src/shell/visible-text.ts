// Control characters made visible: text a user or a peer gave is shown by the terminal, never obeyed
// by it (an ESC in a process name once painted the console red, and a BEL rang). Both front ends pass
// what they print through here; names refuse control characters before they are stored.
// Interface:
//   visibleText('a\x1b[31mb')         'a\\x1b[31mb' (the escape written out as four characters)
//   visibleLine(line, keepColour)     the same, keeping newlines, tabs and, if asked, colour codes
//   findControlCharacter('a\x07')     '\x07'

/** C0 controls, DEL and C1 controls (a terminal obeys U+009B as CSI, as it does ESC [). */
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;
/** The same without newline and tab, which a line of output may hold. */
const CONTROL_IN_LINE = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/** Colour codes (SGR) as chalk writes them: the only escape sequences our own output holds. */
const COLOUR_CODE = /(\x1b\[[0-9;]*m)/;

/** A control character as \xNN. */
function written(char: string): string {
  return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** `text` with every control character written out as \xNN. */
export function visibleText(text: string): string {
  return text.replace(CONTROL, written);
}

/**
 * A line of output with its control characters written out, except newlines and tabs, and, when
 * `keepColour`, the colour codes the shell painted it with.
 */
export function visibleLine(line: string, keepColour: boolean): string {
  if (!keepColour) return line.replace(CONTROL_IN_LINE, written);
  return line
    .split(COLOUR_CODE)
    .map((piece, index) => (index % 2 === 1 ? piece : piece.replace(CONTROL_IN_LINE, written)))
    .join('');
}

/** The first control character in `text`, or undefined. */
export function findControlCharacter(text: string): string | undefined {
  return /[\x00-\x1f\x7f-\x9f]/.exec(text)?.[0];
}
