// The top line: virtual time, the clock, the policy, and the load, the way `top`'s header reads.

import {Box, Text} from 'ink';
import React from 'react';
import type {KernelSnapshot} from '../../../kernel/index.js';
import {formatNumber} from '../../format.js';
import {useTheme} from '../theme.js';
import {topTotals} from '../top-rows.js';

export interface StatusLineProps {
  snapshot: KernelSnapshot;
  hz: number;
  isRunning: boolean;
  width: number;
}

export const StatusLine = React.memo(function StatusLine({snapshot, hz, isRunning, width}: StatusLineProps) {
  const theme = useTheme();
  const totals = topTotals(snapshot);
  const {scheduler} = snapshot;
  const quantum = scheduler.options.quantum;
  const policy = quantum !== undefined && scheduler.name === 'rr' ? `rr q=${quantum}` : scheduler.name;
  const parts = [
    `t=${snapshot.time}`,
    policy,
    `load ${totals.load} (${totals.running} run, ${totals.ready} ready, ${totals.waiting} wait)`,
    // one decimal, as the Top pane and `top` show them: 0.4% of memory in use is not 0%
    `cpu ${formatNumber(totals.cpuPercent, 1)}%`,
    `mem ${formatNumber(totals.memoryPercent, 1)}%`,
    `${totals.processes} proc${totals.processes === 1 ? '' : 's'}`,
  ];
  return (
    <Box width={width} height={1} overflow="hidden">
      <Text wrap="truncate-end">
        <Text bold>p2pos </Text>
        <Text color={theme.tone(isRunning ? 'green' : 'yellow')} inverse={!isRunning}>
          {isRunning ? `▶ ${hz} Hz` : `❚❚ paused ${hz} Hz`}
        </Text>
        {`  ${parts.join('  ')}`}
      </Text>
    </Box>
  );
});
