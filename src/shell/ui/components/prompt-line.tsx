// The prompt: the line being typed with its cursor, the command that is running, or the prompt of
// a secret being read (a password), which shows nothing of what is typed, not even its length.

import {Box, Text} from 'ink';
import React from 'react';
import {promptWindow, type LineState} from '../line-editor.js';
import {useTheme} from '../theme.js';

export interface PromptLineProps {
  prompt: string;
  line: LineState;
  /** The command running now; the line is hidden while it runs. */
  busy: string | undefined;
  /** A running command is reading a secret with this prompt; shown instead of `busy`. */
  secretPrompt?: string;
  isClockRunning: boolean;
  width: number;
}

export const PromptLine = React.memo(function PromptLine({
  prompt,
  line,
  busy,
  secretPrompt,
  isClockRunning,
  width,
}: PromptLineProps) {
  const theme = useTheme();
  if (secretPrompt !== undefined) {
    // The cursor stays put after the prompt: a moving cursor or a mask would tell the length.
    return (
      <Box width={width} height={1}>
        <Text wrap="truncate-end">
          {secretPrompt}
          <Text inverse> </Text>
          <Text color={theme.tone('dim')}>{'  (not shown; Enter submits, Esc cancels)'}</Text>
        </Text>
      </Box>
    );
  }
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
  const visible = promptWindow(line, Math.max(1, width - prompt.length - 1));
  return (
    <Box width={width} height={1}>
      <Text color={theme.tone('cyan')}>{prompt}</Text>
      <Text>
        {visible.before}
        <Text inverse>{visible.atCursor}</Text>
        {visible.after}
      </Text>
    </Box>
  );
});
