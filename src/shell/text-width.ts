// Text measured in terminal cells, as Ink measures it (string-width): CJK and most emoji take two
// cells, combining marks none. Tables and panes pad and cut by this, so a name like 编辑器 keeps the
// columns after it in line. Interface:
//   textWidth('编辑器')       6
//   cutToWidth('编辑器', 5)   '编辑' (never half a character)
//   clipToWidth('abcdef', 4)  'abc…' (cut with an ellipsis when it does not fit)

import stringWidth from 'string-width';

// Printable ASCII is one cell a character: most text, measured without segmenting it.
const PLAIN_ASCII = /^[\x20-\x7E]*$/;
const graphemes = new Intl.Segmenter();

/** Cells `text` takes on a terminal. */
export function textWidth(text: string): number {
  return PLAIN_ASCII.test(text) ? text.length : stringWidth(text);
}

/** The longest start of `text` at most `width` cells wide, cut between characters. */
export function cutToWidth(text: string, width: number): string {
  if (PLAIN_ASCII.test(text)) return text.slice(0, Math.max(0, width));
  let used = 0;
  let end = 0;
  for (const {segment, index} of graphemes.segment(text)) {
    used += stringWidth(segment);
    if (used > width) break;
    end = index + segment.length;
  }
  return text.slice(0, end);
}

/** `text` if it fits in `width` cells, else its start and an ellipsis, `width` cells in all. */
export function clipToWidth(text: string, width: number): string {
  return textWidth(text) > width ? `${cutToWidth(text, width - 1)}…` : text;
}
