// The bottom line: the keys, as many as fit (F1 lists them all).

import {Box, Text} from 'ink';
import React from 'react';
import {KEY_BINDINGS} from '../key-bindings.js';

const ITEMS = KEY_BINDINGS.filter((binding) => binding.label !== undefined).map((binding) => ({
  keys: binding.keys.replace('Alt+1 Alt+2 Alt+3', 'M-1..3').replace('F2 F3 F4', 'F2-F4').replace(' ', '/'),
  label: binding.label!,
}));

export const HelpBar = React.memo(function HelpBar({width, notice}: {width: number; notice?: string}) {
  const shown: typeof ITEMS = [];
  let used = 0;
  for (const item of ITEMS) {
    const size = item.keys.length + item.label.length + 2;
    if (used + size > width) break;
    shown.push(item);
    used += size;
  }
  return (
    <Box width={width} height={1}>
      {notice ? (
        <Text wrap="truncate-end">{notice}</Text>
      ) : (
        shown.map((item) => (
          <Text key={item.keys}>
            <Text inverse>{item.keys}</Text>
            {` ${item.label} `}
          </Text>
        ))
      )}
    </Box>
  );
});
