// The disk-sharing commands through the runner, over real loopback TCP and real files: a tracker and
// this shell's peer (as script mode starts them), and seeders started beside it. Argument checks,
// upload and files, a script's download that waits and one that returns (--bg, the console),
// downloads and downloads stop, a resume, unshare, and help.

import assert from 'node:assert/strict';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {generateSecret} from '../../../src/net/network-secret.js';
import type {Peer} from '../../../src/net/peer.js';
import {createSandboxPool, type SandboxPool} from '../../../src/net/sandbox/pool.js';
import type {Context} from '../../../src/shell/command.js';
import {createNetAccess, type NetAccess} from '../../../src/shell/net-access.js';
import {PaneStore} from '../../../src/shell/ui/pane-store.js';
import {createTestContext, run, runFails, runOk} from '../../support/shell-context.js';
import {randomFile as randomBytesFile, startSharingPeer} from '../../support/sharing-peer.js';

let dir: string;
let context: Context;
let net: NetAccess;
let sandbox: SandboxPool; // the seeders run no tasks: one pool for them all
const seeders: Peer[] = [];
/** The network secret of this shell's network of one, given so the seeders can join it. */
const secret = generateSecret();

/** A peer beside this shell's, joined to its tracker, sharing nothing yet. */
async function seeder(name: string, options: {maxUploadRate?: number} = {}): Promise<Peer> {
  const peer = await startSharingPeer({name, tracker: net.tracker()!, sandbox, secret, ...options});
  seeders.push(peer);
  return peer;
}

/** A file of random bytes in the test's directory. */
function randomFile(name: string, bytes: number): string {
  return randomBytesFile(dir, name, bytes);
}

/** A fresh directory to download into. */
function outDir(): string {
  return mkdtempSync(join(dir, 'out-'));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'p2pos-files-commands-'));
  sandbox = createSandboxPool();
  context = createTestContext();
  net = createNetAccess({
    kernel: context.kernel,
    config: {
      offline: false,
      tracker: undefined,
      host: '127.0.0.1',
      port: 0,
      trackerPort: 0,
      name: 'here',
      heartbeatMs: 200,
      secret,
    },
    log: () => {},
  });
  context.net = net;
  await net.peer();
});

after(async () => {
  await Promise.all(seeders.map((peer) => peer.close()));
  await net.close();
  await sandbox.close();
  rmSync(dir, {recursive: true, force: true});
});

