import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {test, type TestContext} from 'node:test';
import Database from 'better-sqlite3';
import {openFileRegistry, type FileRegistry, type SharedFile} from '../../src/net/file-registry.js';
import {MIN_CHUNK_SIZE} from '../../src/net/files/manifest.js';
import {NetError, type NetErrorCode} from '../../src/net/net-error.js';

type NewFile = Omit<SharedFile, 'sharedAt'>;

const EMPTY_FILE_ID = createHash('sha256').digest('hex');
const everyoneAlive = () => true;

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A clock the test moves by hand. */
function fakeClock(start = 1_000): {now: () => number; advance: (ms: number) => void} {
  let time = start;
  return {now: () => time, advance: (ms) => (time += ms)};
}

function tempFile(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2pos-file-registry-'));
  t.after(() => fs.rmSync(dir, {recursive: true, force: true}));
  return path.join(dir, 'tracker', 'files.sqlite');
}

function open(t: TestContext, file = ':memory:'): {files: FileRegistry; clock: ReturnType<typeof fakeClock>} {
  const clock = fakeClock();
  const files = openFileRegistry(file, {now: clock.now});
  t.after(() => files.close());
  return {files, clock};
}

/**
 * A file of `chunks` chunks of MIN_CHUNK_SIZE (the last one half full), its id and hashes made up from
 * `seed`; `fileId` overrides the id (to test prefixes).
 */
function sharedFile(seed: string, fields: Partial<NewFile> & {chunks?: number} = {}): NewFile {
  const {chunks = 3, ...rest} = fields;
  const size = chunks === 0 ? 0 : (chunks - 1) * MIN_CHUNK_SIZE + MIN_CHUNK_SIZE / 2;
  const fileId = rest.fileId ?? (chunks === 0 ? EMPTY_FILE_ID : sha256Hex(seed));
  const hashes =
    chunks === 1
      ? Buffer.from(fileId, 'hex')
      : Buffer.concat(
          Array.from({length: chunks}, (_, index) => Buffer.from(sha256Hex(`${seed}/${index}`), 'hex')),
        );
  return {
    fileId,
    name: `${seed}.bin`,
    size,
    chunkSize: MIN_CHUNK_SIZE,
    chunkCount: chunks,
    hashes,
    owner: 'alice',
    group: null,
    ...rest,
  };
}

/** An id starting with `prefix`, the rest made up from `seed`. */
function idStartingWith(prefix: string, seed: string): string {
  return prefix + sha256Hex(seed).slice(prefix.length);
}

