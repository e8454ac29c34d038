import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {test, type TestContext} from 'node:test';
import Database from 'better-sqlite3';
import {
  openAccounts,
  verifySessionToken,
  type AccountChange,
  type AccountsOptions,
  type AccountStore,
} from '../../src/net/accounts.js';
import {NetError, type NetErrorCode} from '../../src/net/net-error.js';

const SECRET = Buffer.alloc(32, 1);
const CHEAP = {N: 1024}; // a millisecond or two per hash; the default (2^15) is for real passwords
const PASSWORD = 'correct horse';

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000): {now: () => number; advance: (ms: number) => void} {
  let time = start;
  return {now: () => time, advance: (ms) => (time += ms)};
}

function tempFile(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2pos-accounts-'));
  t.after(() => fs.rmSync(dir, {recursive: true, force: true}));
  return path.join(dir, 'tracker', 'accounts.sqlite');
}

function open(
  t: TestContext,
  options: Partial<AccountsOptions> & {file?: string} = {},
): {accounts: AccountStore; clock: ReturnType<typeof fakeClock>; changes: AccountChange[]} {
  const clock = fakeClock();
  const changes: AccountChange[] = [];
  const {file = ':memory:', ...rest} = options;
  const accounts = openAccounts(file, {
    secret: SECRET,
    now: clock.now,
    scrypt: CHEAP,
    onChange: (change) => changes.push(change),
    ...rest,
  });
  t.after(() => accounts.close());
  return {accounts, clock, changes};
}

