// The upload cap (--max-upload RATE): bytes this peer sends of chunks, across every connection, at most
// `bytesPerSecond` on average. A chunk's answer waits its turn: each send books the link for
// bytes / rate seconds after the one before, as a token bucket with a burst of one chunk would.
// Interface:
//   const limit = createUploadLimit(50e6)      // or undefined for no cap
//   await limit.take(chunk.length)             // resolves when the chunk may go
//   parseRate('50M') === 50_000_000           // the flag's value: bytes/s, k/M/G (10^3..10^9), or KiB/MiB/GiB

/** Rates are at least this (a cap of a few bytes a second would stall every download). */
export const MIN_RATE = 1024;

export interface UploadLimit {
  readonly bytesPerSecond: number;
  /** Wait until `bytes` more may be sent. */
  take(bytes: number): Promise<void>;
}

export function createUploadLimit(
  bytesPerSecond: number,
  now: () => number = () => performance.now(),
): UploadLimit {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < MIN_RATE)
    throw new RangeError(`Upload rate ${bytesPerSecond} is too low. Expected ${MIN_RATE} bytes/s or more.`);
  let nextFree = 0; // ms: when the link is free again
  return {
    bytesPerSecond,
    take(bytes) {
      const at = now();
      const start = Math.max(at, nextFree);
      nextFree = start + (bytes / bytesPerSecond) * 1000;
      const wait = start - at;
      return wait < 1 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, wait));
    },
  };
}

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** A rate as the flag takes it: "50M", "50MB/s", "1.5GiB", "800000"; bytes per second, or undefined when it is not one. */
export function parseRate(text: string): number | undefined {
  return parseBytes(text.replace(/\/s\s*$/i, ''));
}

/** A size: "4G", "512MiB", "1000000"; bytes (at least MIN_RATE), or undefined when it is not one. */
export function parseBytes(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$/i.exec(text);
  if (match === null) return undefined;
  const unit = UNITS[(match[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  const rate = Number(match[1]) * unit;
  return Number.isFinite(rate) && rate >= MIN_RATE ? Math.round(rate) : undefined;
}
