// Disk sharing between real processes on 127.0.0.1 (test/support/cluster.ts): a tracker, `serve` peers
// that upload a file with `--run`, and clients that download it, as sessions or --json scripts. Seeders
// are slowed with --max-upload so "midway" is a real moment: a seeder or the downloader is killed there.
// Files are a few MB in chunks of 16 KiB, so each test takes seconds. Needs dist/ (a before hook builds).
// The in-process tests of the same service are in test/net/files/sharing.test.ts.

import assert from 'node:assert/strict';
import {createHash, randomFillSync} from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import {basename, join, relative} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {connect} from '../../src/net/connection.js';
import {ensureBuilt} from '../support/binary.js';
import {
  Cluster,
  dataOf,
  Session,
  WAIT_MS,
  waitUntil,
  type JsonRecord,
  type Proc,
} from '../support/cluster.js';

/** A test's bound: a hung process or wait fails the test instead of the whole run. */
const TEST_TIMEOUT_MS = 45_000;
/** How long one download may take: the capped ones below need a few seconds. */
const DOWNLOAD_MS = 30_000;
const CHUNK_BYTES = 16 * 1024;
const MiB = 1024 * 1024;
/** An mtime in whole seconds: set again after a file is corrupted, it reads back exactly the same. */
const FIXED_MTIME_S = 1_700_000_000;

/** `upload`'s JSON data. */
interface Uploaded {
  fileId: string;
  name: string;
  size: number;
  chunkSize: number;
  chunkCount: number;
  group: string | null;
  path: string;
  isNew: boolean;
  hashMs: number;
}

/** `download`'s JSON data (script mode: once the file is in place). */
interface Downloaded {
  path: string;
  fileId: string;
  size: number;
  ms: number;
  mbPerS: number;
  peers: number;
  resumedChunks: number;
}

/** One row of `downloads`. */
interface TransferRow {
  fileId: string;
  state: string;
  chunksDone: number;
  chunkCount: number;
  bytesDone: number;
  corrupt?: number;
  resumedChunks?: number;
  error?: string | null;
}

interface Seeder {
  proc: Proc;
  id: string;
  /** Its own copy of the file (the one it serves). */
  path: string;
  upload: Uploaded;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `bytes` random bytes written to `dir`/`name`; returns the path. */
function randomFile(dir: string, name: string, bytes: number): string {
  const path = join(dir, name);
  writeFileSync(path, randomFillSync(Buffer.alloc(bytes)));
  return path;
}

/** Every file under `root`, relative to it (directories are walked, not listed). */
function filesUnder(root: string): string[] {
  return readdirSync(root, {withFileTypes: true}).flatMap((entry) => {
    const path = join(root, entry.name);
    return entry.isDirectory() ? filesUnder(path).map((inner) => join(entry.name, inner)) : [entry.name];
  });
}

/** `.NAME.<first 16 digits of the id>.part`: the temporary name a download writes under (issue 5). */
function partName(name: string, fileId: string): string {
  return `.${name}.${fileId.slice(0, 16)}.part`;
}

/** The JSON lines a process printed so far. */
function recordsOf(proc: Proc): JsonRecord[] {
  return proc.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as JsonRecord);
}

/**
 * `p2pos serve` with its own copy of `source` (made by `prepare`, which may set its mtime), uploading it
 * from a --run file; resolves once it listens and the upload's record is out.
 */
async function seed(
  cluster: Cluster,
  options: {
    name: string;
    source: string;
    maxUpload?: string;
    chunkSize?: number;
    prepare?: (path: string) => void;
  },
): Promise<Seeder> {
  const tracker = cluster.tracker!;
  const dir = cluster.dataDir();
  const path = join(dir, basename(options.source));
  copyFileSync(options.source, path);
  options.prepare?.(path);
  const runFile = join(dir, 'run.txt');
  writeFileSync(runFile, `upload ${path} --chunk-size ${options.chunkSize ?? CHUNK_BYTES}\n`);
  const args = ['serve', '--tracker', tracker.address, '--port', '0', '--data', join(dir, 'data')];
  args.push('--name', options.name, '--run', runFile, '--json');
  if (options.maxUpload !== undefined) args.push('--max-upload', options.maxUpload);
  mkdirSync(join(dir, 'data'));
  const proc = cluster.spawn(`serve ${options.name}`, args);
  const match = await proc.waitFor(
    'stderr',
    new RegExp(`peer (p-[0-9a-f]+) \\(${options.name}\\) listening on (\\S+):(\\d+)`),
  );
  const record = await proc.until(
    () => recordsOf(proc).find((entry) => entry.cmd === 'upload'),
    'the upload record',
  );
  const upload = dataOf<Uploaded>(record, proc.describe());
  return {proc, id: match[1]!, path, upload};
}

