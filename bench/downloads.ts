// Bench section: downloads between separate p2pos processes on loopback, beside tools that do the same job
// in the same run: curl from a local nginx into a file (no verification), aria2c -x4, and a plain Node TCP
// receiver that hashes and writes (bench/transfer-baselines.ts). Seeders are `p2pos serve` processes
// that `upload` the file; the downloader is a `p2pos --json -c 'download …'` process whose figure is its
// own (from the download's start to the file verified and in place) and whose resident memory is
// sampled from /proc while it runs. The tracker runs in this process.
// Run alone: npm run bench -- --only=files

import {spawn, type ChildProcess} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {formatSecret, generateSecret} from '../src/net/network-secret.js';
import {startTracker, type Tracker} from '../src/net/tracker.js';
import {median, type Figure, type Section} from './figure.js';
import {aria2cBaseline, curlBaseline, tcpHashWriteBaseline, writeRandomFile} from './transfer-baselines.js';

const BIN = new URL('../bin/p2pos.js', import.meta.url).pathname;
const BIG_BYTES = 1024 ** 3; // the issue's 1 GiB
const CAPPED_BYTES = 256 * 1024 ** 2; // 5 s from one seeder at 50 MB/s
const CAP = '50M';
const RUNS = 3;
const WAIT_MS = 60_000;
/** The network secret of the tracker here and every p2pos child: links are TLS, as by default. */
const SECRET = generateSecret();

interface Downloaded {
  mbPerS: number;
  rssMb: number;
}

/** The resident set of `pid`, MB (10^6 bytes), or 0 once it is gone. */
function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? (Number(match[1]) * 1024) / 1e6 : 0;
  } catch {
    return 0;
  }
}

/** Links are TLS keyed from SECRET, as by default, or plain TCP (--insecure) to show what TLS costs. */
type Links = 'tls' | 'plain';

function p2pos(args: string[], dataDir: string, links: Links = 'tls'): ChildProcess {
  const insecure = links === 'plain' ? ['--insecure'] : [];
  return spawn(process.execPath, [BIN, ...args, ...insecure, '--data', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      P2POS_LOG: '',
      TRACKER_HOST: '',
      TRACKER_PORT: '',
      PEER_PORT: '',
      P2POS_JOIN: '',
      P2POS_SECRET: links === 'plain' ? '' : formatSecret(SECRET),
    },
  });
}

