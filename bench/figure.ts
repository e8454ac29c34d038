// One measured figure of `npm run bench`. `key` is stable: scripts and CI read it from the JSON line.

export interface Figure {
  /** Stable snake_case key with its unit, e.g. `alloc_best_ops_per_s_50k`. */
  key: string;
  /** null when it could not be measured here (a baseline tool that is not installed); the label says why. */
  value: number | null;
  /** Unit shown in the table: 'ops/s', 'ticks/s', 'ms', 'x'. */
  unit: string;
  /** What was measured, in a few words. */
  label: string;
  /** The goal as text, e.g. '>= 1,000,000'; omitted for figures without a target. */
  target?: string;
  /** Whether the target was met; omitted for figures without a target. */
  met?: boolean;
}

/** A bench section: runs its workload and returns its figures. */
export type Section = () => Promise<Figure[]>;

/** Seconds since `start` (a `process.hrtime.bigint()` reading). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The middle sample (the upper of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
