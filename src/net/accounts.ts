// The tracker's accounts (issue 6): users with scrypt-hashed passwords, login sessions, and groups
// that users ask to join and owners answer, in a SQLite file of their own.
// Interface:
//   - openAccounts(path, options) opens the file (or ':memory:'); close() closes it.
//   - addUser, changePassword, checkPassword, login (async: they hash); verifySession, logout.
//   - createGroup, requestJoin, listRequests, accept, reject, leave; listGroups, isMember, groupsOf.
//   - apply(change): every state change is a plain JSON AccountChange; each mutating method builds
//     one, applies it through apply() and returns it (and hands it to options.onChange), so a second
//     tracker that applies the same changes holds the same accounts.
// apply() is idempotent and ignores a change older than the state it would replace: each record keeps
// the time (`at`) of the change that last set it, and the later one wins (last writer wins). A local
// change is stamped past the record it replaces, so it wins even when the clock has not moved.
// Names (users and groups) are 1-32 characters of a-z 0-9 _ . -, lower case only (an upper-case
// name is refused, not folded, so a name has one spelling everywhere), starting with a letter, digit
// or _ (never . or -, so a name is not a relative path or an option).
// When a group's owner leaves, ownership passes to the longest-standing member (the earliest
// accepted; ties to the lower name), named in the `left` change so every tracker agrees. When the
// owner was its last member, the group is dissolved: its requests are dropped and its name is free.

import type BetterSqlite3 from 'better-sqlite3';
import {openSqliteFile} from '../sqlite.js';
import {createLoginThrottle, type LoginThrottle, type LoginThrottleOptions} from './login-throttle.js';
import {NetError, newerSchema, storeFailure} from './net-error.js';
import {
  checkNewPassword,
  createPasswordHasher,
  decodePasswordHash,
  type PasswordHasher,
  type ScryptParams,
} from './password.js';
import {issueSessionToken, verifySessionToken, type SessionClaims} from './session-token.js';

export {verifySessionToken, type SessionClaims} from './session-token.js';

export const MAX_NAME_LENGTH = 32;
const NAME = /^[a-z0-9_][a-z0-9_.-]*$/;
/** A working day: peers check tokens without the tracker, so they do not see a logout; expiry bounds that. */
export const DEFAULT_SESSION_TTL_MS = 8 * 60 * 60_000;
/** A source address (the caller's choice of key: an IP address) is at most this long. */
const MAX_SOURCE_LENGTH = 255;
/**
 * A source address is shared by everyone behind one NAT, so it gets more failures than a user name
 * before it must wait; it catches one address guessing across many names.
 */
export const DEFAULT_SOURCE_FREE_FAILURES = 20;
/** Same answer, same text, for an unknown user and a wrong password. */
const WRONG_LOGIN = 'Wrong user name or password.';