test('wrong arguments fail with EUSAGE and the usage, before anything is shared or fetched', async () => {
  const cases: [line: string, message: RegExp][] = [
    ['upload', /^Missing argument\. Usage: upload PATH \[--name NAME\] \[--group G\] \[--chunk-size SIZE\]$/],
    ['upload a b', /^Too many arguments: `b`\./],
    ['upload a --chunk-size 1K', /^Bad --chunk-size `1K`: expected a size from 4\.0 KiB to 4\.0 MiB/],
    ['upload a --chunk-size 8MiB', /^Bad --chunk-size `8MiB`/],
    ['upload a --chunk-size lots', /^Bad --chunk-size `lots`/],
    ['upload a --group=', /^Bad --group ``: expected 1 to 64 characters\./],
    [`upload a --group ${'g'.repeat(65)}`, /^Bad --group `g+`/],
    ['upload a --name ..', /^Bad --name: File name "\.\." names a directory/],
    ['upload a --bogus', /^Unknown option `--bogus`\. Options: --name, --group, --chunk-size\./],
    ['files extra', /^Too many arguments: `extra`\. Usage: files \[--all\] \[--group G\]$/],
    ['files --group=', /^Bad --group ``/],
    ['download', /^Missing argument\. Usage: download ID\|NAME \[DEST\] \[--peers N\] \[--force\] \[--bg\]$/],
    ['download a b c', /^Too many arguments: `c`\./],
    // refs and names the tracker would take for a malformed message, closing the link
    ["download ''", /^Bad file ``: expected a file id, an id prefix or a name of 1 to 255 characters\./],
    [`download ${'a'.repeat(256)}`, /^Bad file `a{32}…`/],
    ["useradd '' --password long-enough", /^User name "" is not allowed\. Expected 1-32 characters\./],
    [`login ${'u'.repeat(65)} --password long-enough`, /^User name "u+" is not allowed/],
    ["group create ''", /^Group name "" is not allowed/],
    ["group accept lab ''", /^User name "" is not allowed/],
    ['download a --peers 0', /^Bad --peers `0`: expected a whole number from 1 to 1000\./],
    ['download a --peers 2.5', /^Bad --peers `2\.5`/],
    ['download a --peers many', /^Bad --peers `many`/],
    ['download a --peers', /^Option --peers needs a value\./],
    ['downloads stop', /^Missing argument\. Usage: downloads \[ls\] \| downloads stop ID$/],
    ['downloads stop x', /^Bad download id `x`: expected a whole number from 1 to/],
    ['downloads stop 0', /^Bad download id `0`/],
    ['downloads stop 1 2', /^Too many arguments: `2`\./],
    ['downloads ls 1', /^Too many arguments: `1`\./],
    ['downloads pause 1', /^Unknown downloads subcommand `pause`\. Expected one of: ls, stop\./],
    ['unshare', /^Missing argument\. Usage: unshare ID\|NAME$/],
    ['unshare a b', /^Too many arguments: `b`\./],
  ];
  for (const [line, message] of cases) assert.match(await runFails(context, line, 'EUSAGE'), message, line);
  assert.deepEqual((await runOk(context, 'files --all')).data, {files: []}, 'nothing was shared');
});

test("a password file that cannot be read is named with the reason, not Node's message", async () => {
  const missing = join(dir, 'no-such.pw');
  assert.equal(
    await runFails(context, `login tess --password-file ${missing}`, 'ENOENT'),
    `Cannot read password file ${missing}: no such file.`,
  );
});

test('an inline --password is a warning of the outcome, not a line of the output or a field of its data', async () => {
  await runOk(context, 'useradd wes --password wes-password');
  const outcome = await run(context, 'login wes --password wes-password');
  assert.ok(outcome.ok, JSON.stringify(outcome));
  assert.deepEqual(outcome.warnings, [
    '--password is visible to other users of this machine (ps, shell history); prefer --password-file FILE or P2POS_PASSWORD.',
  ]);
  assert.deepEqual(Object.keys(outcome.data).sort(), ['expiresAt', 'user']);
  assert.equal(outcome.blocks.length, 1);
  assert.match(String(outcome.blocks[0]), /^logged in as wes until /);
});

