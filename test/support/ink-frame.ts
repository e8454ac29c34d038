// Render a console component the way the tests look at it: ink-testing-library's last frame, split
// into lines, inside a ThemeProvider with colour on or off. Use:
//   const lines = frameLines(<MemoryPane … />, {isColor: false});
//   assertFits(lines, 40, 10);

import assert from 'node:assert/strict';
import {render} from 'ink-testing-library';
import {stripVTControlCharacters} from 'node:util';
import React from 'react';
import {ThemeProvider} from '../../src/shell/ui/theme.js';

/** The last frame's lines, without ANSI codes (FORCE_COLOR may be set); the theme's colour is off unless asked for. */
export function frameLines(element: React.ReactElement, options: {isColor?: boolean} = {}): string[] {
  const {lastFrame, unmount} = render(
    React.createElement(ThemeProvider, {isColor: options.isColor ?? false, children: element}),
  );
  const frame = stripVTControlCharacters(lastFrame() ?? '');
  unmount();
  return frame.split('\n');
}

/** Every line at most `width` columns (the glyphs used are one column each), and exactly `height` lines. */
export function assertFits(lines: readonly string[], width: number, height?: number): void {
  for (const line of lines)
    assert.ok([...line].length <= width, `line wider than ${width}: ${JSON.stringify(line)}`);
  if (height !== undefined) assert.equal(lines.length, height, lines.join('\n'));
}
