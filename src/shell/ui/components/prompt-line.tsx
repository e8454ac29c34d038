// The prompt: the line being typed with its cursor, or the command that is running.

import {Box, Text} from 'ink';
import React from 'react';
import type {LineState} from '../line-editor.js';
import {useTheme} from '../theme.js';

export interface PromptLineProps {
  prompt: string;
  line: LineState;
  /** The command running now; the line is hidden while it runs. */
  busy: string | undefined;
  isClockRunning: boolean;
  width: number;
}

export const PromptLine = React.memo(function PromptLine({
  prompt,
  line,
  busy,
  isClockRunning,
  width,
}: PromptLineProps) {
  const theme = useTheme();
  if (busy !== undefined) {
    const hint = isClockRunning ? 'Ctrl-C stops it' : 'clock paused: F5 resumes, Ctrl-C stops it';
    return (
      <Box width={width} height={1}>
        <Text color={theme.tone('yellow')} wrap="truncate-end">
          {`… ${busy}  (${hint})`}
        </Text>
      </Box>
    );
  }
  // Keep the cursor in view: show a window of the line that ends at or after it.
  const room = Math.max(1, width - prompt.length - 1);
  const start = Math.max(0, line.cursor - room + 1);
  const visible = line.text.slice(start, start + room);
  const cursor = line.cursor - start;
  return (
    <Box width={width} height={1}>
      <Text color={theme.tone('cyan')}>{prompt}</Text>
      <Text>
        {visible.slice(0, cursor)}
        <Text inverse>{visible[cursor] ?? ' '}</Text>
        {visible.slice(cursor + 1)}
      </Text>
    </Box>
  );
});
