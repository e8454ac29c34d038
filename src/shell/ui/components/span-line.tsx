// One line of spans (spans.ts), coloured through the theme and never wrapped: the panes and the
// table build their lines as data and draw them with this.

import {Text} from 'ink';
import React from 'react';
import type {Line} from '../spans.js';
import {useTheme} from '../theme.js';

export interface SpanLineProps {
  spans: Line;
}

/** A line of coloured spans; an empty line still takes its row. */
export const SpanLine = React.memo(function SpanLine({spans}: SpanLineProps) {
  const theme = useTheme();
  if (spans.length === 0) return <Text> </Text>;
  return (
    <Text wrap="truncate-end">
      {spans.map((span, i) => (
        <Text
          key={i}
          color={span.owner === undefined ? theme.tone(span.tone) : theme.owner(span.owner)}
          bold={theme.isColor && span.isBold === true}
        >
          {span.text}
        </Text>
      ))}
    </Text>
  );
});

/** Lines of spans, one row each (a pane's body). */
export function SpanLines({lines}: {lines: readonly Line[]}) {
  return (
    <>
      {lines.map((spans, i) => (
        <SpanLine key={i} spans={spans} />
      ))}
    </>
  );
}