async function waitFor(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`bench: no ${what} within ${WAIT_MS / 1000} s.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A `p2pos serve` peer that uploads `file`, capped at `cap`; resolves once the tracker lists it as a holder. */
async function seeder(tracker: Tracker, file: string, work: string, cap?: string): Promise<ChildProcess> {
  const dataDir = mkdtempSync(join(work, 'seeder-'));
  const script = join(dataDir, 'up.txt');
  writeFileSync(script, `upload ${file}\n`);
  const before = seedersOf(tracker);
  const child = p2pos(
    [
      'serve',
      '--tracker',
      `127.0.0.1:${tracker.port}`,
      '--port',
      '0',
      '--run',
      script,
      ...(cap ? ['--max-upload', cap] : []),
    ],
    dataDir,
    linksOf(tracker),
  );
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => (stderr = (stderr + data).slice(-4000)));
  child.stdout!.resume();
  try {
    await waitFor('seeder', () => {
      if (child.exitCode !== null) throw new Error(`bench: a seeder exited (${child.exitCode}): ${stderr}`);
      return seedersOf(tracker) > before;
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return child;
}

/** Live complete holders of the one file shared. */
function seedersOf(tracker: Tracker): number {
  return (
    tracker.files.list({all: true, isAlive: (id) => tracker.registry.get(id)?.alive === true})[0]?.seeders ??
    0
  );
}

/** One download in a process of its own, to a fresh directory; its MB/s and peak resident memory. */
async function download(tracker: Tracker, work: string, extra: string[] = []): Promise<Downloaded> {
  const fileId = tracker.files.list({all: true, isAlive: () => true})[0]!.fileId;
  const dataDir = mkdtempSync(join(work, 'downloader-'));
  const dest = join(dataDir, 'out');
  mkdirSync(dest);
  const child = p2pos(
    [
      '--tracker',
      `127.0.0.1:${tracker.port}`,
      '--port',
      '0',
      '--json',
      '-c',
      `download ${fileId} ${dest} ${extra.join(' ')}`,
    ],
    dataDir,
    linksOf(tracker),
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (data: Buffer) => (stdout += data));
  child.stderr!.on('data', (data: Buffer) => (stderr = (stderr + data).slice(-4000)));
  let rssMb = 0;
  const sampler = setInterval(() => (rssMb = Math.max(rssMb, rssOf(child.pid!))), 20);
  const killer = setTimeout(() => child.kill('SIGKILL'), 10 * WAIT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  clearTimeout(killer);
  rmSync(dataDir, {recursive: true, force: true});
  const record = stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as {ok: boolean; data?: {mbPerS?: number}; error?: string})
    .at(-1);
  if (code !== 0 || !record?.ok || typeof record.data?.mbPerS !== 'number')
    throw new Error(`bench: the download failed (exit ${code}): ${record?.error ?? stderr}`);
  return {mbPerS: record.data.mbPerS, rssMb};
}

function stop(children: ChildProcess[]): Promise<unknown> {
  return Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve(undefined);
          child.once('exit', resolve);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
        }),
    ),
  );
}

const linksOf = (tracker: Tracker): Links => (tracker.isSecure ? 'tls' : 'plain');

async function withTracker<T>(
  work: string,
  run: (tracker: Tracker) => Promise<T>,
  links: Links = 'tls',
): Promise<T> {
  const tracker = await startTracker({
    host: '127.0.0.1',
    port: 0,
    dbPath: ':memory:',
    heartbeatMs: 500,
    secret: links === 'tls' ? SECRET : undefined,
  });
  try {
    return await run(tracker);
  } finally {
    await tracker.close();
  }
}

export const downloadsSection: Section = async () => {
  const work = mkdtempSync(join(tmpdir(), 'p2pos-bench-downloads-'));
  const children: ChildProcess[] = [];
  try {
    const big = join(work, 'big.bin');
    await writeRandomFile(big, BIG_BYTES);
    const curl = await curlBaseline(big, work, {runs: RUNS});
    const aria2c = await aria2cBaseline(big, work, {runs: RUNS});
    const tcp = await tcpHashWriteBaseline(big, work, {runs: RUNS});

    const fromOneSeeder = (links: Links) =>
      withTracker(
        work,
        async (tracker) => {
          children.push(await seeder(tracker, big, work));
          const runs: Downloaded[] = [];
          for (let run = 0; run < RUNS; run += 1) runs.push(await download(tracker, work));
          await stop(children.splice(0));
          return {mbPerS: median(runs.map((r) => r.mbPerS)), rssMb: Math.max(...runs.map((r) => r.rssMb))};
        },
        links,
      );
    const one = await fromOneSeeder('tls');
    const onePlain = await fromOneSeeder('plain');
    rmSync(big, {force: true});

    const small = join(work, 'capped.bin');
    await writeRandomFile(small, CAPPED_BYTES);
    const capped = await withTracker(work, async (tracker) => {
      children.push(await seeder(tracker, small, work, CAP));
      const single = await download(tracker, work);
      for (let more = 0; more < 3; more += 1) children.push(await seeder(tracker, small, work, CAP));
      const four = await download(tracker, work);
      await stop(children.splice(0));
      return {single: single.mbPerS, four: four.mbPerS};
    });

    const round = (value: number) => Math.round(value);
    const ratio = Math.round((capped.four / capped.single) * 100) / 100;
    const vsCurl = curl.mbPerS === null ? null : one.mbPerS / curl.mbPerS;
    const figures: Figure[] = [
      {
        key: 'download_one_seeder_mb_s',
        value: round(one.mbPerS),
        unit: 'MB/s',
        label: `1 GiB from one p2pos seeder over TLS, verified and written, median of ${RUNS}${vsCurl === null ? '' : ` (${vsCurl.toFixed(2)}x curl)`}`,
        target: '>= 500, >= 0.8x curl, > aria2c',
        met:
          one.mbPerS >= 500 &&
          (curl.mbPerS === null || one.mbPerS >= 0.8 * curl.mbPerS) &&
          (aria2c.mbPerS === null || one.mbPerS > aria2c.mbPerS),
      },
      {
        key: 'download_one_seeder_plain_mb_s',
        value: round(onePlain.mbPerS),
        unit: 'MB/s',
        label: `the same over plain TCP (--insecure), median of ${RUNS}${curl.mbPerS === null ? '' : ` (${(onePlain.mbPerS / curl.mbPerS).toFixed(2)}x curl)`}`,
      },
      {key: 'curl_mb_s', value: curl.mbPerS, unit: 'MB/s', label: curl.note},
      {key: 'aria2c_mb_s', value: aria2c.mbPerS, unit: 'MB/s', label: aria2c.note},
      {key: 'tcp_hash_write_mb_s', value: tcp.mbPerS, unit: 'MB/s', label: tcp.note},
      {
        key: 'download_four_capped_vs_one_ratio',
        value: ratio,
        unit: 'x',
        label: `256 MiB from four seeders capped at ${CAP}B/s each (${round(capped.four)} MB/s) vs one (${round(capped.single)} MB/s)`,
        target: '>= 3.5',
        met: ratio >= 3.5,
      },
      {
        key: 'download_rss_mb',
        value: round(one.rssMb),
        unit: 'MB',
        label: 'peak resident memory of the downloading process, 1 GiB file (sampled every 20 ms)',
        target: '< 200',
        met: one.rssMb < 200,
      },
    ];
    return figures;
  } finally {
    await stop(children);
    rmSync(work, {recursive: true, force: true});
  }
};