/** A client reading commands on stdin (cluster.session, with its own data dir and environment). */
async function session(cluster: Cluster, options: {data?: string; env?: NodeJS.ProcessEnv} = {}) {
  const tracker = cluster.tracker!;
  const data = options.data ?? cluster.dataDir();
  const args = ['--tracker', tracker.address, '--port', '0', '--data', data, '--json'];
  const client = new Session(cluster.spawn('session', args, options.env));
  await client.send('echo ready');
  return client;
}

/** A script client left running: its stdin is `commands`; `finished` waits for its exit and records. */
function script(cluster: Cluster, commands: string[], options: {data?: string} = {}) {
  const tracker = cluster.tracker!;
  const data = options.data ?? cluster.dataDir();
  const proc = cluster.spawn('client', [
    '--tracker',
    tracker.address,
    '--port',
    '0',
    '--data',
    data,
    '--json',
  ]);
  proc.child.stdin!.end(commands.map((command) => `${command}\n`).join(''));
  const finished = async (timeoutMs = DOWNLOAD_MS) => {
    const timer = setTimeout(() => void proc.stop(1_000), timeoutMs);
    const {code, signal} = await proc.exited;
    clearTimeout(timer);
    if (signal !== null) assert.fail(`The client did not finish within ${timeoutMs} ms.\n${proc.describe()}`);
    return {status: code, records: recordsOf(proc)};
  };
  return {proc, finished};
}

/** The row of `downloads` for `fileId`, failing when the transfer has failed. */
async function transferOf(client: Session, fileId: string): Promise<TransferRow | undefined> {
  const {downloads} = dataOf<{downloads: TransferRow[]}>(
    await client.send('downloads'),
    client.proc.describe(),
  );
  const row = downloads.find((entry) => entry.fileId === fileId);
  if (row?.state === 'failed')
    assert.fail(`The download failed: ${JSON.stringify(row)}\n${client.proc.describe()}`);
  return row;
}

/** Poll `downloads` until `accept` holds for the transfer of `fileId`; returns every row seen. */
async function watchTransfer(
  client: Session,
  fileId: string,
  accept: (row: TransferRow) => boolean,
  timeoutMs = DOWNLOAD_MS,
): Promise<TransferRow[]> {
  const seen: TransferRow[] = [];
  await waitUntil(
    async () => {
      const row = await transferOf(client, fileId);
      if (row !== undefined) seen.push(row);
      return row !== undefined && accept(row);
    },
    () => `the transfer of ${fileId.slice(0, 12)} to get there; last seen ${JSON.stringify(seen.at(-1))}`,
    timeoutMs,
  );
  return seen;
}

/** The manifest a peer would share for `bytes` in chunks of `chunkSize`: its id and chunk hashes. */
function manifestOf(bytes: Buffer, chunkSize: number): {fileId: string; chunkCount: number; hashes: Buffer} {
  const hashes: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += chunkSize)
    hashes.push(
      createHash('sha256')
        .update(bytes.subarray(start, start + chunkSize))
        .digest(),
    );
  return {
    fileId: createHash('sha256').update(bytes).digest('hex'),
    chunkCount: hashes.length,
    hashes: Buffer.concat(hashes),
  };
}

