// Lines of coloured text as data: a line is a list of spans, each with a tone or an owner, never an
// Ink colour (the theme picks that when drawing, so NO_COLOR stays colourless). Pure helpers fit a
// line to a width and pack lists of items into lines, so panes stay simple and tests need no terminal.
// Interface:
//   fitLine(spans, 38)                          cut at 38 columns, ending in '…' when cut
//   packSections([{label, count, item}], 38, 2)  labelled lists over at most 2 lines, then "+N more"

import type {Tone} from '../format.js';
import {cutToWidth, textWidth} from '../text-width.js';

export interface Span {
  text: string;
  /** A colour by meaning; ignored when `owner` is set. */
  tone?: Tone;
  /** Draw in this pid's colour (theme.owner). */
  owner?: number;
  /** Bold, when colour is on (a header, a title). */
  isBold?: boolean;
}

export type Line = readonly Span[];

const ELLIPSIS = '…';

/** The characters of a line. */
export function lineText(line: Line): string {
  let text = '';
  for (const span of line) text += span.text;
  return text;
}

export function lineWidth(line: Line): number {
  let width = 0;
  for (const span of line) width += textWidth(span.text);
  return width;
}

/** Adjacent spans drawn alike (same tone, owner and weight) merged into one, so a bar of cells stays a few spans. */
export function joinRuns(spans: readonly Span[]): Span[] {
  const joined: Span[] = [];
  for (const span of spans) {
    const last = joined[joined.length - 1];
    if (last && last.tone === span.tone && last.owner === span.owner && last.isBold === span.isBold)
      joined[joined.length - 1] = {...last, text: last.text + span.text};
    else joined.push(span);
  }
  return joined;
}

/** The line cut to at most `width` columns; a cut line ends in '…' so the cut is visible. */
export function fitLine(line: Line, width: number): Span[] {
  if (lineWidth(line) <= width) return [...line];
  const room = Math.max(0, width - 1);
  const fitted: Span[] = [];
  let used = 0;
  for (const span of line) {
    const spanWidth = textWidth(span.text);
    if (used + spanWidth >= room) {
      fitted.push({...span, text: cutToWidth(span.text, room - used) + (width > 0 ? ELLIPSIS : '')});
      break;
    }
    fitted.push(span);
    used += spanWidth;
  }
  return fitted;
}

/** Text padded with spaces (or cut) to exactly `width` columns. */
export function padText(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  // a cut through a wide character leaves a cell short, which the padding fills
  const fitted = textWidth(text) > width ? cutToWidth(text, width) : text;
  const gap = ' '.repeat(Math.max(0, width - textWidth(fitted)));
  if (gap === '') return fitted;
  return align === 'right' ? gap + fitted : fitted + gap;
}

/** A labelled list for packSections; items are made on demand, so only the ones shown cost anything. */
export interface Section {
  label: Line;
  count: number;
  item: (index: number) => Line;
  /** @default '  ' */
  separator?: string;
}

/**
 * Lay sections out over at most `maxLines` lines of `width` columns: each starts on a fresh line
 * with its label, its items follow joined by its separator, and continuation lines are indented
 * under the first item. What does not fit is counted in a "+N more" ending the last line.
 */
export function packSections(sections: readonly Section[], width: number, maxLines: number): Span[][] {
  const lines: Span[][] = [];
  let remaining = sections.reduce((sum, section) => sum + section.count, 0);
  let used = 0;
  let count = 0; // items on the current line
  const more = (left: number) => ({text: `${count > 0 ? ' ' : ''}+${left} more`, tone: 'dim' as const});
  const moreWidth = (left: number) => String(left).length + 7; // " +N more"
  outer: for (const section of sections) {
    if (lines.length >= maxLines) {
      if (lines.length > 0 && remaining > 0) lines[lines.length - 1]!.push(more(remaining));
      break;
    }
    lines.push([...section.label]);
    used = lineWidth(section.label);
    count = 0;
    const indent = ' '.repeat(Math.min(used, Math.max(0, width - 8)));
    const separator = section.separator ?? '  ';
    for (let i = 0; i < section.count;) {
      const item = section.item(i);
      const itemWidth = lineWidth(item);
      const gap = count > 0 ? separator.length : 0;
      const isLastLine = lines.length >= maxLines;
      const left = remaining - 1;
      // on the last line, keep room for the "+N more" that would follow this item
      const reserve = isLastLine && left > 0 ? moreWidth(left) : 0;
      const line = lines[lines.length - 1]!;
      if (used + gap + itemWidth + reserve <= width || (count === 0 && (!isLastLine || left === 0))) {
        // it fits, or it is too wide for any line: then it goes alone, cut at the edge
        if (gap > 0) line.push({text: separator, tone: 'dim'});
        line.push(...item);
        used += gap + itemWidth;
        count++;
        remaining--;
        i++;
      } else if (!isLastLine) {
        lines.push([{text: indent}]);
        used = indent.length;
        count = 0;
      } else {
        line.push(more(remaining));
        break outer;
      }
    }
  }
  return lines.map((line) => fitLine(line, width));
}
