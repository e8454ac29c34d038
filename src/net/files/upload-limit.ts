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
      // Unref'd: a closing peer does not wait for chunks no one will read.
      return wait < 1 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, wait).unref());
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

/** A rate as the flag takes it: "50M", "50MB/s", "1.5GiB", "800000"; bytes per second (k/M/G are 10^3..10^9, as link speeds are), or undefined when it is not one. */
export function parseRate(text: string): number | undefined {
  return parseAmount(text.replace(/\/s\s*$/i, ''), UNITS);
}

/** A size: "256K", "4G", "512MiB", "1000000"; bytes (K/M/G are 2^10..2^30, as file sizes and --heap are; kB/MB/GB decimal), at least MIN_RATE, or undefined. */
export function parseBytes(text: string): number | undefined {
  return parseAmount(text, SIZE_UNITS);
}

const SIZE_UNITS: Readonly<Record<string, number>> = {...UNITS, k: 1024, m: 1024 ** 2, g: 1024 ** 3};

function parseAmount(text: string, units: Readonly<Record<string, number>>): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$/i.exec(text);
  if (match === null) return undefined;
  const unit = units[(match[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  const rate = Number(match[1]) * unit;
  return Number.isFinite(rate) && rate >= MIN_RATE ? Math.round(rate) : undefined;
}