describe('disk sharing between processes', {timeout: 240_000}, () => {
  const cluster = new Cluster();
  let work: string;

  before(
    async () => {
      ensureBuilt();
      await cluster.startTracker();
      work = cluster.dataDir();
    },
    {timeout: TEST_TIMEOUT_MS},
  );

  after(() => cluster.close());

  test(
    'a file uploaded on one peer downloads byte-identical on another, with its size and rate',
    {timeout: TEST_TIMEOUT_MS},
    async (t) => {
      const source = randomFile(work, 'one-seeder.bin', 3 * MiB + 123);
      const seeder = await seed(cluster, {name: 'up1', source, chunkSize: 64 * 1024});
      t.after(() => seeder.proc.stop());
      assert.equal(seeder.upload.size, 3 * MiB + 123);
      assert.equal(seeder.upload.chunkCount, 49);
      assert.equal(seeder.upload.fileId, createHash('sha256').update(readFileSync(source)).digest('hex'));

      const dest = join(cluster.dataDir(), 'out');
      mkdirSync(dest);
      const {status, records} = await script(cluster, [
        'files',
        `download ${seeder.upload.fileId} ${dest}`,
      ]).finished();
      const context = JSON.stringify(records);
      assert.equal(status, 0, context);
      const {files} = dataOf<{files: {fileId: string; name: string; seeders: number}[]}>(records[0], context);
      const listed = files.find((file) => file.fileId === seeder.upload.fileId);
      assert.equal(listed?.name, 'one-seeder.bin', context);
      assert.equal(listed?.seeders, 1, context);
      const got = dataOf<Downloaded>(records[1], context);
      assert.equal(got.path, join(dest, 'one-seeder.bin'));
      assert.equal(got.fileId, seeder.upload.fileId);
      assert.equal(got.size, 3 * MiB + 123);
      assert.ok(typeof got.mbPerS === 'number' && got.mbPerS > 0, `MB/s: ${context}`);
      assert.ok(typeof got.ms === 'number' && got.ms > 0, `ms: ${context}`);
      assert.equal(got.resumedChunks, 0);
      assert.ok(readFileSync(got.path).equals(readFileSync(source)), 'the download differs from the upload');
      assert.deepEqual(readdirSync(dest), ['one-seeder.bin'], 'no temporary file is left');
    },
  );

  test(
    'a download from three seeders completes byte-identical when one is killed midway',
    {timeout: TEST_TIMEOUT_MS},
    async (t) => {
      const size = 3 * MiB + 5;
      const source = randomFile(work, 'three-seeders.bin', size);
      // 400 kB/s each: about 2.6 s from all three, so the kill comes while chunks are in flight.
      const seeders = await Promise.all(
        ['s1', 's2', 's3'].map((name) => seed(cluster, {name, source, maxUpload: '400K'})),
      );
      t.after(() => Promise.all(seeders.map((seeder) => seeder.proc.stop())));
      const {fileId, chunkCount} = seeders[0]!.upload;
      const news = seeders.filter((seeder) => seeder.upload.isNew).length;
      assert.equal(news, 1, 'the same file shared three times is one file, new to the tracker once');

      const client = await session(cluster);
      t.after(() => client.proc.stop());
      const dest = join(cluster.dataDir(), 'out');
      mkdirSync(dest);
      dataOf(await client.send(`download ${fileId} ${dest} --bg`), client.proc.describe());
      const before = await watchTransfer(client, fileId, (row) => row.chunksDone >= chunkCount / 4);
      const atKill = before.at(-1)!;
      assert.ok(
        atKill.chunksDone < chunkCount,
        `the download finished before the kill: ${JSON.stringify(atKill)}`,
      );
      await seeders[1]!.proc.kill();
      const killedAt = Date.now();

      const seen = await watchTransfer(client, fileId, (row) => row.state === 'done');
      const last = seen.at(-1)!;
      assert.equal(last.chunksDone, chunkCount);
      const path = join(dest, 'three-seeders.bin');
      assert.ok(readFileSync(path).equals(readFileSync(source)), 'the download differs from the upload');
      assert.deepEqual(readdirSync(dest), ['three-seeders.bin'], 'no temporary file is left');
      t.diagnostic(
        `killed s2 at ${atKill.chunksDone}/${chunkCount} chunks; done ${Date.now() - killedAt} ms later`,
      );
      assert.equal(await client.end(), 0, client.proc.describe());
    },
  );

  test(
    'a seeder whose copy rotted on disk is caught by the chunk hashes, and the file still completes',
    {timeout: TEST_TIMEOUT_MS},
    async (t) => {
      const size = 4 * MiB; // 256 chunks: several times what one peer is asked for at once
      const source = randomFile(work, 'rotten.bin', size);
      const fixMtime = (path: string) => utimesSync(path, FIXED_MTIME_S, FIXED_MTIME_S);
      // The good seeder is capped so the download lasts a while; the bad one answers at once.
      const [good, bad] = await Promise.all([
        seed(cluster, {name: 'good', source, maxUpload: '2M', prepare: fixMtime}),
        seed(cluster, {name: 'bad', source, prepare: fixMtime}),
      ]);
      t.after(() => Promise.all([good.proc.stop(), bad.proc.stop()]));
      const {fileId, chunkCount} = good.upload;
      assert.equal(bad.upload.fileId, fileId);

      // Bit rot: one byte of every chunk flipped, the size and the mtime as they were, so the seeder
      // cannot tell; only the chunk hashes can.
      const original = readFileSync(source);
      const fd = openSync(bad.path, 'r+');
      try {
        for (let index = 0; index < chunkCount; index += 1) {
          const at = index * CHUNK_BYTES + 100;
          writeSync(fd, Buffer.from([original[at]! ^ 0xff]), 0, 1, at);
        }
      } finally {
        closeSync(fd);
      }
      fixMtime(bad.path);
      assert.equal(readFileSync(bad.path).length, size);
      assert.ok(!readFileSync(bad.path).equals(original));

      const client = await session(cluster, {env: {P2POS_LOG: '1'}});
      t.after(() => client.proc.stop());
      const dest = join(cluster.dataDir(), 'out');
      mkdirSync(dest);
      dataOf(await client.send(`download ${fileId} ${dest} --bg`), client.proc.describe());
      const seen = await watchTransfer(client, fileId, (row) => row.state === 'done');
      const path = join(dest, 'rotten.bin');
      assert.ok(readFileSync(path).equals(original), 'the download differs from the good copy');
      assert.deepEqual(readdirSync(dest), ['rotten.bin'], 'no temporary file is left');

      // Counted in `downloads` while it ran, and logged (P2POS_LOG) for each chunk and for the verdict.
      const corruptSeen = Math.max(0, ...seen.map((row) => row.corrupt ?? 0));
      assert.ok(corruptSeen > 0, `downloads never counted a corrupt chunk: ${JSON.stringify(seen)}`);
      const hashFailures =
        client.proc.stderr.match(new RegExp(`from ${bad.id} failed its hash`, 'g'))?.length ?? 0;
      assert.ok(hashFailures >= corruptSeen, client.proc.describe());
      assert.match(
        client.proc.stderr,
        new RegExp(`peer ${bad.id} sent corrupt chunks repeatedly; it is avoided`),
      );
      assert.doesNotMatch(client.proc.stderr, new RegExp(`from ${good.id} failed its hash`));
      // Avoided: not asked again once its answers in flight are in. Asked for every chunk it would have
      // sent more corrupt ones than the file has chunks, as it answers at once and the good seeder is slow.
      assert.ok(
        hashFailures < chunkCount,
        `${hashFailures} corrupt chunks of ${chunkCount}: the bad seeder was not avoided`,
      );
      t.diagnostic(
        `${hashFailures} corrupt chunks from the bad seeder (the most \`downloads\` showed: ${corruptSeen})`,
      );
      assert.equal(await client.end(), 0, client.proc.describe());
    },
  );

  test(
    'a download killed midway resumes from its verified chunks in the same data dir',
    {timeout: TEST_TIMEOUT_MS},
    async (t) => {
      const size = 2 * MiB + 77;
      const source = randomFile(work, 'resume.bin', size);
      // 500 kB/s: about 4 s for the whole file.
      const seeder = await seed(cluster, {name: 'slow', source, maxUpload: '500K'});
      t.after(() => seeder.proc.stop());
      const {fileId, chunkCount} = seeder.upload;

      const data = cluster.dataDir();
      const dest = join(cluster.dataDir(), 'out');
      mkdirSync(dest);
      const first = await session(cluster, {data});
      t.after(() => first.proc.stop());
      dataOf(await first.send(`download ${fileId} ${dest} --bg`), first.proc.describe());
      const seen = await watchTransfer(first, fileId, (row) => row.chunksDone >= chunkCount / 3);
      await first.proc.kill();
      const atKill = seen.at(-1)!;
      assert.ok(atKill.chunksDone < chunkCount, `it finished before the kill: ${JSON.stringify(atKill)}`);
      assert.deepEqual(readdirSync(dest), [partName('resume.bin', fileId)], 'only the partial file is there');

      const {status, records} = await script(cluster, [`download ${fileId} ${dest}`], {data}).finished();
      const got = dataOf<Downloaded>(records[0], JSON.stringify(records));
      assert.equal(status, 0);
      assert.equal(got.path, join(dest, 'resume.bin'));
      assert.ok(got.resumedChunks > 0, `nothing was resumed: ${JSON.stringify(got)}`);
      assert.ok(
        got.resumedChunks < chunkCount,
        `all ${chunkCount} chunks were resumed: the kill came too late`,
      );
      t.diagnostic(`killed at ${atKill.chunksDone}/${chunkCount} chunks; resumed ${got.resumedChunks}`);
      assert.ok(readFileSync(got.path).equals(readFileSync(source)), 'the resumed download differs');
      assert.deepEqual(readdirSync(dest), ['resume.bin'], 'the partial file is gone');
    },
  );

  test(
    'names from the network cannot leave the download directory',
    {timeout: TEST_TIMEOUT_MS},
    async (t) => {
      const root = cluster.dataDir();
      const dest = join(root, 'a', 'b', 'dest');
      mkdirSync(dest, {recursive: true});
      const size = 64 * 1024 + 9;
      // Each hostile name is a different file (an id is the content's hash), registered first by a raw
      // peer so its name is the one the tracker keeps; a real seeder then shares the same bytes.
      const hostile = [
        {label: 'dot-dot', name: '../../evil'},
        {label: 'absolute', name: join(root, 'abs-evil')},
        {label: 'backslashes', name: '..\\..\\win-evil'},
        {label: 'dotfile', name: '.bashrc'},
        {label: 'nul-byte', name: 'evil\0.txt'},
      ].map((entry) => ({...entry, source: randomFile(cluster.dataDir(), `${entry.label}.bin`, size)}));

      const raw = await connect({
        host: cluster.tracker!.host,
        port: cluster.tracker!.port,
        hello: {peer: 'p-mallory', role: 'peer', name: 'mallory'},
        secret: cluster.secret,
      });
      t.after(() => raw.close('done'));
      const refused = new Map<string, {code?: string; message: string}>();
      for (const entry of hostile) {
        const {fileId, chunkCount, hashes} = manifestOf(readFileSync(entry.source), CHUNK_BYTES);
        const file = {fileId, name: entry.name, size, chunkSize: CHUNK_BYTES, chunkCount, group: null};
        try {
          const answer = await raw.request({type: 'SHARE', peerId: 'p-mallory', file}, undefined, hashes);
          assert.equal(answer.created, true);
        } catch (error) {
          refused.set(entry.label, error as {code?: string; message: string});
        }
      }
      // The tracker refuses a NUL in a name outright; the rest reach downloaders, who must clean them.
      assert.equal(
        refused.get('nul-byte')?.code,
        'EINVAL',
        `a NUL name was not refused: ${[...refused.keys()]}`,
      );
      assert.match(refused.get('nul-byte')!.message, /NUL/);
      assert.deepEqual([...refused.keys()], ['nul-byte']);

      const seeders = await Promise.all(
        hostile.map((entry) => seed(cluster, {name: `host-${entry.label}`, source: entry.source})),
      );
      t.after(() => Promise.all(seeders.map((seeder) => seeder.proc.stop())));
      for (const seeder of seeders.slice(0, -1)) assert.equal(seeder.upload.isNew, false);

      // `upload --name` takes a name from the user, not the network, but it is made safe all the same.
      const named = randomFile(cluster.dataDir(), 'named.bin', size);
      const {records: all} = await script(cluster, [
        `upload ${named} --name ../../up-evil`,
        ...seeders.map((seeder) => `download ${seeder.upload.fileId} ${dest}`),
      ]).finished();
      const context = JSON.stringify(all, null, 1);
      const shared = dataOf<Uploaded>(all[0], context);
      assert.ok(!shared.name.includes('/') && !shared.name.startsWith('.'), `uploaded as ${shared.name}`);
      const records = all.slice(1);
      assert.equal(records.length, hostile.length, context);
      for (const [index, entry] of hostile.entries()) {
        const record = records[index]!;
        if (entry.label === 'nul-byte') {
          // Refused at the tracker, the file is known under the seeder's own (safe) name.
          assert.equal(dataOf<Downloaded>(record, context).path, join(dest, 'nul-byte.bin'));
          continue;
        }
        const got = dataOf<Downloaded>(record, `${entry.label}: ${context}`);
        assert.equal(
          relative(dest, got.path).includes('/'),
          false,
          `${entry.label} left ${dest}: ${got.path}`,
        );
        assert.ok(
          !relative(dest, got.path).startsWith('.'),
          `${entry.label} landed as a dotfile: ${got.path}`,
        );
        assert.ok(readFileSync(got.path).equals(readFileSync(entry.source)), `${entry.label} differs`);
      }
      // Everything under root is in dest, and nothing was written where the hostile names point.
      const written = filesUnder(root);
      assert.ok(
        written.every((path) => path.startsWith(join('a', 'b', 'dest') + '/')),
        `files outside the download directory: ${written}`,
      );
      assert.equal(written.length, hostile.length, `${written}`);
      for (const outside of [
        join(root, 'a', 'evil'),
        join(root, 'evil'),
        join(root, 'abs-evil'),
        join(root, 'a', 'win-evil'),
      ])
        assert.equal(existsSync(outside), false, `${outside} was created`);
      t.diagnostic(`uploaded as ${shared.name}; landed as: ${readdirSync(dest).join(', ')}`);
    },
  );

  test(
    "a script that ends while its data directory's shares are announced again still exits",
    {timeout: TEST_TIMEOUT_MS},
    async () => {
      // The re-announce of the shares was in flight when the script ended; the SHARE its closed link
      // failed was retried on a new link that nothing closed, and the process never exited.
      const data = join(cluster.dataDir(), 'data');
      const uploads = ['a', 'b', 'c'].map(
        (name) => `upload ${randomFile(work, `reshare-${name}.bin`, 5_000)}`,
      );
      const shared = await script(cluster, uploads, {data}).finished();
      assert.equal(shared.status, 0, JSON.stringify(shared.records));
      const {status, records} = await script(cluster, ['download'], {data}).finished(WAIT_MS);
      assert.equal(status, 1, JSON.stringify(records));
      assert.equal(records[0]?.code, 'EUSAGE');
    },
  );

  test('a partial download never appears under the final name', {timeout: TEST_TIMEOUT_MS}, async (t) => {
    const size = 2 * MiB + 1;
    const source = randomFile(work, 'atomic.bin', size);
    const expected = readFileSync(source);
    const seeder = await seed(cluster, {name: 'atomic', source, maxUpload: '1M'});
    t.after(() => seeder.proc.stop());
    const {fileId} = seeder.upload;
    const dest = join(cluster.dataDir(), 'out');
    mkdirSync(dest);
    const final = join(dest, 'atomic.bin');

    const client = script(cluster, [`download ${fileId} ${dest}`]);
    const finished = client.finished();
    finished.catch(() => {}); // awaited below; a failed poll must not leave it unhandled
    let partialOnly = 0; // polls that saw the partial file and no final name
    let finalBeforeReport = 0;
    while (!client.proc.hasExited) {
      const reported = client.proc.stdout.includes('"cmd":"download"');
      const names = readdirSync(dest);
      if (names.includes('atomic.bin')) {
        // Whenever the final name exists, the whole file is behind it.
        const bytes = readFileSync(final);
        assert.ok(
          bytes.equals(expected),
          `atomic.bin was visible with ${bytes.length} of ${size} bytes, not the whole file`,
        );
        if (!reported) finalBeforeReport += 1;
      } else if (names.includes(partName('atomic.bin', fileId))) partialOnly += 1;
      await sleep(5);
    }
    const {status, records} = await finished;
    const got = dataOf<Downloaded>(records[0], JSON.stringify(records));
    assert.equal(status, 0);
    assert.equal(got.path, final);
    assert.ok(
      partialOnly >= 10,
      `the partial file was seen only ${partialOnly} times: the test did not watch the download`,
    );
    assert.ok(readFileSync(final).equals(expected));
    assert.deepEqual(readdirSync(dest), ['atomic.bin']);
    t.diagnostic(
      `${partialOnly} polls saw only the partial file; ${finalBeforeReport} saw the final name before the report`,
    );
  });
});