// MIGRATIONS[n] takes the schema from version n to n + 1; a file's PRAGMA user_version says how far it is.
// Times are ms on the clock of the tracker that made the change.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE users (
     name TEXT PRIMARY KEY,
     hash TEXT NOT NULL, -- $scrypt$ln=..,r=..,p=..$salt$hash (password.ts)
     hash_at INTEGER NOT NULL, -- the change that set hash
     created_at INTEGER NOT NULL,
     password_changed_at INTEGER -- the latest passwordChanged; sessions issued before it are refused
   ) WITHOUT ROWID;
   CREATE TABLE user_groups (
     name TEXT PRIMARY KEY,
     owner TEXT, -- null: dissolved (the row stays so that an older change cannot bring it back)
     owner_at INTEGER NOT NULL, -- the change that set owner
     created_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE memberships (
     group_name TEXT NOT NULL,
     user TEXT NOT NULL,
     state TEXT NOT NULL, -- requested, member, rejected or left
     at INTEGER NOT NULL, -- the change that set state: for a member, since when
     PRIMARY KEY (group_name, user)
   ) WITHOUT ROWID;
   CREATE INDEX memberships_by_user ON memberships (user);
   CREATE TABLE revoked_sessions (
     token_id TEXT PRIMARY KEY,
     user TEXT NOT NULL,
     expires_at INTEGER NOT NULL -- the row is dropped after this: the token is refused as expired anyway
   ) WITHOUT ROWID;`,
];

/**
 * One state change, as it travels between trackers. `at` is ms on the clock of the tracker that made it.
 * Password hashes travel; passwords never do.
 */
export type AccountChange =
  // userAdded, passwordChanged: {type, user, hash, at} - the user's hash as of `at`
  | {type: 'userAdded'; user: string; hash: string; at: number}
  | {type: 'passwordChanged'; user: string; hash: string; at: number}
  // groupCreated: {type, group, owner, at} - the owner is its first member
  | {type: 'groupCreated'; group: string; owner: string; at: number}
  // joinRequested, accepted, rejected: {type, group, user, at} - the user's membership state from `at`
  | {type: 'joinRequested'; group: string; user: string; at: number}
  | {type: 'accepted'; group: string; user: string; at: number}
  | {type: 'rejected'; group: string; user: string; at: number}
  // left: {type, group, user, at, newOwner?} - a member left or withdrew a request; newOwner is there
  // only when the owner left: the member who owns it now, or null when the group is dissolved
  | {type: 'left'; group: string; user: string; at: number; newOwner?: string | null}
  // sessionRevoked: {type, tokenId, user, expiresAt} - a logout; kept until the token expires
  | {type: 'sessionRevoked'; tokenId: string; user: string; expiresAt: number};

/** A login: the token to show, and what it says. */
export interface Session extends SessionClaims {
  token: string;
}

/** A user's relation to a group, as listGroups shows it. */
export type GroupRelation = 'owner' | 'member' | 'requested' | 'rejected' | 'none';

export interface GroupSummary {
  name: string;
  owner: string;
  /** Members, the owner included. */
  members: number;
  createdAt: number;
  /** The asking user's relation to it; 'none' when listGroups was called without a user. */
  relation: GroupRelation;
}

export interface JoinRequest {
  user: string;
  /** When the user asked, ms. */
  at: number;
}

export interface AccountsOptions {
  /**
   * The network secret: session tokens are signed with a key derived from it, and any holder can check
   * them (verifySessionToken). At least 16 bytes.
   */
  secret: string | Uint8Array;
  /** The clock, ms. @default Date.now */
  now?: () => number;
  /** How long a login lasts, ms. @default DEFAULT_SESSION_TTL_MS */
  sessionTtlMs?: number;
  /** Cost of new password hashes; tests lower it. @default DEFAULT_SCRYPT (password.ts) */
  scrypt?: Partial<ScryptParams>;
  /** Password hashes running at once. @default MAX_RUNNING_HASHES (password.ts) */
  maxRunningHashes?: number;
  /** Callers waiting for a hashing slot before more are refused (EAGAIN). @default MAX_WAITING_HASHES (password.ts) */
  maxWaitingHashes?: number;
  /** Throttling of failed logins per user name. @default login-throttle.ts's defaults */
  userThrottle?: Omit<LoginThrottleOptions, 'now'>;
  /** Throttling of failed logins per source address. @default freeFailures DEFAULT_SOURCE_FREE_FAILURES, the rest login-throttle.ts's */
  sourceThrottle?: Omit<LoginThrottleOptions, 'now'>;
  /**
   * Called with each change a mutating method made, after it is written (not for apply()). An exception
   * it throws reaches that method's caller; the change stays made.
   */
  onChange?: (change: AccountChange) => void;
}

export interface AccountStore {
  /**
   * Add a user with `password` (hashed; at least MIN_PASSWORD_CHARS characters, at most
   * MAX_PASSWORD_BYTES bytes). Throws EINVAL for a bad name or password, EEXIST when the name is taken,
   * EAGAIN when password hashing is busy, EIO.
   */
  addUser(name: string, password: string): Promise<AccountChange>;
  /**
   * Check `password` for `name`, attempted from `source` (an address; throttled per name and per
   * source). Throws EAUTH with one message for an unknown user and a wrong password (an unknown user
   * costs the same scrypt), EAGAIN when the name or source must wait after failures (the message says
   * how long) or hashing is busy, EINVAL for a password over MAX_PASSWORD_BYTES or a bad source.
   */
  checkPassword(name: string, password: string, source: string): Promise<void>;
  /** checkPassword, then a session of sessionTtlMs. Throws as checkPassword. */
  login(name: string, password: string, source: string): Promise<Session>;
  /**
   * Replace the password of `name` after checking the old one (throttled like a login, per name and
   * per `source` when given). Sessions issued before are refused from then on by verifySession. Throws
   * as checkPassword, and EINVAL for a new password that is too short or too long.
   */
  changePassword(
    name: string,
    oldPassword: string,
    newPassword: string,
    source?: string,
  ): Promise<AccountChange>;
  /**
   * The user and expiry of a session token this tracker will honour. Throws EAUTH when the token is
   * malformed, altered, expired, revoked (logout), issued before the user's last password change, or
   * names a user this tracker does not know.
   */
  verifySession(token: string): SessionClaims;
  /** Revoke a session until it expires. Throws EAUTH as verifySession (so also for one already revoked), EIO. */
  logout(token: string): AccountChange;
  /** Whether a user of that name exists. */
  hasUser(name: string): boolean;
  /** Create group `group` owned by `owner`, its first member. Throws EINVAL for a bad name, ENOENT for an unknown owner, EEXIST for a group that exists. */
  createGroup(group: string, owner: string): AccountChange;
  /** `user` asks to join `group`. Throws ENOENT for an unknown group or user, EEXIST when already a member or already asking. */
  requestJoin(group: string, user: string): AccountChange;
  /** Pending requests to join `group`, oldest first. Throws ENOENT for an unknown group, EPERM unless asUser owns it. */
  listRequests(group: string, asUser: string): JoinRequest[];
  /** The owner lets `user` in. Throws ENOENT for an unknown group or when `user` has no pending request, EPERM unless `owner` owns it. */
  accept(group: string, owner: string, user: string): AccountChange;
  /** The owner turns `user` away (who may ask again). Throws as accept. */
  reject(group: string, owner: string, user: string): AccountChange;
  /**
   * `user` leaves `group`, or withdraws a pending request. An owner's leaving passes the group on or
   * dissolves it (see the file comment). Throws ENOENT for an unknown group or when `user` is neither a
   * member nor asking.
   */
  leave(group: string, user: string): AccountChange;
  /** Every group, by name, with `user`'s relation to each (or 'none'). Throws ENOENT for an unknown user. */
  listGroups(user?: string): GroupSummary[];
  /** Whether `user` is a member (or the owner) of `group`; false for an unknown group or user. */
  isMember(group: string, user: string): boolean;
  /** The groups `user` is a member of (owned ones included), by name. */
  groupsOf(user: string): string[];
  /**
   * Apply one change, made here or on another tracker. Returns whether anything changed: false for a
   * change already applied or older than the state it would replace. Changes about one group must
   * come after its groupCreated, as they do when each tracker's changes are sent in the order made.
   * Not checked: who made it (the owner's rights were checked where it was made). Throws EINVAL for a
   * change that is not well formed, EIO.
   */
  apply(change: AccountChange): boolean;
  /** Close the file; later calls throw EBADF (a second close() does nothing). */
  close(): void;
}

type MembershipState = 'requested' | 'member' | 'rejected' | 'left';
/** Breaks a tie between two changes with the same time from two trackers, the same way everywhere. */
const STATE_RANK: Readonly<Record<MembershipState, number>> = {requested: 0, rejected: 1, member: 2, left: 3};

interface UserRow {
  name: string;
  hash: string;
  hashAt: number;
  createdAt: number;
  passwordChangedAt: number | null;
}

interface GroupRow {
  name: string;
  owner: string | null;
  ownerAt: number;
  createdAt: number;
}

interface MembershipRow {
  user: string;
  state: MembershipState;
  at: number;
}

/**
 * Open (creating if needed) the account store at `path` (a file path, or ':memory:'). Throws EINVAL
 * for a bad option, ENOTSUP for a file from a newer p2pos, EIO naming the file when it cannot be opened.
 */
export function openAccounts(path: string, options: AccountsOptions): AccountStore {
  if (typeof path !== 'string' || path === '')
    throw new NetError('EINVAL', 'Account store path is empty. Expected a file path or :memory:.');
  const now = options.now ?? Date.now;
  const {secret, onChange} = options;
  const sessionTtlMs = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  if (!(Number.isSafeInteger(sessionTtlMs) && sessionTtlMs > 0))
    throw new NetError(
      'EINVAL',
      `Session lifetime ${String(sessionTtlMs)} ms is not allowed. Expected a whole number of ms, 1 or more.`,
    );
  verifySecret(secret);
  const hasher: PasswordHasher = createPasswordHasher({
    scrypt: options.scrypt,
    maxRunning: options.maxRunningHashes,
    maxWaiting: options.maxWaitingHashes,
  });
  const userThrottle: LoginThrottle = createLoginThrottle({...options.userThrottle, now});
  const sourceThrottle: LoginThrottle = createLoginThrottle({
    freeFailures: DEFAULT_SOURCE_FREE_FAILURES,
    ...options.sourceThrottle,
    now,
  });

  const db = connect(path);
  const sql = prepare(db);
  let isClosed = false;
  try {
    write(() => sql.purgeRevoked.run(now()));
  } catch (error) {
    db.close();
    throw error;
  }

  function checkOpen(): void {
    if (isClosed) throw new NetError('EBADF', `Account store ${path} is closed.`);
  }

  /** Run `work` in one transaction; a SQLite failure becomes EIO naming the file. */
  function write<T>(work: () => T): T {
    try {
      return db.transaction(work).immediate();
    } catch (error) {
      if (error instanceof NetError) throw error;
      throw storeFailure(error, `Account store ${path} failed`);
    }
  }

  function user(name: string): UserRow | undefined {
    return sql.selectUser.get(name);
  }

  function requireUser(name: string): UserRow {
    checkName(name, 'User');
    const row = user(name);
    if (row === undefined) throw new NetError('ENOENT', `No user \`${name}\`.`);
    return row;
  }

  function liveGroup(name: string): GroupRow & {owner: string} {
    checkName(name, 'Group');
    const row = sql.selectGroup.get(name);
    if (row === undefined || row.owner === null) throw new NetError('ENOENT', `No group \`${name}\`.`);
    return row as GroupRow & {owner: string};
  }

  function requireOwner(group: GroupRow & {owner: string}, asUser: string, doing: string): void {
    checkName(asUser, 'User');
    if (group.owner !== asUser)
      throw new NetError(
        'EPERM',
        `Only the owner of group \`${group.name}\` (${group.owner}) may ${doing}; \`${asUser}\` is not.`,
      );
  }

  function membership(group: string, name: string): MembershipRow | undefined {
    return sql.selectMembership.get(group, name);
  }

  /** A time for a local change: now, or just past `after` (the record it replaces) when the clock lags. */
  function stamp(...after: (number | undefined)[]): number {
    return Math.max(now(), ...after.map((at) => (at ?? -Infinity) + 1));
  }

  /** Apply a change made here and hand it to onChange. */
  function commit<T extends AccountChange>(change: T): T {
    applyChange(change);
    onChange?.(change);
    return change;
  }

  /** Set a membership unless the stored one is newer (later `at`, or the same and a higher rank). */
  function setMembership(group: string, name: string, state: MembershipState, at: number): boolean {
    const row = membership(group, name);
    if (row !== undefined && (row.at > at || (row.at === at && STATE_RANK[row.state] >= STATE_RANK[state])))
      return false;
    sql.upsertMembership.run(group, name, state, at);
    return true;
  }

  function setHash(change: {user: string; hash: string; at: number}, isPasswordChange: boolean): boolean {
    const {user: name, hash, at} = change;
    const row = user(name);
    const changedAt = isPasswordChange ? at : null;
    if (row === undefined) {
      sql.insertUser.run(name, hash, at, at, changedAt);
      return true;
    }
    let changed = false;
    if (at > row.hashAt || (at === row.hashAt && hash > row.hash)) {
      sql.updateHash.run(hash, at, name);
      changed = true;
    }
    if (!isPasswordChange && at < row.createdAt) {
      sql.updateCreatedAt.run(at, name);
      changed = true;
    }
    if (changedAt !== null && (row.passwordChangedAt === null || changedAt > row.passwordChangedAt)) {
      sql.updatePasswordChangedAt.run(changedAt, name);
      changed = true;
    }
    return changed;
  }

  function applyChange(change: AccountChange): boolean {
    checkChange(change);
    return write(() => {
      switch (change.type) {
        case 'userAdded':
          return setHash(change, false);
        case 'passwordChanged':
          return setHash(change, true);
        case 'groupCreated': {
          const row = sql.selectGroup.get(change.group);
          // An existing live group keeps its owner: the first creation applied here wins (two trackers
          // creating one name at once is a conflict for replication to settle).
          if (row !== undefined && (row.owner !== null || row.ownerAt >= change.at)) return false;
          sql.upsertGroup.run(change.group, change.owner, change.at, change.at);
          setMembership(change.group, change.owner, 'member', change.at);
          return true;
        }
        case 'joinRequested':
          return setMembership(change.group, change.user, 'requested', change.at);
        case 'accepted':
          return setMembership(change.group, change.user, 'member', change.at);
        case 'rejected':
          return setMembership(change.group, change.user, 'rejected', change.at);
        case 'left': {
          let changed = setMembership(change.group, change.user, 'left', change.at);
          const group = sql.selectGroup.get(change.group);
          if (
            change.newOwner !== undefined &&
            group !== undefined &&
            group.owner === change.user &&
            change.at > group.ownerAt
          ) {
            sql.updateOwner.run(change.newOwner, change.at, change.group);
            if (change.newOwner === null) sql.dissolveMemberships.run(change.at, change.group, change.at);
            changed = true;
          }
          return changed;
        }
        case 'sessionRevoked':
          return sql.insertRevoked.run(change.tokenId, change.user, change.expiresAt).changes > 0;
      }
    });
  }

  function verifySession(token: string): SessionClaims {
    checkOpen();
    const claims = verifySessionToken(token, secret, now());
    if (sql.selectRevoked.get(claims.tokenId) !== undefined)
      throw new NetError('EAUTH', 'Session token was revoked (logged out). Log in again.');
    const row = user(claims.user);
    if (row === undefined)
      throw new NetError(
        'EAUTH',
        `Session token names user \`${claims.user}\`, whom this tracker does not know.`,
      );
    if (row.passwordChangedAt !== null && claims.issuedAt < row.passwordChangedAt)
      throw new NetError(
        'EAUTH',
        `Session token predates the last password change of \`${claims.user}\`. Log in again.`,
      );
    return claims;
  }

  /** checkPassword's work; returns the user on success. */
  async function authenticate(name: string, password: string, source: string | undefined): Promise<UserRow> {
    checkOpen();
    if (typeof name !== 'string' || name.length > 255)
      throw new NetError('EINVAL', 'User name is not a string of at most 255 characters.');
    if (
      source !== undefined &&
      (typeof source !== 'string' || source === '' || source.length > MAX_SOURCE_LENGTH)
    )
      throw new NetError(
        'EINVAL',
        `Login source ${JSON.stringify(source)} is not allowed. Expected an address of 1-${MAX_SOURCE_LENGTH} characters.`,
      );
    const userWait = userThrottle.waitMs(name);
    const sourceWait = source === undefined ? 0 : sourceThrottle.waitMs(source);
    if (userWait > 0 || sourceWait > 0) {
      const which = userWait >= sourceWait ? `for user \`${name}\`` : `from ${source}`;
      throw new NetError(
        'EAGAIN',
        `Too many failed logins ${which}. Try again in ${Math.ceil(Math.max(userWait, sourceWait) / 1000)} s.`,
      );
    }
    const row = user(name);
    const isRight =
      row === undefined ? await hasher.spendDummy(password) : await hasher.verify(password, row.hash);
    checkOpen();
    if (!isRight) {
      userThrottle.fail(name);
      if (source !== undefined) sourceThrottle.fail(source);
      throw new NetError('EAUTH', WRONG_LOGIN);
    }
    // Only the name is cleared: a guesser with an account of their own must not wash their address clean.
    userThrottle.succeed(name);
    return user(name) ?? row!;
  }

  return {
    async addUser(name, password) {
      checkOpen();
      checkName(name, 'User');
      checkNewPassword(password);
      const taken = () => {
        if (user(name) !== undefined) throw new NetError('EEXIST', `User \`${name}\` already exists.`);
      };
      taken();
      const hash = await hasher.hash(password);
      checkOpen();
      taken(); // someone may have taken it while we hashed
      return commit({type: 'userAdded', user: name, hash, at: stamp()});
    },

    async checkPassword(name, password, source) {
      if (source === undefined) throw new NetError('EINVAL', 'Login source is missing. Expected an address.');
      await authenticate(name, password, source);
    },

    async login(name, password, source) {
      if (source === undefined) throw new NetError('EINVAL', 'Login source is missing. Expected an address.');
      const row = await authenticate(name, password, source);
      // Not before the password it was checked against was set, which may be stamped a little ahead.
      const issuedAt = Math.max(now(), row.passwordChangedAt ?? 0);
      const {token, claims} = issueSessionToken(
        {user: name, issuedAt, expiresAt: issuedAt + sessionTtlMs},
        secret,
      );
      return {token, ...claims};
    },

    async changePassword(name, oldPassword, newPassword, source) {
      checkNewPassword(newPassword);
      await authenticate(name, oldPassword, source);
      const hash = await hasher.hash(newPassword);
      checkOpen();
      const row = requireUser(name);
      return commit({
        type: 'passwordChanged',
        user: name,
        hash,
        at: stamp(row.hashAt, row.passwordChangedAt ?? undefined),
      });
    },

    verifySession,

    logout(token) {
      const claims = verifySession(token);
      write(() => sql.purgeRevoked.run(now()));
      return commit({
        type: 'sessionRevoked',
        tokenId: claims.tokenId,
        user: claims.user,
        expiresAt: claims.expiresAt,
      });
    },

    hasUser(name) {
      checkOpen();
      return typeof name === 'string' && user(name) !== undefined;
    },

    createGroup(group, owner) {
      checkOpen();
      checkName(group, 'Group');
      requireUser(owner);
      const row = sql.selectGroup.get(group);
      if (row?.owner != null)
        throw new NetError('EEXIST', `Group \`${group}\` already exists (owned by ${row.owner}).`);
      const at = stamp(row?.ownerAt, sql.selectLatestMembership.get(group)?.at ?? undefined);
      return commit({type: 'groupCreated', group, owner, at});
    },

    requestJoin(group, name) {
      checkOpen();
      liveGroup(group);
      requireUser(name);
      const row = membership(group, name);
      if (row?.state === 'member')
        throw new NetError('EEXIST', `User \`${name}\` is already a member of group \`${group}\`.`);
      if (row?.state === 'requested')
        throw new NetError(
          'EEXIST',
          `User \`${name}\` has already asked to join group \`${group}\`; the owner has not answered yet.`,
        );
      return commit({type: 'joinRequested', group, user: name, at: stamp(row?.at)});
    },

    listRequests(group, asUser) {
      checkOpen();
      requireOwner(liveGroup(group), asUser, 'list its join requests');
      return sql.selectRequests.all(group);
    },

    accept(group, owner, name) {
      return answer(group, owner, name, 'accepted');
    },

    reject(group, owner, name) {
      return answer(group, owner, name, 'rejected');
    },

    leave(group, name) {
      checkOpen();
      const row = liveGroup(group);
      checkName(name, 'User');
      const current = membership(group, name);
      if (current?.state === 'requested')
        return commit({type: 'left', group, user: name, at: stamp(current.at)});
      if (current?.state !== 'member')
        throw new NetError(
          'ENOENT',
          `User \`${name}\` is not a member of group \`${group}\` and has not asked to join it.`,
        );
      if (row.owner !== name) return commit({type: 'left', group, user: name, at: stamp(current.at)});
      const successor = sql.selectSuccessor.get(group, name);
      const at = stamp(row.ownerAt, sql.selectLatestMembership.get(group)?.at ?? undefined);
      return commit({type: 'left', group, user: name, at, newOwner: successor?.user ?? null});
    },

    listGroups(name) {
      checkOpen();
      if (name !== undefined) requireUser(name);
      return sql.selectGroups.all().map((row) => {
        const state = name === undefined ? undefined : membership(row.name, name)?.state;
        const relation: GroupRelation =
          row.owner === name ? 'owner' : state === undefined || state === 'left' ? 'none' : state;
        return {...row, relation};
      });
    },

    isMember(group, name) {
      checkOpen();
      if (typeof group !== 'string' || typeof name !== 'string') return false;
      const row = sql.selectGroup.get(group);
      return row?.owner != null && membership(group, name)?.state === 'member';
    },

    groupsOf(name) {
      checkOpen();
      if (typeof name !== 'string') return [];
      return sql.selectGroupsOf.all(name).map((row) => row.name);
    },

    apply(change) {
      checkOpen();
      return applyChange(change);
    },

    close() {
      if (isClosed) return;
      isClosed = true;
      db.close();
    },
  };

  function answer(group: string, owner: string, name: string, type: 'accepted' | 'rejected'): AccountChange {
    checkOpen();
    requireOwner(liveGroup(group), owner, type === 'accepted' ? 'accept members' : 'reject requests');
    checkName(name, 'User');
    const row = membership(group, name);
    if (row?.state !== 'requested')
      throw new NetError('ENOENT', `User \`${name}\` has not asked to join group \`${group}\`.`);
    return commit({type, group, user: name, at: stamp(row.at)});
  }
}

