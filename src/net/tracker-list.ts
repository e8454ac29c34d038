// The trackers a peer may use, in order (issue 6): `--tracker H:A,H:B`. A peer talks to one at a time
// and fails over to the next when it stops answering (peer.ts).

export interface TrackerAddress {
  host: string;
  port: number;
}

/** One tracker, several, or none (offline), as PeerOptions takes them. */
export type TrackerChoice = TrackerAddress | readonly TrackerAddress[] | undefined;

/** The list form of a TrackerChoice: [] offline. */
export function trackerList(choice: TrackerChoice): TrackerAddress[] {
  if (choice === undefined) return [];
  return Array.isArray(choice) ? [...choice] : [choice as TrackerAddress];
}

/**
 * Parse `HOST:PORT[,HOST:PORT...]` (IPv6 hosts in brackets: [::1]:8888). Returns the list, or a
 * sentence naming the bad entry when one is not HOST:PORT with a port from 1 to 65535.
 */
export function parseTrackerList(text: string): TrackerAddress[] | string {
  const entries = text.split(',').map((entry) => entry.trim());
  const trackers: TrackerAddress[] = [];
  for (const entry of entries) {
    const match = /^(.+):(\d+)$/.exec(entry);
    const port = match ? Number(match[2]) : NaN;
    if (!match || !Number.isSafeInteger(port) || port < 1 || port > 65_535)
      return `\`${entry}\` is not HOST:PORT with a port from 1 to 65535 (e.g. 127.0.0.1:8888)`;
    trackers.push({host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port});
  }
  return trackers;
}

/** "h:a, h:b" for logs and `net`. */
export function formatTracker(tracker: TrackerAddress): string {
  return tracker.host.includes(':') ? `[${tracker.host}]:${tracker.port}` : `${tracker.host}:${tracker.port}`;
}