test('upload prints the file id and what was shared; files lists it with its holders', async () => {
  // A group's file is shared by a member: this shell logs in as the group's owner (issue 6).
  await runOk(context, 'useradd tess --password tess-password');
  await runOk(context, 'login tess --password tess-password');
  await runOk(context, 'group create lab');
  const path = randomFile('notes.bin', 300 * 1024 + 7);
  const {lines, data} = await runOk(
    context,
    `upload ${path} --name notes.txt --group lab --chunk-size 64KiB`,
  );
  const fileId = data.fileId as string;
  assert.match(fileId, /^[0-9a-f]{64}$/);
  assert.equal(lines[0], fileId);
  assert.match(
    lines[1]!,
    /^shared notes\.txt: 300\.0 KiB, 5 chunks of 64\.0 KiB, hashed in \d+ ms \(\d+\.\d MB\/s\), group lab$/,
  );
  assert.deepEqual(Object.keys(data).sort(), [
    'chunkCount',
    'chunkSize',
    'fileId',
    'group',
    'hashMs',
    'isNew',
    'name',
    'path',
    'size',
  ]);
  assert.equal(data.size, 300 * 1024 + 7);
  assert.equal(data.isNew, true);

  const seed = await seeder('seed-notes');
  // The same bytes shared again under another name and no group, by a peer with no session: the
  // network's name and group stay (the listing below), but a peer that may not see group lab's files
  // is not told them either; it hears back what it asked for.
  const again = await seed.sharing.upload(path, {name: 'renamed.txt', chunkSize: 64 * 1024});
  assert.deepEqual([again.name, again.group, again.isNew], ['renamed.txt', null, false]);
  // A member uploading it again under another name is told the network's name and group, and keeps
  // them (unshare below names it notes.txt).
  const member = await runOk(context, `upload ${path} --name other.txt --chunk-size 64KiB`);
  assert.deepEqual([member.data.name, member.data.group, member.data.isNew], ['notes.txt', 'lab', false]);
  const listed = await runOk(context, 'files --group lab');
  assert.equal(listed.lines[0], 'ID            NAME            SIZE  PEERS  GROUP  OWNER');
  assert.equal(listed.lines[1], `${fileId.slice(0, 12)}  notes.txt  300.0 KiB      2  lab    tess`);
  assert.equal(listed.lines.at(-1), '1 file in group lab');
  assert.equal((listed.data.files as {fileId: string}[])[0]!.fileId, fileId);
  assert.deepEqual((await runOk(context, 'files --group other')).data, {files: []});

  // this peer stops sharing it: one holder left, and the tracker still lists it
  const unshared = await runOk(context, `unshare ${fileId.slice(0, 6)}`);
  assert.deepEqual(unshared.lines, [`stopped sharing notes.txt (${fileId.slice(0, 12)})`]);
  assert.deepEqual(unshared.data, {fileId, name: 'notes.txt'});
  assert.match((await runOk(context, 'files --group lab')).lines[1]!, / {6}1 {2}lab {4}tess$/);
  assert.match(
    await runFails(context, 'unshare notes.txt', 'ENOENT'),
    /This peer shares no file `notes\.txt`/,
  );
});

test('upload of a missing file or a directory fails with the file error code', async () => {
  assert.match(await runFails(context, `upload ${join(dir, 'absent.bin')}`, 'ENOENT'), /absent\.bin/);
  assert.match(await runFails(context, `upload ${dir}`, 'EISDIR'), /is a directory/);
});

test('a script download waits for the file, byte-identical, and reports size, time, rate and peers', async () => {
  const source = randomFile('big.bin', 2 * 1024 * 1024 + 99);
  const [a, b] = await Promise.all([seeder('seed-a'), seeder('seed-b')]);
  const up = await a.sharing.upload(source, {chunkSize: 64 * 1024});
  await b.sharing.upload(source, {chunkSize: 64 * 1024});
  const out = outDir();
  const {lines, data} = await runOk(context, `download ${up.fileId.slice(0, 8)} ${out}`);
  const path = join(out, 'big.bin');
  assert.deepEqual(readFileSync(path), readFileSync(source));
  assert.equal(lines[0], path);
  assert.match(lines[1]!, /^2\.0 MiB in \d+\.\d\d s \(\d+\.\d MB\/s\) from [12] peers?$/);
  assert.deepEqual(Object.keys(data).sort(), [
    'fileId',
    'mbPerS',
    'ms',
    'path',
    'peers',
    'resumedChunks',
    'size',
  ]);
  assert.equal(data.path, path);
  assert.equal(data.fileId, up.fileId);
  assert.equal(data.size, up.size);
  assert.equal(data.resumedChunks, 0);
  assert.ok((data.ms as number) > 0 && (data.mbPerS as number) > 0);

  // done, this peer seeds it too
  const listed = await runOk(context, `files`);
  assert.ok(listed.lines.some((line) => line.startsWith(up.fileId.slice(0, 12)) && / 3 {2}-/.test(line)));

  // the file is there now: only --force replaces it
  assert.match(await runFails(context, `download big.bin ${out}`, 'EEXIST'), /force/);
  await runOk(context, `download big.bin ${out} --force`);
  assert.deepEqual(readFileSync(path), readFileSync(source));

  const table = await runOk(context, 'downloads');
  assert.deepEqual(table.lines[0]!.split(/\s+/), [
    'ID',
    'NAME',
    'STATE',
    'PROGRESS',
    'SIZE',
    'RATE',
    'PEERS',
    'ETA',
  ]);
  assert.ok(
    table.lines.some((line) =>
      /^ *\d+ +big\.bin +done +100% █{10} +2\.0 MiB +\d+\.\d MB\/s +- +-$/.test(line),
    ),
    table.lines.join('\n'),
  );
  const views = table.data.downloads as {fileId: string; state: string; running: boolean}[];
  assert.ok(views.some((view) => view.fileId === up.fileId && view.state === 'done' && !view.running));
});

