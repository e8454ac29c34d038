// The box around a live pane: exactly width x height, rounded corners, the title (and a hint such as
// the policy) set into the top border, children clipped to the inside. The focused pane's border is
// cyan; without colour it turns double, so focus still shows.
//   ╭─ Scheduler ──────── rr (quantum 4) ─╮

import {Box, Text, type BoxProps} from 'ink';
import React from 'react';
import {useTheme} from '../theme.js';

export interface PaneFrameProps {
  title: string;
  /** Drawn at the right of the top border when there is room. */
  hint?: string;
  width: number;
  height: number;
  isFocused: boolean;
  children?: React.ReactNode;
}

interface BorderChars {
  topLeft: string;
  top: string;
  topRight: string;
  right: string;
  bottomRight: string;
  bottom: string;
  bottomLeft: string;
  left: string;
}

const ROUND: BorderChars = {
  topLeft: '╭',
  top: '─',
  topRight: '╮',
  right: '│',
  bottomRight: '╯',
  bottom: '─',
  bottomLeft: '╰',
  left: '│',
};

const DOUBLE: BorderChars = {
  topLeft: '╔',
  top: '═',
  topRight: '╗',
  right: '║',
  bottomRight: '╝',
  bottom: '═',
  bottomLeft: '╚',
  left: '║',
};

/** Columns and rows inside a frame of the given size. */
export function paneInner(width: number, height: number): {width: number; height: number} {
  return {width: Math.max(0, width - 2), height: Math.max(0, height - 2)};
}

export const PaneFrame = React.memo(function PaneFrame({
  title,
  hint,
  width,
  height,
  isFocused,
  children,
}: PaneFrameProps) {
  const theme = useTheme();
  const chars = isFocused && !theme.isColor ? DOUBLE : ROUND;
  const color = theme.tone(isFocused ? 'cyan' : 'dim');
  const frameWidth = Math.max(2, width);
  const inner = paneInner(frameWidth, height);
  const top = frameTop(title, hint, frameWidth, chars);
  return (
    <Box flexDirection="column" width={frameWidth} height={Math.max(1, height)} flexShrink={0}>
      <Text wrap="truncate-end">
        <Text color={color}>{top.left}</Text>
        <Text bold={theme.isColor}>{top.title}</Text>
        <Text color={color}>{top.middle}</Text>
        <Text>{top.hint}</Text>
        <Text color={color}>{top.right}</Text>
      </Text>
      {height >= 2 && (
        <Box
          // Ink re-applies a changed borderStyle without the unchanged borderTop={false}, giving the
          // box a top border row (a blank row in the pane) when focus turns it double: remount instead
          key={chars === DOUBLE ? 'double' : 'round'}
          width={frameWidth}
          height={height - 1}
          borderStyle={chars as BoxProps['borderStyle']}
          borderTop={false}
          borderColor={color}
          flexDirection="column"
          overflow="hidden"
        >
          <Box width={inner.width} height={inner.height} flexDirection="column" overflow="hidden">
            {/* sized by its content, so Yoga clips the rows that do not fit instead of squeezing them */}
            <Box width={inner.width} flexDirection="column" flexShrink={0}>
              {children}
            </Box>
          </Box>
        </Box>
      )}
    </Box>
  );
});

/**
 * The top border in pieces: `╭─ ` title ` ─…─ ` hint ` ─╮`, exactly `width` columns. The hint goes
 * first when room runs out, then the title is cut.
 */
export function frameTop(
  title: string,
  hint: string | undefined,
  width: number,
  chars: BorderChars = ROUND,
): {left: string; title: string; middle: string; hint: string; right: string} {
  const inside = Math.max(0, width - 2);
  // "─ title " and " hint ─" around a run of at least one "─"
  const titleRoom = Math.max(0, inside - 3);
  const shownTitle = title.length > titleRoom ? title.slice(0, Math.max(0, titleRoom - 1)) + '…' : title;
  const hasTitle = shownTitle.length > 0 && titleRoom > 1;
  const titleWidth = hasTitle ? shownTitle.length + 3 : 0;
  const hintWidth = hint ? hint.length + 3 : 0;
  const showHint = hint !== undefined && hint.length > 0 && titleWidth + hintWidth + 1 <= inside;
  const fill = inside - titleWidth - (showHint ? hintWidth : 0);
  return {
    left: chars.topLeft + (hasTitle ? `${chars.top} ` : ''),
    title: hasTitle ? shownTitle : '',
    middle: (hasTitle ? ' ' : '') + chars.top.repeat(Math.max(0, fill)) + (showHint ? ' ' : ''),
    hint: showHint ? hint : '',
    right: (showHint ? ` ${chars.top}` : '') + (width >= 2 ? chars.topRight : ''),
  };
}