function checkError(error: unknown, code: NetErrorCode, mentions: string): true {
  assert.ok(error instanceof NetError, `expected a NetError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  assert.ok(error.message.includes(mentions), `message should mention ${mentions}: ${error.message}`);
  assert.ok(!error.message.includes('\n'), 'one line');
  return true;
}

function assertNetError(run: () => unknown, code: NetErrorCode, mentions: string): void {
  assert.throws(run, (error: unknown) => checkError(error, code, mentions));
}

async function assertRejects(promise: Promise<unknown>, code: NetErrorCode, mentions: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => checkError(error, code, mentions));
}

/** Everything a user can see, for comparing two stores. */
function view(accounts: AccountStore, users: string[]): unknown {
  return users.map((user) => ({
    user,
    exists: accounts.hasUser(user),
    groups: accounts.hasUser(user) ? accounts.listGroups(user) : [],
    memberOf: accounts.groupsOf(user),
  }));
}

test('users, groups and requests survive closing and reopening the file', async (t) => {
  const file = tempFile(t);
  const first = open(t, {file});
  await first.accounts.addUser('alice', PASSWORD);
  await first.accounts.addUser('bob', 'bob password');
  await first.accounts.addUser('carol', 'carol password');
  first.accounts.createGroup('lab', 'alice');
  first.accounts.requestJoin('lab', 'bob');
  first.accounts.accept('lab', 'alice', 'bob');
  first.accounts.requestJoin('lab', 'carol');
  first.accounts.close();

  const {accounts} = open(t, {file});
  const session = await accounts.login('alice', PASSWORD, '127.0.0.1');
  assert.equal(accounts.verifySession(session.token).user, 'alice');
  assert.equal(accounts.isMember('lab', 'bob'), true);
  assert.deepEqual(
    accounts.listRequests('lab', 'alice').map((request) => request.user),
    ['carol'],
  );
  assert.deepEqual(accounts.listGroups('bob'), [
    {name: 'lab', owner: 'alice', members: 2, createdAt: 1_000_000, relation: 'member'},
  ]);
});

test('a closed store refuses calls with EBADF', (t) => {
  const {accounts} = open(t);
  accounts.close();
  accounts.close();
  assertNetError(() => accounts.hasUser('alice'), 'EBADF', 'closed');
});

test('user names are 1-32 characters of a-z 0-9 _ . -, lower case, not starting with . or -', async (t) => {
  const {accounts} = open(t);
  for (const name of ['a', 'alice_2', 'x.y-z', '_build', '9lives', 'a'.repeat(32)]) {
    await accounts.addUser(name, PASSWORD);
  }
  const refused: [string, string][] = [
    ['', '1-32 characters'],
    ['a'.repeat(33), '1-32 characters'],
    ['Alice', 'upper-case letters. Names are lower case: alice'],
    ['.hidden', 'starting with a letter, digit or _'],
    ['-rf', 'starting with a letter, digit or _'],
    ['al ice', '`al ice` is not allowed'],
    ['élan', '`élan` is not allowed'],
  ];
  for (const [name, mentions] of refused) {
    await assertRejects(accounts.addUser(name, PASSWORD), 'EINVAL', mentions);
  }
  await assertRejects(accounts.addUser('alice', 'short'), 'EINVAL', 'Expected at least 8');
  await assertRejects(accounts.addUser('alice', 'x'.repeat(1025)), 'EINVAL', 'at most 1024 bytes');
  await assertRejects(accounts.addUser('a', PASSWORD), 'EEXIST', 'User `a` already exists');
});

test('an unknown user and a wrong password get the same error, and both spend a hash', async (t) => {
  const {accounts} = open(t);
  await accounts.addUser('alice', PASSWORD);
  const errors: NetError[] = [];
  for (const [name, password] of [
    ['alice', 'wrong password'],
    ['mallory', PASSWORD],
  ] as const) {
    await assert.rejects(accounts.login(name, password, '10.0.0.1'), (error: unknown) => {
      errors.push(error as NetError);
      return checkError(error, 'EAUTH', 'Wrong user name or password.');
    });
  }
  assert.equal(errors[0]!.message, errors[1]!.message);

  // With one hashing slot and no queue, a login that holds the slot makes any other login that
  // needs a hash wait; the unknown user's is refused just like a known user's: it hashes too.
  const tight = open(t, {maxRunningHashes: 1, maxWaitingHashes: 0}).accounts;
  await tight.addUser('alice', PASSWORD);
  const holding = tight.login('alice', PASSWORD, '10.0.0.1');
  await assertRejects(tight.login('mallory', PASSWORD, '10.0.0.2'), 'EAGAIN', 'Password hashing is busy');
  await assertRejects(
    tight.login('alice', 'wrong password', '10.0.0.2'),
    'EAGAIN',
    'Password hashing is busy',
  );
  await holding;
});

test('after five failed logins a name waits, doubling, until the wait is over; a success resets it', async (t) => {
  const {accounts, clock} = open(t);
  await accounts.addUser('alice', PASSWORD);
  const fail = () => assertRejects(accounts.login('alice', 'guess!!!', '10.0.0.1'), 'EAUTH', 'Wrong');
  for (let attempt = 1; attempt <= 5; attempt += 1) await fail();
  await assertRejects(
    accounts.login('alice', PASSWORD, '10.0.0.1'),
    'EAGAIN',
    'Too many failed logins for user `alice`. Try again in 1 s.',
  );
  await assertRejects(accounts.login('alice', PASSWORD, '10.0.0.9'), 'EAGAIN', 'user `alice`');
  clock.advance(1_000);
  await fail(); // the sixth: two seconds now
  clock.advance(1_999);
  await assertRejects(accounts.login('alice', PASSWORD, '10.0.0.1'), 'EAGAIN', 'Try again in 1 s.');
  clock.advance(1);
  await accounts.login('alice', PASSWORD, '10.0.0.1');
  await fail(); // the count started over: one failure, no wait
  await fail();
  await accounts.login('alice', PASSWORD, '10.0.0.1');
});

test('one source failing across many names waits too, while other sources go on', async (t) => {
  const {accounts, clock} = open(t, {sourceThrottle: {freeFailures: 3}});
  await accounts.addUser('alice', PASSWORD);
  for (const name of ['root', 'admin', 'guest']) {
    await assertRejects(accounts.login(name, PASSWORD, '10.6.6.6'), 'EAUTH', 'Wrong');
  }
  await assertRejects(
    accounts.login('alice', PASSWORD, '10.6.6.6'),
    'EAGAIN',
    'Too many failed logins from 10.6.6.6. Try again in 1 s.',
  );
  await accounts.login('alice', PASSWORD, '10.0.0.1');
  clock.advance(1_000);
  await accounts.login('alice', PASSWORD, '10.6.6.6');
});

test('a session verifies without the store until it expires, and not with another secret', async (t) => {
  const {accounts, clock} = open(t, {sessionTtlMs: 60_000});
  await accounts.addUser('alice', PASSWORD);
  const session = await accounts.login('alice', PASSWORD, '10.0.0.1');
  assert.equal(session.user, 'alice');
  assert.equal(session.expiresAt, session.issuedAt + 60_000);
  const claims = verifySessionToken(session.token, SECRET, clock.now());
  assert.deepEqual(
    {user: claims.user, expiresAt: claims.expiresAt},
    {user: 'alice', expiresAt: session.expiresAt},
  );
  assertNetError(
    () => verifySessionToken(session.token, Buffer.alloc(32, 2), clock.now()),
    'EAUTH',
    'bad signature',
  );

  const [version, payload, mac] = session.token.split('.') as [string, string, string];
  const forged = Buffer.from(
    JSON.stringify({...JSON.parse(Buffer.from(payload, 'base64url').toString()), u: 'bob'}),
  ).toString('base64url');
  assertNetError(() => accounts.verifySession(`${version}.${forged}.${mac}`), 'EAUTH', 'bad signature');

  clock.advance(59_999);
  accounts.verifySession(session.token);
  clock.advance(1);
  assertNetError(() => accounts.verifySession(session.token), 'EAUTH', 'expired');
  assertNetError(() => verifySessionToken(session.token, SECRET, clock.now()), 'EAUTH', 'expired');
});

test('logout revokes a session on the tracker, also after a reopen; other sessions go on', async (t) => {
  const file = tempFile(t);
  const first = open(t, {file});
  await first.accounts.addUser('alice', PASSWORD);
  const session = await first.accounts.login('alice', PASSWORD, '10.0.0.1');
  const other = await first.accounts.login('alice', PASSWORD, '10.0.0.2');
  const change = first.accounts.logout(session.token);
  assert.deepEqual(change, {
    type: 'sessionRevoked',
    tokenId: session.tokenId,
    user: 'alice',
    expiresAt: session.expiresAt,
  });
  assertNetError(() => first.accounts.verifySession(session.token), 'EAUTH', 'revoked');
  assertNetError(() => first.accounts.logout(session.token), 'EAUTH', 'revoked');
  first.accounts.close();

  const {accounts, clock} = open(t, {file});
  assertNetError(() => accounts.verifySession(session.token), 'EAUTH', 'revoked');
  assert.equal(accounts.verifySession(other.token).user, 'alice');
  // A peer checking alone sees only the signature and expiry (the revocation list is the tracker's).
  assert.equal(verifySessionToken(session.token, SECRET, clock.now()).user, 'alice');
});

test('changing a password needs the old one and ends the sessions from before', async (t) => {
  const {accounts, changes} = open(t);
  await accounts.addUser('alice', PASSWORD);
  const before = await accounts.login('alice', PASSWORD, '10.0.0.1');
  await assertRejects(accounts.changePassword('alice', 'wrong password', 'new password'), 'EAUTH', 'Wrong');
  await assertRejects(accounts.changePassword('alice', PASSWORD, 'short'), 'EINVAL', 'at least 8');
  const change = await accounts.changePassword('alice', PASSWORD, 'new password');
  assert.equal(change.type, 'passwordChanged');
  assert.equal(changes.at(-1), change);
  assert.ok(!JSON.stringify(changes).includes('new password'), 'passwords never travel');
  assertNetError(() => accounts.verifySession(before.token), 'EAUTH', 'predates the last password change');
  await assertRejects(accounts.login('alice', PASSWORD, '10.0.0.1'), 'EAUTH', 'Wrong');
  const after = await accounts.login('alice', 'new password', '10.0.0.1'); // the clock has not moved
  assert.equal(accounts.verifySession(after.token).user, 'alice');
});

test('a group owner lists, accepts and rejects requests; nobody else may', async (t) => {
  const {accounts} = open(t);
  for (const user of ['alice', 'bob', 'carol', 'dave']) await accounts.addUser(user, PASSWORD);
  accounts.createGroup('lab', 'alice');
  assertNetError(
    () => accounts.createGroup('lab', 'bob'),
    'EEXIST',
    'Group `lab` already exists (owned by alice)',
  );
  assertNetError(() => accounts.createGroup('club', 'zed'), 'ENOENT', 'No user `zed`');
  assertNetError(
    () => accounts.createGroup('Lab', 'bob'),
    'EINVAL',
    'Group name `Lab` has upper-case letters',
  );
  assertNetError(() => accounts.requestJoin('nope', 'bob'), 'ENOENT', 'No group `nope`');
  assertNetError(
    () => accounts.requestJoin('lab', 'alice'),
    'EEXIST',
    '`alice` is already a member of group `lab`',
  );

  accounts.requestJoin('lab', 'bob');
  accounts.requestJoin('lab', 'carol');
  assertNetError(() => accounts.requestJoin('lab', 'bob'), 'EEXIST', 'has already asked to join group `lab`');
  assertNetError(() => accounts.listRequests('lab', 'bob'), 'EPERM', 'Only the owner of group `lab` (alice)');
  assertNetError(() => accounts.accept('lab', 'bob', 'carol'), 'EPERM', '`bob` is not');
  assertNetError(() => accounts.reject('lab', 'carol', 'bob'), 'EPERM', '`carol` is not');
  assertNetError(
    () => accounts.accept('lab', 'alice', 'dave'),
    'ENOENT',
    '`dave` has not asked to join group `lab`',
  );
  assert.deepEqual(accounts.listRequests('lab', 'alice'), [
    {user: 'bob', at: 1_000_000},
    {user: 'carol', at: 1_000_000},
  ]);

  accounts.accept('lab', 'alice', 'bob');
  accounts.reject('lab', 'alice', 'carol');
  assert.deepEqual(accounts.listRequests('lab', 'alice'), []);
  assert.equal(accounts.isMember('lab', 'bob'), true);
  assert.equal(accounts.isMember('lab', 'carol'), false);
  assert.equal(accounts.isMember('nope', 'bob'), false);
  assert.deepEqual(
    accounts.listGroups('carol').map((group) => [group.name, group.members, group.relation]),
    [['lab', 2, 'rejected']],
  );
  accounts.requestJoin('lab', 'carol'); // a rejected user may ask again
  assert.deepEqual(accounts.listGroups('alice')[0]!.relation, 'owner');
  assert.deepEqual(accounts.listGroups('carol')[0]!.relation, 'requested');
  assert.deepEqual(accounts.listGroups()[0]!.relation, 'none');
  assert.deepEqual(accounts.groupsOf('bob'), ['lab']);
  assertNetError(() => accounts.listGroups('zed'), 'ENOENT', 'No user `zed`');
});

test('leaving takes membership away at once; an owner hands the group to the longest-standing member', async (t) => {
  const {accounts, clock} = open(t);
  for (const user of ['alice', 'bob', 'carol', 'dave']) await accounts.addUser(user, PASSWORD);
  accounts.createGroup('lab', 'alice');
  for (const user of ['carol', 'bob']) {
    accounts.requestJoin('lab', user);
    clock.advance(10);
    accounts.accept('lab', 'alice', user); // carol first, so carol is the longest-standing
  }
  accounts.requestJoin('lab', 'dave');
  assert.deepEqual(accounts.leave('lab', 'dave').type, 'left'); // withdraws the request
  assert.deepEqual(accounts.listRequests('lab', 'alice'), []);
  assertNetError(() => accounts.leave('lab', 'dave'), 'ENOENT', '`dave` is not a member of group `lab`');

  const left = accounts.leave('lab', 'alice');
  assert.equal(left.type === 'left' && left.newOwner, 'carol');
  assert.equal(accounts.isMember('lab', 'alice'), false);
  assert.deepEqual(accounts.listGroups('carol')[0], {
    name: 'lab',
    owner: 'carol',
    members: 2,
    createdAt: 1_000_000,
    relation: 'owner',
  });
  assertNetError(() => accounts.accept('lab', 'alice', 'dave'), 'EPERM', 'owner of group `lab` (carol)');

  accounts.leave('lab', 'bob');
  assert.equal(accounts.isMember('lab', 'bob'), false);
  assert.deepEqual(accounts.groupsOf('bob'), []);
  accounts.requestJoin('lab', 'dave');
  const dissolved = accounts.leave('lab', 'carol'); // the last member
  assert.equal(dissolved.type === 'left' && dissolved.newOwner, null);
  assert.deepEqual(accounts.listGroups(), []);
  assertNetError(() => accounts.requestJoin('lab', 'bob'), 'ENOENT', 'No group `lab`');

  accounts.createGroup('lab', 'dave'); // the name is free again, and the old request is gone
  assert.deepEqual(accounts.listRequests('lab', 'dave'), []);
  assert.deepEqual(accounts.groupsOf('dave'), ['lab']);
  assert.equal(accounts.isMember('lab', 'carol'), false);
});

test('apply() of every change on another store gives the same state, and applying again changes nothing', async (t) => {
  const users = ['alice', 'bob', 'carol', 'dave'];
  const origin = open(t);
  for (const user of users) await origin.accounts.addUser(user, PASSWORD);
  await origin.accounts.changePassword('bob', PASSWORD, 'bob new password');
  origin.accounts.createGroup('lab', 'alice');
  origin.accounts.createGroup('club', 'bob');
  for (const user of ['bob', 'carol', 'dave']) origin.accounts.requestJoin('lab', user);
  origin.accounts.accept('lab', 'alice', 'bob');
  origin.accounts.reject('lab', 'alice', 'carol');
  origin.accounts.requestJoin('club', 'alice');
  origin.accounts.accept('club', 'bob', 'alice');
  origin.accounts.leave('lab', 'alice'); // bob owns lab now
  origin.accounts.leave('club', 'bob'); // alice owns club now
  const session = await origin.accounts.login('carol', PASSWORD, '10.0.0.1');
  origin.accounts.logout(session.token);
  const changes = origin.changes;
  assert.equal(changes.length, 17);

  const replica = open(t);
  for (const change of changes)
    assert.equal(replica.accounts.apply(structuredClone(change)), true, change.type);
  assert.deepEqual(view(replica.accounts, users), view(origin.accounts, users));
  for (const change of changes) assert.equal(replica.accounts.apply(change), false, `again: ${change.type}`);
  assert.deepEqual(view(replica.accounts, users), view(origin.accounts, users));
  assert.equal(replica.changes.length, 0, 'apply() does not call onChange');

  // The replica checks passwords and sessions as the origin does.
  await replica.accounts.login('bob', 'bob new password', '10.0.0.1');
  assertNetError(() => replica.accounts.verifySession(session.token), 'EAUTH', 'revoked');
});

test('apply() ignores a change older than the state it would replace', async (t) => {
  const origin = open(t);
  const replica = open(t);
  await origin.accounts.addUser('alice', PASSWORD);
  await origin.accounts.addUser('bob', PASSWORD);
  const older = await origin.accounts.changePassword('bob', PASSWORD, 'second password');
  const newer = await origin.accounts.changePassword('bob', 'second password', 'third password');
  origin.accounts.createGroup('lab', 'alice');
  const requested = origin.accounts.requestJoin('lab', 'bob');
  const accepted = origin.accounts.accept('lab', 'alice', 'bob');
  const left = origin.accounts.leave('lab', 'bob');

  for (const change of origin.changes.slice(0, 2)) replica.accounts.apply(change);
  assert.equal(replica.accounts.apply(newer), true);
  assert.equal(replica.accounts.apply(older), false);
  await replica.accounts.login('bob', 'third password', '10.0.0.1');

  replica.accounts.apply(origin.changes[4]!); // groupCreated
  assert.equal(replica.accounts.apply(left), true);
  assert.equal(replica.accounts.apply(accepted), false);
  assert.equal(replica.accounts.apply(requested), false);
  assert.equal(replica.accounts.isMember('lab', 'bob'), false);
  assert.deepEqual(replica.accounts.listRequests('lab', 'alice'), []);
  assert.equal(replica.accounts.apply(origin.changes[4]!), false, 'a group is created once');
});

test('apply() refuses a change that is not well formed', (t) => {
  const {accounts} = open(t);
  const bad: [unknown, string][] = [
    [null, 'Account change is missing'],
    [{type: 'userDeleted', user: 'alice', at: 1}, 'type "userDeleted" is not known'],
    [{type: 'userAdded', user: 'Alice', hash: 'x', at: 1}, 'has user "Alice"'],
    [{type: 'userAdded', user: 'alice', hash: 'plain', at: 1}, 'Password hash is not in the form'],
    [{type: 'groupCreated', group: 'lab', owner: 'alice', at: -1}, 'has at -1'],
    [{type: 'left', group: 'lab', user: 'alice', at: 1, newOwner: ''}, 'has newOwner ""'],
    [{type: 'sessionRevoked', tokenId: 'short', user: 'alice', expiresAt: 1}, 'has tokenId "short"'],
  ];
  for (const [change, mentions] of bad) {
    assertNetError(() => accounts.apply(change as AccountChange), 'EINVAL', mentions);
  }
});

test('opening refuses a short secret and a file from a newer p2pos', (t) => {
  assertNetError(
    () => openAccounts(':memory:', {secret: 'too short'}),
    'EINVAL',
    'Expected at least 16 bytes',
  );
  const file = tempFile(t);
  open(t, {file}).accounts.close();
  const db = new Database(file);
  db.pragma('user_version = 99');
  db.close();
  assertNetError(() => openAccounts(file, {secret: SECRET}), 'ENOTSUP', 'has schema version 99');
});
