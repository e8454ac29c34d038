// The tracker's side of accounts (issue 6): the USERADD, LOGIN, LOGOUT, WHOAMI, PASSWD, GROUP, GROUPS
// and ACCESS requests over the account store (accounts.ts), and the rule for shared files: a file with
// no group is everyone's; a group's file is seen (FILES, FILE) and served (a peer asks ACCESS) only for
// a session of one of its members. A session is checked on every request, so leaving a group, logging
// out or changing the password takes effect at once.
// Interface:
//   const accounts = createTrackerAccounts(store)
//   await accounts.handle(request, connection)   // the answer's fields; throws NetError with a code
//   accounts.userOf(token)                       // the session's user, null for no token; EAUTH for a bad one
//   accounts.canSee(user)                        // (group) => whether that user may read the group's files

import type {AccountStore} from './accounts.js';
import type {Connection} from './connection.js';
import {ACCOUNT_REQUESTS, type Request} from './messages.js';
import {NetError} from './net-error.js';

export type AccountRequest = Extract<
  Request,
  {type: 'USERADD' | 'LOGIN' | 'LOGOUT' | 'WHOAMI' | 'PASSWD' | 'GROUP' | 'GROUPS' | 'ACCESS'}
>;

export function isAccountRequest(request: Request): request is AccountRequest {
  return ACCOUNT_REQUESTS.has(request.type);
}

export interface TrackerAccounts {
  readonly store: AccountStore;
  /** Answer one account request; throws NetError (EAUTH, EAGAIN, EPERM, ENOENT, EEXIST, EINVAL). */
  handle(request: AccountRequest, connection: Connection): Promise<Record<string, unknown>>;
  /** The user of a session token; null when there is none. Throws EAUTH for a token that is bad, expired or revoked. */
  userOf(token: string | null | undefined): string | null;
  /** Whether `user` (null: nobody logged in) may see and fetch files of `group` (null: no group, everyone's). */
  canSee(user: string | null): (group: string | null) => boolean;
}

export function createTrackerAccounts(store: AccountStore): TrackerAccounts {
  const userOf = (token: string | null | undefined): string | null =>
    token === null || token === undefined ? null : store.verifySession(token).user;

  /** The session's user, which this request needs. */
  const mustUser = (token: string | null | undefined, what: string): string => {
    const user = userOf(token);
    if (user === null) throw new NetError('EAUTH', `Log in first: ${what} needs a user (login NAME).`);
    return user;
  };

  const canSee =
    (user: string | null) =>
    (group: string | null): boolean =>
      group === null || (user !== null && store.isMember(group, user));

  /** Where a login comes from, for the throttle: the address, not the port (a new connection is free). */
  const sourceOf = (connection: Connection): string => connection.socket.remoteAddress ?? 'unknown';

  const onGroup = (request: Extract<AccountRequest, {type: 'GROUP'}>): Record<string, unknown> => {
    const user = mustUser(request.token, `group ${request.op}`);
    const {group} = request;
    const other = (): string => {
      if (request.user === null)
        throw new NetError('EINVAL', `group ${request.op} needs the user to ${request.op}.`);
      return request.user;
    };
    switch (request.op) {
      case 'create':
        store.createGroup(group, user);
        return {group, owner: user};
      case 'join':
        store.requestJoin(group, user);
        return {group, user, state: 'requested'};
      case 'requests':
        return {group, requests: store.listRequests(group, user)};
      case 'accept':
        store.accept(group, user, other());
        return {group, user: other(), state: 'member'};
      case 'reject':
        store.reject(group, user, other());
        return {group, user: other(), state: 'rejected'};
      case 'leave': {
        const change = store.leave(group, user);
        return {group, user, newOwner: change.type === 'left' ? (change.newOwner ?? undefined) : undefined};
      }
    }
  };

  return {
    store,
    userOf,
    canSee,
    async handle(request, connection) {
      switch (request.type) {
        case 'USERADD':
          await store.addUser(request.name, request.password);
          return {user: request.name};
        case 'LOGIN': {
          const session = await store.login(request.name, request.password, sourceOf(connection));
          return {token: session.token, user: session.user, expiresAt: session.expiresAt};
        }
        case 'LOGOUT': {
          const user = mustUser(request.token, 'logout');
          store.logout(request.token);
          return {user};
        }
        case 'WHOAMI': {
          const claims = store.verifySession(request.token);
          return {user: claims.user, expiresAt: claims.expiresAt, groups: store.groupsOf(claims.user)};
        }
        case 'PASSWD': {
          const user = mustUser(request.token, 'passwd');
          await store.changePassword(user, request.old, request.password, sourceOf(connection));
          return {user};
        }
        case 'GROUP':
          return onGroup(request);
        case 'GROUPS': {
          const user = userOf(request.token);
          return {groups: store.listGroups(user ?? undefined)};
        }
        case 'ACCESS': {
          const user = userOf(request.token);
          if (!canSee(user)(request.group))
            throw new NetError(
              'EACCES',
              user === null
                ? `Files of group ${request.group} are for its members: log in first.`
                : `User ${user} is not a member of group ${request.group}.`,
            );
          return {user};
        }
      }
    },
  };
}