/** Throws EINVAL naming `value` when it is not a user or group name. */
export function checkName(value: string, what: 'User' | 'Group'): void {
  if (typeof value !== 'string' || value === '' || value.length > MAX_NAME_LENGTH)
    throw new NetError(
      'EINVAL',
      `${what} name ${JSON.stringify(value) ?? String(value)} is not allowed. Expected 1-${MAX_NAME_LENGTH} characters.`,
    );
  if (NAME.test(value)) return;
  if (NAME.test(value.toLowerCase()))
    throw new NetError(
      'EINVAL',
      `${what} name \`${value}\` has upper-case letters. Names are lower case: ${value.toLowerCase()}.`,
    );
  throw new NetError(
    'EINVAL',
    `${what} name \`${value}\` is not allowed. Expected a-z, 0-9, _, . and -, starting with a letter, digit or _.`,
  );
}

function verifySecret(secret: string | Uint8Array): void {
  // issueSessionToken checks the length; a throwaway token makes a bad secret fail at open, not at the first login.
  issueSessionToken({user: 'check', issuedAt: 0, expiresAt: 1, tokenId: 'AAAAAAAAAAAAAAAAAAAAAA'}, secret);
}

/** Throws EINVAL naming the first field of `change` that is not well formed. */
function checkChange(change: AccountChange): void {
  if (typeof change !== 'object' || change === null)
    throw new NetError('EINVAL', 'Account change is missing. Expected an object with a type.');
  const bad = (field: string, value: unknown, expected: string) =>
    new NetError(
      'EINVAL',
      `Account change ${String(change.type)} has ${field} ${JSON.stringify(value) ?? String(value)}. Expected ${expected}.`,
    );
  const time = (field: string, value: unknown) => {
    if (!(Number.isSafeInteger(value) && (value as number) >= 0))
      throw bad(field, value, 'a whole number of ms');
  };
  const names = (fields: Record<string, unknown>) => {
    for (const [field, value] of Object.entries(fields)) {
      try {
        checkName(value as string, field === 'group' ? 'Group' : 'User');
      } catch {
        throw bad(field, value, `a name of 1-${MAX_NAME_LENGTH} characters a-z 0-9 _ . -`);
      }
    }
  };
  switch (change.type) {
    case 'userAdded':
    case 'passwordChanged':
      names({user: change.user});
      time('at', change.at);
      try {
        decodePasswordHash(change.hash);
      } catch (error) {
        throw new NetError(
          'EINVAL',
          `Account change ${change.type} for ${change.user}: ${(error as Error).message}`,
        );
      }
      return;
    case 'groupCreated':
      names({group: change.group, owner: change.owner});
      time('at', change.at);
      return;
    case 'joinRequested':
    case 'accepted':
    case 'rejected':
      names({group: change.group, user: change.user});
      time('at', change.at);
      return;
    case 'left':
      names({group: change.group, user: change.user});
      time('at', change.at);
      if (change.newOwner !== undefined && change.newOwner !== null) names({newOwner: change.newOwner});
      return;
    case 'sessionRevoked':
      names({user: change.user});
      time('expiresAt', change.expiresAt);
      if (typeof change.tokenId !== 'string' || !/^[A-Za-z0-9_-]{16,64}$/.test(change.tokenId))
        throw bad('tokenId', change.tokenId, '16-64 base64url characters');
      return;
    default:
      throw new NetError(
        'EINVAL',
        `Account change type ${JSON.stringify((change as {type?: unknown}).type) ?? 'undefined'} is not known. Expected one of: userAdded, passwordChanged, groupCreated, joinRequested, accepted, rejected, left, sessionRevoked.`,
      );
  }
}