function assertNetError(run: () => unknown, code: NetErrorCode, mentions: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof NetError, `expected a NetError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.ok(error.message.includes(mentions), `message should mention ${mentions}: ${error.message}`);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

test('share registers a new file and its first holder, then only adds holders', (t) => {
  const {files, clock} = open(t);
  const file = sharedFile('report');
  assert.deepEqual(files.share('p1', file), {created: true, name: 'report.bin', group: null});
  clock.advance(50);
  // The first manifest wins: a later SHARE of the same bytes under another name keeps the first one's
  // fields, and is told them.
  assert.deepEqual(files.share('p2', {...file, name: 'copy.bin', owner: 'bob', group: 'lab'}), {
    created: false,
    name: 'report.bin',
    group: null,
  });
  const {hashes, ...fields} = file;
  assert.deepEqual(files.list({isAlive: everyoneAlive}), [
    {...fields, sharedAt: 1_000, seeders: 2, partial: 0},
  ]);
  const resolved = files.resolve(file.fileId);
  assert.deepEqual({...resolved, hashes: undefined}, {...fields, sharedAt: 1_000, hashes: undefined});
  assert.ok(resolved.hashes.equals(hashes));
  assert.deepEqual(files.holders(file.fileId, everyoneAlive), [
    {peerId: 'p1', complete: true, have: 3},
    {peerId: 'p2', complete: true, have: 3},
  ]);
});

test('share accepts an empty file and a one-chunk file', (t) => {
  const {files} = open(t);
  files.share('p1', sharedFile('empty', {chunks: 0}));
  files.share('p1', sharedFile('tiny', {chunks: 1}));
  assert.deepEqual(files.holders(EMPTY_FILE_ID, everyoneAlive), [{peerId: 'p1', complete: true, have: 0}]);
  assert.equal(files.resolve('tiny.bin').chunkCount, 1);
  assert.equal(files.resolve(EMPTY_FILE_ID).hashes.length, 0);
});

test('resolve finds a file by full id in any case, by a unique prefix in any case, and by exact name', (t) => {
  const {files} = open(t);
  const first = sharedFile('first', {fileId: idStartingWith('abcd1', 'first')});
  const second = sharedFile('second', {fileId: idStartingWith('abcd2', 'second')});
  files.share('p1', first);
  files.share('p1', second);
  assert.equal(files.resolve(first.fileId).fileId, first.fileId);
  assert.equal(files.resolve(first.fileId.toUpperCase()).fileId, first.fileId);
  assert.equal(files.resolve('abcd1').fileId, first.fileId);
  assert.equal(files.resolve('ABCD2').fileId, second.fileId);
  assert.equal(files.resolve('second.bin').fileId, second.fileId);
  assertNetError(() => files.resolve('Second.bin'), 'ENOENT', '"Second.bin"'); // names are exact
  assertNetError(() => files.resolve('abc'), 'ENOENT', '"abc"'); // too short to be a prefix
  assertNetError(() => files.resolve('ffff'), 'ENOENT', 'No shared file matches "ffff"');
  assertNetError(() => files.resolve(idStartingWith('abcd3', 'x')), 'ENOENT', 'No shared file');
});

test('resolve throws EAMBIG listing the candidates when a prefix or a name matches several files', (t) => {
  const {files} = open(t);
  const first = sharedFile('first', {fileId: idStartingWith('abcd1', 'first')});
  const second = sharedFile('second', {fileId: idStartingWith('abcd2', 'second')});
  files.share('p1', first);
  files.share('p1', second);
  assertNetError(
    () => files.resolve('abcd'),
    'EAMBIG',
    `"abcd" matches 2 shared files: ${first.fileId.slice(0, 12)} first.bin, ${second.fileId.slice(0, 12)} second.bin;`,
  );
  files.share('p1', sharedFile('third', {name: 'first.bin'}));
  assertNetError(() => files.resolve('first.bin'), 'EAMBIG', '"first.bin" matches 2 shared files');
  // Two files named like a prefix of two others: all four are candidates.
  files.share('p1', sharedFile('fifth', {name: 'abcd'}));
  files.share('p1', sharedFile('sixth', {name: 'abcd'}));
  assertNetError(() => files.resolve('abcd'), 'EAMBIG', '"abcd" matches 4 shared files');
});

test('an EAMBIG message lists five candidates and counts the rest', (t) => {
  const {files} = open(t);
  for (let index = 0; index < 8; index += 1)
    files.share('p1', sharedFile(`f${index}`, {fileId: idStartingWith(`beef${index}`, `f${index}`)}));
  assertNetError(() => files.resolve('BEEF'), 'EAMBIG', '"BEEF" matches 8 shared files: beef0');
  assertNetError(() => files.resolve('beef'), 'EAMBIG', 'f4.bin, and 3 more; give more of the id.');
});

test('a full id wins over a name, and a unique exact name over a prefix', (t) => {
  const {files} = open(t);
  const target = sharedFile('target', {fileId: idStartingWith('cafe', 'target')});
  files.share('p1', target);
  files.share('p1', sharedFile('impostor', {name: target.fileId}));
  const named = sharedFile('named', {name: 'cafe'});
  files.share('p1', named);
  assert.equal(files.resolve(target.fileId).fileId, target.fileId);
  assert.equal(files.resolve('cafe').fileId, named.fileId);
  assert.equal(files.resolve('CAFE').fileId, target.fileId); // not the name: names are exact
});

test('share throws EEXIST when the id is known with another size, chunk size or hashes', (t) => {
  const {files} = open(t);
  const file = sharedFile('report');
  files.share('p1', file);
  const otherChunks = {
    ...file,
    chunkSize: MIN_CHUNK_SIZE * 2,
    chunkCount: 2,
    hashes: file.hashes.subarray(0, 64),
  };
  assertNetError(() => files.share('p2', otherChunks), 'EEXIST', `in chunks of ${MIN_CHUNK_SIZE},`);
  assertNetError(() => files.share('p2', {...file, size: file.size + 1}), 'EEXIST', file.fileId);
  const otherHashes = Buffer.from(file.hashes);
  otherHashes[5]! ^= 1;
  assertNetError(() => files.share('p2', {...file, hashes: otherHashes}), 'EEXIST', 'other chunk hashes');
  assert.deepEqual(files.holders(file.fileId, everyoneAlive), [{peerId: 'p1', complete: true, have: 3}]);
});

test('have records a partial holder, and the count it reports, up or down', (t) => {
  const {files} = open(t);
  const file = sharedFile('movie', {chunks: 4});
  files.share('seed', file);
  files.have('leech', file.fileId, 1);
  assert.equal(files.list({isAlive: everyoneAlive})[0]!.partial, 1);
  files.have('leech', file.fileId, 4);
  assert.deepEqual(files.holders(file.fileId, everyoneAlive), [
    {peerId: 'leech', complete: true, have: 4},
    {peerId: 'seed', complete: true, have: 4},
  ]);
  files.have('seed', file.fileId, 2); // exactly what the peer says, even a seeder's lower count
  files.have('other', file.fileId, 3);
  assert.deepEqual(files.holders(file.fileId, everyoneAlive), [
    {peerId: 'leech', complete: true, have: 4},
    {peerId: 'other', complete: false, have: 3},
    {peerId: 'seed', complete: false, have: 2},
  ]);
  const [summary] = files.list({isAlive: everyoneAlive});
  assert.deepEqual([summary!.seeders, summary!.partial], [1, 2]);
});

test('have refuses an unknown file and a count out of range', (t) => {
  const {files} = open(t);
  const file = sharedFile('movie', {chunks: 4});
  files.share('seed', file);
  assertNetError(() => files.have('leech', sha256Hex('nothing'), 1), 'ENOENT', sha256Hex('nothing'));
  for (const bad of [0, 5, 1.5, -1, Number.NaN, '2' as unknown as number])
    assertNetError(() => files.have('leech', file.fileId, bad), 'EINVAL', 'from 1 to 4');
  assertNetError(() => files.have('', file.fileId, 1), 'EINVAL', 'Peer id ""');
  assert.deepEqual(files.holders(file.fileId, everyoneAlive).length, 1);
});

test('list and holders count only live holders; without all, a file needs one', (t) => {
  const {files, clock} = open(t);
  const a = sharedFile('a');
  const b = sharedFile('b');
  files.share('p1', a);
  clock.advance(10);
  files.share('p2', b);
  files.have('p3', b.fileId, 1);
  const alive = new Set(['p2']);
  const isAlive = (peerId: string) => alive.has(peerId);
  const counts = (options: {all?: boolean}) =>
    files.list({...options, isAlive}).map((file) => [file.name, file.seeders, file.partial]);
  assert.deepEqual(counts({}), [['b.bin', 1, 0]]);
  assert.deepEqual(counts({all: true}), [
    ['b.bin', 1, 0],
    ['a.bin', 0, 0],
  ]);
  alive.add('p3');
  assert.deepEqual(counts({}), [['b.bin', 1, 1]]);
  alive.delete('p2');
  assert.deepEqual(files.holders(b.fileId, isAlive), [{peerId: 'p3', complete: false, have: 1}]);
  assert.deepEqual(files.holders(a.fileId, isAlive), []);
  assertNetError(() => files.holders(sha256Hex('nothing'), isAlive), 'ENOENT', 'No shared file has id');
});

test('list is newest first, ties by id, and filters on the exact group', (t) => {
  const {files, clock} = open(t);
  const ids = ['lab1', 'lab2', 'open', 'class'].map((seed) => sharedFile(seed).fileId);
  files.share('p1', sharedFile('lab1', {group: 'lab'}));
  files.share('p1', sharedFile('lab2', {group: 'lab'})); // same time as lab1
  clock.advance(5);
  files.share('p1', sharedFile('open'));
  clock.advance(5);
  files.share('p1', sharedFile('class', {group: 'class'}));
  const [lab1, lab2] = [ids[0]!, ids[1]!].sort();
  const listed = (group?: string | null) =>
    files.list({isAlive: everyoneAlive, ...(group === undefined ? {} : {group})}).map((file) => file.fileId);
  assert.deepEqual(listed(), [ids[3], ids[2], lab1, lab2]);
  assert.deepEqual(listed('lab'), [lab1, lab2]);
  assert.deepEqual(listed(null), [ids[2]]);
  assert.deepEqual(listed('la'), []);
});

test('unshare drops one holder and keeps the file record', (t) => {
  const {files} = open(t);
  const file = sharedFile('report');
  files.share('p1', file);
  assert.equal(files.unshare('p2', file.fileId), false);
  assert.equal(files.unshare('p1', sha256Hex('nothing')), false);
  assert.equal(files.unshare('p1', file.fileId), true);
  assert.equal(files.unshare('p1', file.fileId), false);
  assert.deepEqual(files.list({isAlive: everyoneAlive}), []);
  assert.equal(files.list({all: true, isAlive: everyoneAlive}).length, 1);
  assert.equal(files.resolve('report.bin').fileId, file.fileId);
  assert.deepEqual(files.share('p1', file), {created: false, name: 'report.bin', group: null});
});

test('dropPeer forgets every holding of a peer and no other', (t) => {
  const {files} = open(t);
  const a = sharedFile('a');
  const b = sharedFile('b');
  files.share('gone', a);
  files.share('stays', a);
  files.share('stays', b);
  files.have('gone', b.fileId, 2);
  files.dropPeer('gone');
  files.dropPeer('never-seen');
  assert.deepEqual(
    files.holders(a.fileId, everyoneAlive).map((holding) => holding.peerId),
    ['stays'],
  );
  assert.deepEqual(
    files.holders(b.fileId, everyoneAlive).map((holding) => holding.peerId),
    ['stays'],
  );
  assert.equal(files.unshare('gone', a.fileId), false);
});

test('a reopened file registry holds the same files, holders and hashes', (t) => {
  const file = tempFile(t);
  const clock = fakeClock(5_000);
  const first = openFileRegistry(file, {now: clock.now});
  const a = sharedFile('a', {group: 'lab', owner: 'carol'});
  const b = sharedFile('b', {fileId: idStartingWith('d00d', 'b')});
  first.share('p1', a);
  clock.advance(7);
  first.share('p2', b);
  first.have('p3', b.fileId, 2);
  first.have('p4', a.fileId, 1);
  first.share('p4', b);
  first.unshare('p2', b.fileId);
  first.dropPeer('p4');
  const before = first.list({all: true, isAlive: everyoneAlive});
  first.close();
  first.close(); // a second close does nothing

  const second = openFileRegistry(file, {now: clock.now});
  t.after(() => second.close());
  assert.deepEqual(second.list({all: true, isAlive: everyoneAlive}), before);
  assert.deepEqual(
    before.map((summary) => [summary.name, summary.sharedAt, summary.seeders, summary.partial]),
    [
      ['b.bin', 5_007, 0, 1],
      ['a.bin', 5_000, 1, 0],
    ],
  );
  assert.deepEqual(second.holders(b.fileId, everyoneAlive), [{peerId: 'p3', complete: false, have: 2}]);
  const resolved = second.resolve('D00D');
  assert.equal(resolved.fileId, b.fileId);
  assert.ok(resolved.hashes.equals(b.hashes));
  assert.deepEqual([second.resolve('a.bin').owner, second.resolve('a.bin').group], ['carol', 'lab']);
  assertNetError(() => second.share('p9', {...a, size: a.size - 1}), 'EEXIST', a.fileId);
  assert.equal(second.share('p9', sharedFile('c')).created, true);
  assert.equal(second.resolve('c.bin').sharedAt, 5_007);
});

test('share refuses each bad field with EINVAL naming it', (t) => {
  const {files} = open(t);
  const good = sharedFile('good');
  const cases: Array<[string, Partial<NewFile>, string]> = [
    ['uppercase id', {fileId: good.fileId.toUpperCase()}, 'Expected 64 lowercase hex digits'],
    ['short id', {fileId: 'abcd'}, 'File id "abcd"'],
    ['empty name', {name: ''}, 'has name ""'],
    ['long name', {name: 'x'.repeat(256)}, 'Expected 1 to 255 characters'],
    ['name with NUL', {name: 'a\0b'}, 'without NUL'],
    ['negative size', {size: -1}, 'has size -1'],
    ['fractional size', {size: 1.5}, 'has size 1.5'],
    ['small chunks', {chunkSize: MIN_CHUNK_SIZE - 1}, `has chunk size ${MIN_CHUNK_SIZE - 1}`],
    ['wrong chunk count', {chunkCount: 4}, 'has chunk count 4. Expected 3'],
    ['short hashes', {hashes: good.hashes.subarray(1)}, 'has 95 bytes of chunk hashes. Expected 96'],
    ['hashes not bytes', {hashes: 'abc' as unknown as Buffer}, 'has hashes "abc"'],
    ['empty owner', {owner: ''}, 'has owner ""'],
    ['long owner', {owner: 'o'.repeat(65)}, 'Expected a peer name of 1 to 64 characters'],
    ['empty group', {group: ''}, 'has group ""'],
    ['long group', {group: 'g'.repeat(65)}, 'Expected null or 1 to 64 characters'],
    ['empty file with another id', {size: 0, chunkCount: 0, hashes: Buffer.alloc(0)}, 'is empty'],
    ['too many chunks', {size: 65_537 * MIN_CHUNK_SIZE}, 'Expected at most 65536'],
  ];
  for (const [what, fields, mentions] of cases)
    assertNetError(() => files.share('p1', {...good, ...fields}), 'EINVAL', mentions);
  const oneChunk = sharedFile('one', {chunks: 1});
  assertNetError(
    () => files.share('p1', {...oneChunk, hashes: Buffer.alloc(32)}),
    'EINVAL',
    'its chunk hash differs from its id',
  );
  assertNetError(() => files.share('p'.repeat(65), good), 'EINVAL', 'Peer id');
  assertNetError(() => files.share('p1', null as unknown as NewFile), 'EINVAL', 'Shared file is missing');
  assert.deepEqual(files.list({all: true, isAlive: everyoneAlive}), []);
});

test('resolve and list refuse bad arguments with EINVAL', (t) => {
  const {files} = open(t);
  assertNetError(() => files.resolve(''), 'EINVAL', 'File reference ""');
  assertNetError(() => files.resolve('x'.repeat(256)), 'EINVAL', 'of 1 to 255 characters');
  assertNetError(() => files.resolve(42 as unknown as string), 'EINVAL', 'File reference 42');
  assertNetError(() => files.list({} as unknown as {isAlive: () => boolean}), 'EINVAL', 'isAlive is missing');
  assertNetError(() => openFileRegistry('', {now: Date.now}), 'EINVAL', 'path is empty');
  assertNetError(
    () => openFileRegistry(':memory:', {} as unknown as {now: () => number}),
    'EINVAL',
    'option now is missing',
  );
});

test('a closed registry throws EBADF', () => {
  const files = openFileRegistry(':memory:', {now: () => 0});
  files.close();
  assertNetError(() => files.resolve('x'), 'EBADF', 'is closed');
  assertNetError(() => files.share('p1', sharedFile('a')), 'EBADF', 'is closed');
  assertNetError(() => files.list({isAlive: everyoneAlive}), 'EBADF', 'is closed');
});

test('a file that is not a registry, or holds rows that do not add up, throws EIO naming it', (t) => {
  const garbage = tempFile(t);
  fs.mkdirSync(path.dirname(garbage), {recursive: true});
  fs.writeFileSync(garbage, 'not a database, just some text that is long enough to look like a header');
  assertNetError(() => openFileRegistry(garbage, {now: Date.now}), 'EIO', garbage);

  const bad = tempFile(t);
  openFileRegistry(bad, {now: Date.now}).close();
  const db = new Database(bad);
  const file = sharedFile('a');
  db.prepare(
    'INSERT INTO files (file_id, name, size, chunk_size, owner, share_group, shared_at, hashes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(file.fileId, file.name, file.size, file.chunkSize, file.owner, null, 1, file.hashes.subarray(32));
  db.close();
  assertNetError(() => openFileRegistry(bad, {now: Date.now}), 'EIO', `File registry ${bad} is broken`);

  const orphan = tempFile(t);
  openFileRegistry(orphan, {now: Date.now}).close();
  const orphanDb = new Database(orphan);
  orphanDb.prepare('INSERT INTO holders (file_id, peer_id, have) VALUES (?, ?, ?)').run(file.fileId, 'p1', 1);
  orphanDb.close();
  assertNetError(() => openFileRegistry(orphan, {now: Date.now}), 'EIO', 'which it does not list');

  const newer = tempFile(t);
  openFileRegistry(newer, {now: Date.now}).close();
  const newerDb = new Database(newer);
  newerDb.pragma('user_version = 99');
  newerDb.close();
  assertNetError(() => openFileRegistry(newer, {now: Date.now}), 'ENOTSUP', 'schema version 99');
});

test('100k files load from the file and resolve by id, prefix and name', (t) => {
  const file = tempFile(t);
  openFileRegistry(file, {now: Date.now}).close();
  const count = 100_000;
  const db = new Database(file);
  const insertFile = db.prepare(
    'INSERT INTO files (file_id, name, size, chunk_size, owner, share_group, shared_at, hashes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertHolder = db.prepare('INSERT INTO holders (file_id, peer_id, have) VALUES (?, ?, ?)');
  const hashes = Buffer.alloc(64);
  const ids: string[] = [];
  db.transaction(() => {
    for (let index = 0; index < count; index += 1) {
      const fileId = sha256Hex(`file ${index}`);
      ids.push(fileId);
      insertFile.run(
        fileId,
        `file-${index}`,
        2 * MIN_CHUNK_SIZE,
        MIN_CHUNK_SIZE,
        'alice',
        null,
        index,
        hashes,
      );
      insertHolder.run(fileId, `p${index % 100}`, 2);
    }
  })();
  db.close();

  const {files} = open(t, file);
  for (const index of [0, 1, 4_242, 77_777, count - 1]) {
    const fileId = ids[index]!;
    assert.equal(files.resolve(fileId).name, `file-${index}`);
    assert.equal(files.resolve(fileId.slice(0, 12)).fileId, fileId);
    assert.equal(files.resolve(`file-${index}`).fileId, fileId);
    assert.deepEqual(files.holders(fileId, everyoneAlive), [
      {peerId: `p${index % 100}`, complete: true, have: 2},
    ]);
  }
  // More shares go into the sorted index in place.
  const added = sharedFile('added');
  files.share('p1', added);
  assert.equal(files.resolve(added.fileId.slice(0, 16)).fileId, added.fileId);
  const listed = files.list({isAlive: (peerId) => peerId === 'p1'});
  assert.equal(listed.length, count / 100 + 1);
  assert.equal(listed[0]!.fileId, ids[count - 99]); // the newest of p1's
  assert.ok(listed.some((summary) => summary.fileId === added.fileId));
});
