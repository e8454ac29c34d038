// The error the network layer's data modules throw (registry, kv store, result cache, quotas): a request
// a peer made that cannot be served. `code` is stable and travels in an ERR reply; callers branch on it,
// never on the message, which is one sentence naming the bad value and what is allowed.
// (Bytes that are not a valid frame or message are a ProtocolError, in errors.ts.)

import {describeFailure, newerSchemaMessage} from '../sqlite.js';

export type NetErrorCode =
  | 'EINVAL' // a bad argument: a negative load, a non-integer port, a value that is not JSON
  | 'ENOENT' // no such peer (a heartbeat from a peer the tracker does not know: it should register again)
  | 'EQUOTA' // over a limit that frees up with time or deletes: a peer's task rate or memory, a full store
  | 'E2BIG' // one key or value over its size limit, however empty the store
  | 'EBADF' // the registry is closed
  | 'ENOTSUP' // the registry file was written by a newer p2pos
  | 'EEXIST' // a file id already shared with another manifest
  | 'EAMBIG' // a short file id or a name that matches several files
  | 'ECHANGED' // a shared file changed on disk since it was shared: its chunks no longer match
  | 'ENOCHUNK' // a peer downloading a file does not have that chunk (yet)
  | 'ENOPEER' // no live peer has what is needed
  | 'EPERM' // a peer speaking for another peer; a group action only the group's owner may take
  | 'EAUTH' // a wrong user name or password (one answer for both), or a session token that is bad, expired or revoked
  | 'EACCES' // a group's file asked for by a session that is not one of its members (or by no session)
  | 'EAGAIN' // refused for now, nothing wrong with the request: too many failed logins, password hashing busy
  | 'EIO'; // SQLite or the file system failed; the message names the file

export class NetError extends Error {
  readonly code: NetErrorCode;

  constructor(code: NetErrorCode, message: string) {
    super(message);
    this.name = 'NetError';
    this.code = code;
  }
}

/** A network store's SQLite or file-system failure as EIO: `context` says what failed and names the file. */
export function storeFailure(error: unknown, context: string): NetError {
  const {code, reason} = describeFailure(error);
  const netError = new NetError('EIO', `${context} (${code}): ${reason}.`);
  netError.cause = error;
  return netError;
}

/** openSqliteFile's refusal of a store file a newer p2pos wrote: ENOTSUP naming the store (`what`) and file. */
export function newerSchema(what: string, path: string): (version: number, known: number) => NetError {
  return (version, known) => new NetError('ENOTSUP', newerSchemaMessage(what, path, version, known));
}
