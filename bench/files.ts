// Bench section: hashing for disk sharing (issue 5). Node's SHA-256 over 256 MiB in memory is the
// floor; hashFile computes two SHA-256s of every byte (the whole file and its chunk), so on one core it
// would run at half the floor. It is measured on a 256 MiB temp file the bench writes (and so finds in
// the page cache: fincore, when installed, says how much) and removes, with its default worker thread
// for the chunk hashes and without it.
// Run alone: npm run bench -- --only=files

import {spawnSync} from 'node:child_process';
import {createHash, randomFillSync} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {hashFile} from '../src/net/files/manifest.js';
import {median, secondsSince, type Figure, type Section} from './figure.js';

const FILE_BYTES = 256 * 1024 * 1024;
const RUNS = 5; // the median of 5; a run takes 0.15-0.35 s here
const ONE_THREAD_RUNS = 3;

/** MB/s (10^6 bytes) of `run` over FILE_BYTES, the median of `runs`. */
async function rate(runs: number, run: () => unknown): Promise<number> {
  const rates: number[] = [];
  for (let index = 0; index < runs; index += 1) {
    const start = process.hrtime.bigint();
    await run();
    rates.push(FILE_BYTES / 1e6 / secondsSince(start));
  }
  return Math.round(median(rates));
}

/** How much of the file is in the page cache, as words for the label. */
function pageCacheState(path: string): string {
  const result = spawnSync('fincore', ['--bytes', '--noheadings', '--raw', '--output', 'RES', path], {
    encoding: 'utf8',
  });
  const resident = Number.parseInt(result.stdout ?? '', 10);
  if (result.status !== 0 || !Number.isFinite(resident))
    return 'just written; page cache not checked (no fincore)';
  return `${Math.round((100 * resident) / FILE_BYTES)}% of it in the page cache`;
}

export const filesSection: Section = async () => {
  const bytes = randomFillSync(Buffer.allocUnsafe(FILE_BYTES));
  let fileId = '';
  const sha256 = await rate(RUNS, () => (fileId = createHash('sha256').update(bytes).digest('hex')));
  const directory = mkdtempSync(join(tmpdir(), 'p2pos-bench-files-'));
  try {
    const path = join(directory, 'random.bin');
    writeFileSync(path, bytes);
    const cache = pageCacheState(path);
    const check = async (worker?: boolean) => {
      const manifest = await hashFile(path, {worker});
      if (manifest.fileId !== fileId) throw new Error(`hashFile gave ${manifest.fileId}, not ${fileId}.`);
    };
    const withWorker = await rate(RUNS, () => check());
    const oneThread = await rate(ONE_THREAD_RUNS, () => check(false));
    const figures: Figure[] = [
      {
        key: 'sha256_mb_s',
        value: sha256,
        unit: 'MB/s',
        label: `node's SHA-256 over a 256 MiB buffer in memory, median of ${RUNS} (the floor)`,
      },
      {
        key: 'hash_file_mb_s',
        value: withWorker,
        unit: 'MB/s',
        label: `hashFile on a 256 MiB temp file (${cache}), chunks in a worker, median of ${RUNS}`,
      },
      {
        key: 'hash_file_one_thread_mb_s',
        value: oneThread,
        unit: 'MB/s',
        label: `the same in one thread (worker: false), median of ${ONE_THREAD_RUNS}`,
      },
    ];
    return figures;
  } finally {
    rmSync(directory, {recursive: true, force: true});
  }
};