test('--bg, and any download in the console, returns at once; downloads shows it until it is done', async () => {
  const source = randomFile('bg.bin', 512 * 1024);
  const seed = await seeder('seed-bg');
  const up = await seed.sharing.upload(source, {chunkSize: 16 * 1024});
  const sharing = (await net.peer()).sharing;

  const bg = await runOk(context, `download ${up.fileId} ${outDir()} --bg`);
  const id = bg.data.id as number;
  assert.equal(bg.data.fileId, up.fileId);
  assert.match(
    bg.lines[0]!,
    new RegExp(`^downloading bg\\.bin \\(512\\.0 KiB\\) as download ${id} to .*bg\\.bin$`),
  );
  assert.equal(bg.lines[1], `watch it with \`downloads\`; \`downloads stop ${id}\` pauses it`);
  await sharing.running(id)?.done;
  const done = (await runOk(context, 'downloads')).data.downloads as {id: number; state: string}[];
  assert.equal(done.find((view) => view.id === id)?.state, 'done');

  const ended: string[] = [];
  const console: Context = {...context, panes: new PaneStore(), notify: (line) => ended.push(String(line))};
  const live = await runOk(console, `download bg.bin ${outDir()}`);
  assert.equal(
    live.lines[1],
    `watch it with \`downloads\` or in the downloads pane (F9); \`downloads stop ${live.data.id}\` pauses it`,
  );
  const handle = sharing.running(live.data.id as number);
  assert.ok(handle, 'still running when the command has returned');
  const path = await handle.done;
  assert.equal(readFileSync(path).length, 512 * 1024);
  // the console hears how it ended, in one line
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(ended.length, 1, ended.join('\n'));
  assert.match(
    ended[0]!,
    new RegExp(`^download ${live.data.id} done: .*bg\\.bin, 512\\.0 KiB, \\d+\\.\\d MB/s$`),
  );
  assert.ok(ended[0]!.includes(path), ended[0]);
});

test('a background download that fails says why in one line; a paused one says nothing', async () => {
  const failures: Record<string, [code: string, message: string]> = {
    'gone.bin': ['ENOPEER', 'No live peer has the 24 missing chunks.'],
    'paused.bin': ['ECANCELED', 'Download of paused.bin stopped by `downloads stop`.'],
  };
  let id = 0;
  const sharing = {
    download: async (ref: string) => {
      const view = {id: ++id, fileId: 'ab'.repeat(32), name: ref, size: 1024, bytesDone: 0, resumedChunks: 0};
      const [code, message] = failures[ref]!;
      const done = Promise.reject(Object.assign(new Error(message), {code}));
      return {...view, path: `/tmp/${ref}`, done, view: () => view};
    },
  };
  const ended: string[] = [];
  const console: Context = {
    ...createTestContext(),
    panes: new PaneStore(),
    net: {peer: async () => ({sharing})} as unknown as NetAccess,
    notify: (line) => ended.push(String(line)),
  };
  await runOk(console, 'download gone.bin');
  await runOk(console, 'download paused.bin');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(ended, ['download 1 failed: ENOPEER: No live peer has the 24 missing chunks.']);
});