function connect(path: string): BetterSqlite3.Database {
  try {
    return openSqliteFile(path, MIGRATIONS, newerSchema('Account store', path));
  } catch (error) {
    if (error instanceof NetError) throw error;
    throw storeFailure(error, `Cannot open account store ${path}`);
  }
}

function prepare(db: BetterSqlite3.Database) {
  const userColumns = `name, hash, hash_at AS hashAt, created_at AS createdAt, password_changed_at AS passwordChangedAt`;
  return {
    selectUser: db.prepare<[string], UserRow>(`SELECT ${userColumns} FROM users WHERE name = ?`),
    insertUser: db.prepare<[string, string, number, number, number | null]>(
      'INSERT INTO users (name, hash, hash_at, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?)',
    ),
    updateHash: db.prepare<[string, number, string]>('UPDATE users SET hash = ?, hash_at = ? WHERE name = ?'),
    updateCreatedAt: db.prepare<[number, string]>('UPDATE users SET created_at = ? WHERE name = ?'),
    updatePasswordChangedAt: db.prepare<[number, string]>(
      'UPDATE users SET password_changed_at = ? WHERE name = ?',
    ),
    selectGroup: db.prepare<[string], GroupRow>(
      'SELECT name, owner, owner_at AS ownerAt, created_at AS createdAt FROM user_groups WHERE name = ?',
    ),
    upsertGroup: db.prepare<[string, string, number, number]>(
      `INSERT INTO user_groups (name, owner, owner_at, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, owner_at = excluded.owner_at, created_at = excluded.created_at`,
    ),
    updateOwner: db.prepare<[string | null, number, string]>(
      'UPDATE user_groups SET owner = ?, owner_at = ? WHERE name = ?',
    ),
    selectGroups: db.prepare<[], {name: string; owner: string; members: number; createdAt: number}>(
      `SELECT g.name, g.owner, g.created_at AS createdAt,
         (SELECT count(*) FROM memberships m WHERE m.group_name = g.name AND m.state = 'member') AS members
       FROM user_groups g WHERE g.owner IS NOT NULL ORDER BY g.name`,
    ),
    selectGroupsOf: db.prepare<[string], {name: string}>(
      `SELECT g.name FROM memberships m JOIN user_groups g ON g.name = m.group_name
       WHERE m.user = ? AND m.state = 'member' AND g.owner IS NOT NULL ORDER BY g.name`,
    ),
    selectMembership: db.prepare<[string, string], MembershipRow>(
      'SELECT user, state, at FROM memberships WHERE group_name = ? AND user = ?',
    ),
    selectLatestMembership: db.prepare<[string], {at: number | null}>(
      'SELECT max(at) AS at FROM memberships WHERE group_name = ?',
    ),
    selectRequests: db.prepare<[string], JoinRequest>(
      `SELECT user, at FROM memberships WHERE group_name = ? AND state = 'requested' ORDER BY at, user`,
    ),
    selectSuccessor: db.prepare<[string, string], {user: string}>(
      `SELECT user FROM memberships WHERE group_name = ? AND state = 'member' AND user != ?
       ORDER BY at, user LIMIT 1`,
    ),
    upsertMembership: db.prepare<[string, string, MembershipState, number]>(
      `INSERT INTO memberships (group_name, user, state, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (group_name, user) DO UPDATE SET state = excluded.state, at = excluded.at`,
    ),
    // Everyone still in or asking is out when the group is dissolved (older rows only: last writer wins).
    dissolveMemberships: db.prepare<[number, string, number]>(
      `UPDATE memberships SET state = 'left', at = ? WHERE group_name = ? AND at < ? AND state != 'left'`,
    ),
    selectRevoked: db.prepare<[string], {tokenId: string}>(
      'SELECT token_id AS tokenId FROM revoked_sessions WHERE token_id = ?',
    ),
    insertRevoked: db.prepare<[string, string, number]>(
      'INSERT OR IGNORE INTO revoked_sessions (token_id, user, expires_at) VALUES (?, ?, ?)',
    ),
    purgeRevoked: db.prepare<[number]>('DELETE FROM revoked_sessions WHERE expires_at <= ?'),
  };
}