test('downloads stop pauses a running download; download again resumes from the verified chunks', async () => {
  // a capped seeder: 1 MiB at 1 MiB/s takes a second, time to stop it early on. (Small chunks: the
  // chunks it has queued for the cap when it closes still hold the process for a while.)
  const source = randomFile('slow.bin', 1024 * 1024);
  const slow = await seeder('seed-slow', {maxUploadRate: 1024 * 1024});
  const up = await slow.sharing.upload(source, {chunkSize: 4 * 1024});
  const sharing = (await net.peer()).sharing;
  const out = outDir();

  // a script's download blocks; stopped from outside, it fails with ECANCELED and says how to resume
  const waiting = run(context, `download slow.bin ${out}`);
  let id: number | undefined;
  while (id === undefined || (sharing.running(id)?.view().chunksDone ?? 0) < 8) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    id = sharing.downloads().find((view) => view.fileId === up.fileId && view.state === 'active')?.id;
  }
  const stopped = await runOk(context, `downloads stop ${id}`);
  assert.match(
    stopped.lines[0]!,
    new RegExp(
      `^paused download ${id} \\(slow\\.bin\\) at \\d+%: \\d+ of 256 chunks kept; \`download ${up.fileId.slice(0, 12)}\` to the same place resumes it$`,
    ),
  );
  assert.equal(stopped.data.state, 'paused');
  const failed = await waiting;
  assert.ok(!failed.ok && failed.code === 'ECANCELED', JSON.stringify(failed));
  assert.match(failed.ok ? '' : failed.error, /stopped by `downloads stop`; run download again to resume\.$/);
  assert.ok(!existsSync(join(out, 'slow.bin')), 'nothing under the final name');

  const listed = await runOk(context, 'downloads');
  assert.ok(listed.lines.some((line) => new RegExp(`^ *${id} +slow\\.bin +paused +\\d+% █*░+ `).test(line)));
  assert.match(
    await runFails(context, `downloads stop ${id}`, 'ENOENT'),
    new RegExp(`^Download ${id} \\(slow\\.bin\\) is not running: it is paused\\.$`),
  );
  assert.match(await runFails(context, 'downloads stop 9999', 'ENOENT'), /^There is no download 9999/);

  // an uncapped seeder joins; the download picks up where it stopped
  await (await seeder('seed-fast')).sharing.upload(source, {chunkSize: 4 * 1024});
  const resumed = await runOk(context, `download ${up.fileId} ${out}`);
  assert.ok((resumed.data.resumedChunks as number) >= 8, JSON.stringify(resumed.data));
  assert.match(resumed.lines[1]!, /, resumed with \d+ of 256 chunks already here$/);
  assert.deepEqual(readFileSync(join(out, 'slow.bin')), readFileSync(source));
});

test('a download of what nobody shares fails with the tracker code; an absent directory with ENOENT', async () => {
  assert.match(await runFails(context, 'download nothing-by-this-name', 'ENOENT'), /No shared file matches/);
  const source = randomFile('where.bin', 4096);
  await (await seeder('seed-where')).sharing.upload(source);
  assert.match(
    await runFails(context, `download where.bin ${join(dir, 'no', 'such', 'dir', 'x.bin')}`, 'ENOENT'),
    /does not exist/,
  );
});

test('help lists the five commands and explains each', async () => {
  const {data} = await runOk(context, 'help');
  const names = (data.commands as {name: string}[]).map((command) => command.name);
  for (const name of ['upload', 'files', 'download', 'downloads', 'unshare']) {
    assert.ok(names.includes(name), name);
    const one = await runOk(context, `help ${name}`);
    assert.match(one.lines[0]!, new RegExp(`^${name} - `));
  }
});
