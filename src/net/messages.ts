// The protocol's messages: a typed union, and the validator every frame header goes through on
// arrival. A frame whose header is not one of these (wrong type, missing or ill-typed field, a
// string over its limit) is a protocol error: the connection that sent it is closed.
//
// Every request carries `id` (a positive integer, unique among the sender's requests on that
// connection); its answer is an OK or ERR carrying `re` = that id. HELLO is the first frame each
// side sends, and the only one without an id.

import type {Change} from './change-log.js';
import {ProtocolError} from './errors.js';
import type {JsonValue} from './json.js';

/** Bumped on any change a version-1 peer would misread; HELLO with another version is refused. */
export const PROTOCOL_VERSION = 1;

export type Role = 'tracker' | 'peer' | 'client';

/** Where a peer listens, as the tracker hands it out. */
export interface PeerAddress {
  id: string;
  name: string;
  host: string;
  port: number;
}

export interface PeerLoad {
  /** The kernel's ready-queue length. */
  ready: number;
  /** Tasks running in the sandbox now. */
  tasks: number;
}

/** A peer as the tracker knows it (PEERS, REQUEST_CPU). */
export interface PeerInfo extends PeerAddress {
  load: PeerLoad;
  /** Tasks waiting for the sandbox. */
  queue: number;
  tasksDone: number;
  /** Recent task response time the peer reports, ms; null until it has run one. */
  rttMs: number | null;
  /** Epoch ms of the last heartbeat. */
  lastHeartbeat: number;
  alive: boolean;
}

/** A task as it travels to the peer that runs it. */
export interface TaskSpec {
  taskId: string;
  code: string;
  fn: string;
  args: unknown[];
  timeoutMs: number;
  priority: number;
  /** Skip the result cache (the task has effects or depends on time). */
  noCache: boolean;
  /** Run in a context kept warm for this code and submitter (globals persist between calls). */
  warm: boolean;
}

export interface TaskTimings {
  /** Queued on the executing peer before the sandbox took it. */
  waitingMs: number;
  /** In the sandbox. */
  execMs: number;
}

/** The outcome of one task; `result` is a JSON value. */
export type TaskOutcome =
  | {ok: true; taskId: string; peer: string; result: unknown; cached: boolean; timings: TaskTimings}
  | {ok: false; taskId: string; peer: string; code: string; message: string; timings: TaskTimings};

export type Request =
  | ReplicationRequest
  // remoteExec false: the peer runs no tasks for others (--no-remote-exec), so none is placed on it
  | {type: 'REGISTER'; id: number; peer: PeerAddress; remoteExec?: boolean}
  | {type: 'UNREGISTER'; id: number; peerId: string}
  | {
      type: 'HEARTBEAT';
      id: number;
      peerId: string;
      load: PeerLoad;
      queue: number;
      tasksDone: number;
      rttMs: number | null;
    }
  | {type: 'REQUEST_CPU'; id: number; exclude: string[]; count: number}
  | {type: 'PEERS'; id: number}
  // `token` on tasks and memory: the submitting user's session (recorded with the task or key, and charged to)
  | {type: 'EXEC'; id: number; task: TaskSpec; token?: string | null}
  | {type: 'BATCH'; id: number; tasks: TaskSpec[]; token?: string | null}
  | {type: 'CANCEL'; id: number; taskId: string}
  | {type: 'SET_MEM'; id: number; key: string; value: unknown; token?: string | null}
  | {type: 'GET_MEM'; id: number; key: string; token?: string | null}
  | {type: 'DEL_MEM'; id: number; key: string; token?: string | null}
  | {type: 'LIST_MEM'; id: number; prefix: string; token?: string | null}
  | {type: 'ECHO'; id: number; data: unknown}
  // Disk sharing. SHARE carries the chunk hashes as its body (32 raw bytes each, in order); the answers
  // to FILE (the hashes), CHUNK (the bytes of `count` consecutive chunks from `index`, in one body) and
  // HAVE_MAP (a bitmap) carry theirs.
  | {type: 'SHARE'; id: number; peerId: string; file: FileSpec; token?: string | null}
  | {type: 'UNSHARE'; id: number; peerId: string; fileId: string}
  | {type: 'HAVE'; id: number; peerId: string; fileId: string; have: number}
  | {type: 'FILES'; id: number; all: boolean; group: string | null; token?: string | null}
  | {type: 'FILE'; id: number; ref: string; token?: string | null}
  | {type: 'CHUNK'; id: number; fileId: string; index: number; count: number; token?: string | null}
  | {type: 'HAVE_MAP'; id: number; fileId: string; token?: string | null}
  // Accounts, at the tracker (accounts.ts). `token` is a session from LOGIN (absent: null, no user); a
  // request that needs a user and has none, or an expired one, gets EAUTH. Passwords travel only here, inside the link's TLS.
  | {type: 'USERADD'; id: number; name: string; password: string}
  | {type: 'LOGIN'; id: number; name: string; password: string}
  | {type: 'LOGOUT'; id: number; token: string}
  | {type: 'WHOAMI'; id: number; token: string}
  | {type: 'PASSWD'; id: number; token: string; old: string; password: string}
  | {type: 'GROUP'; id: number; token: string; op: GroupOp; group: string; user: string | null}
  | {type: 'GROUPS'; id: number; token?: string | null}
  // ACCESS: may this session read files of `group`? A peer asks before serving a group file's chunks.
  | {type: 'ACCESS'; id: number; token?: string | null; group: string};

/** What GROUP does: create (the caller owns it), join (ask), requests/accept/reject (owner), leave. */
export type GroupOp = 'create' | 'join' | 'requests' | 'accept' | 'reject' | 'leave';
export const GROUP_OPS: readonly GroupOp[] = ['create', 'join', 'requests', 'accept', 'reject', 'leave'];

export type RequestType = Request['type'];

/** A shared file as SHARE registers it (its chunk hashes travel as the frame body). */
export interface FileSpec {
  /** SHA-256 of the whole file, 64 lowercase hex digits. */
  fileId: string;
  name: string;
  size: number;
  chunkSize: number;
  chunkCount: number;
  group: string | null;
}

/** A shared file as the tracker lists it (FILES, FILE). */
export interface FileSummary extends FileSpec {
  /** The name of the peer that shared it first. */
  owner: string;
  /** Epoch ms it was first shared. */
  sharedAt: number;
  /** Live peers that have every chunk. */
  seeders: number;
  /** Live peers that have some chunks (downloading). */
  partial: number;
}

/** A live peer that has a file, or some of its chunks (FILE). */
export interface HolderInfo extends PeerAddress {
  complete: boolean;
  /** Chunks it has verified. */
  have: number;
}

// Replication between twin trackers (replication.ts). Only a tracker (HELLO role tracker) may send them.
export type ReplicationRequest =
  // REPLICATE: {type, id, origin, changes, soft} + the changes' blobs in order as the body - changes
  // made on `origin` (or applied there), each origin's in seq order, and soft state (heartbeats) to apply
  // unlogged. Answer: {cursor}, the highest seq of `origin` the receiver now holds (send from there on).
  | {type: 'REPLICATE'; id: number; origin: string; changes: WireChange[]; soft: SoftChange[]}
  // CHANGES: {type, id, origin, since, limit} - "the changes of origin X after seq N", for catching up.
  // Answer: {changes, cursors} + blobs as the body; cursors is every origin the answerer holds -> its seq.
  | {type: 'CHANGES'; id: number; origin: string; since: number; limit: number}
  // TWIN: {type, id, host, port} - "I replicate with you; I listen at host:port" (a wildcard host: the
  // address the link came from), sent each time a tracker links to the twin it was given. A tracker
  // with no twin takes the sender as its own and keeps it. Answer: {twin: "host:port", isNew}; ERR
  // EEXIST when the receiver already replicates with another tracker.
  | {type: 'TWIN'; id: number; host: string; port: number};

/** A logged change on the wire: its blob (if any) is the next `blobBytes` bytes of the frame body. */
export type WireChange = Omit<Change, 'blob'> & {blobBytes: number};

/** Soft state forwarded to a twin, not logged: the latest `data` for (kind, key), e.g. a heartbeat. */
export interface SoftChange {
  kind: string;
  key: string;
  data: JsonValue;
}

export interface Hello {
  type: 'HELLO';
  v: number;
  /** The sender's peer id (a tracker's or a client's id for those roles). */
  peer: string;
  role: Role;
  name: string;
}

export interface Ok {
  type: 'OK';
  re: number;
  /** The frame's raw body (file data, hashes); set by the connection, empty when the answer has none. */
  body?: Buffer;
  [field: string]: unknown;
}

export interface Err {
  type: 'ERR';
  re: number;
  code: string;
  message: string;
}

export type Message = Hello | Request | Ok | Err;

// Limits on fields, so a valid message is also a bounded one.
export const MAX_ID_LENGTH = 64;
export const MAX_NAME_LENGTH = 64;
export const MAX_HOST_LENGTH = 255;
export const MAX_KEY_LENGTH = 1024;
export const MAX_CODE_LENGTH = 256 * 1024;
export const MAX_BATCH_TASKS = 1000;
/** Chunks one CHUNK request may ask for (their bytes must also fit one frame body). */
export const MAX_RUN_CHUNKS = 64;
export const MAX_TASK_TIMEOUT_MS = 10 * 60 * 1000;
const MAX_MESSAGE_LENGTH = 4096;
export const MAX_FILE_NAME_LENGTH = 255;
export const MAX_GROUP_LENGTH = 64;
/** Ids, hex prefixes and names all fit. */
const MAX_FILE_REF_LENGTH = 255;
/** A session token (session-token.ts makes them well under this). */
export const MAX_TOKEN_LENGTH = 512;
/** A password's bytes are checked by accounts.ts (at most 1,024); UTF-16 units are at most as many. */
const MAX_PASSWORD_LENGTH = 1024;
const MAX_EXCLUDE = 1024;

// A tiny schema language: each check returns the value typed, or throws EPROTO naming the field.
type Check<T> = (value: unknown, field: string) => T;

function fail(field: string, why: string): never {
  throw new ProtocolError('EPROTO', `Field \`${field}\` ${why}.`);
}

const string =
  (max: number, min = 0): Check<string> =>
  (value, field) => {
    if (typeof value !== 'string') fail(field, 'is not a string');
    if (value.length < min) fail(field, 'is empty');
    if (value.length > max) fail(field, `is longer than ${max} characters`);
    return value;
  };

const integer =
  (min: number, max: number): Check<number> =>
  (value, field) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(field, 'is not a whole number');
    if (value < min || value > max) fail(field, `is out of range ${min}..${max}`);
    return value;
  };

const number: Check<number> = (value, field) => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    fail(field, 'is not a non-negative number');
  return value;
};

const boolean: Check<boolean> = (value, field) => {
  if (typeof value !== 'boolean') fail(field, 'is not true or false');
  return value;
};

/** Any JSON value: arrived through JSON.parse, so it is one; only `undefined` (absent) is refused. */
const json: Check<unknown> = (value, field) => {
  if (value === undefined) fail(field, 'is missing');
  return value;
};

const nullable =
  <T>(check: Check<T>): Check<T | null> =>
  (value, field) =>
    value === null ? null : check(value, field);

const withDefault =
  <T>(check: Check<T>, fallback: T): Check<T> =>
  (value, field) =>
    value === undefined ? fallback : check(value, field);

const array =
  <T>(check: Check<T>, max: number): Check<T[]> =>
  (value, field) => {
    if (!Array.isArray(value)) fail(field, 'is not an array');
    if (value.length > max) fail(field, `has more than ${max} items`);
    return value.map((item, index) => check(item, `${field}[${index}]`));
  };

function object<T>(shape: {[K in keyof T]: Check<T[K]>}): Check<T> {
  return (value, field) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'is not an object');
    const record = value as Record<string, unknown>;
    const out = {} as T;
    for (const key of Object.keys(shape) as (keyof T & string)[]) {
      out[key] = shape[key](
        Object.hasOwn(record, key) ? record[key] : undefined,
        field ? `${field}.${key}` : key,
      );
    }
    return out;
  };
}

const identifier: Check<string> = (value, field) => {
  const name = string(128, 1)(value, field);
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) fail(field, 'is not a JavaScript identifier');
  return name;
};

const peerId = string(MAX_ID_LENGTH, 1);
const fileId: Check<string> = (value, field) => {
  const id = string(64, 64)(value, field);
  if (!/^[0-9a-f]{64}$/.test(id)) fail(field, 'is not 64 lowercase hex digits (a SHA-256)');
  return id;
};
const group = nullable(string(MAX_GROUP_LENGTH, 1));
const requestId = integer(1, Number.MAX_SAFE_INTEGER);
const token = string(MAX_TOKEN_LENGTH, 1);
const maybeToken = withDefault(nullable(token), null);
const password = string(MAX_PASSWORD_LENGTH);
/** User and group names: accounts.ts checks their spelling; here only their length. */
const accountName = string(MAX_NAME_LENGTH, 1);
const groupOp: Check<GroupOp> = (value, field) => {
  if (typeof value !== 'string' || !(GROUP_OPS as readonly string[]).includes(value))
    fail(field, `is not one of ${GROUP_OPS.join(', ')}`);
  return value as GroupOp;
};
const count = integer(0, 1e9);

const peerAddress = object<PeerAddress>({
  id: peerId,
  name: string(MAX_NAME_LENGTH, 1),
  host: string(MAX_HOST_LENGTH, 1),
  port: integer(1, 65535),
});

const peerLoad = object<PeerLoad>({ready: count, tasks: count});

const taskSpec = object<TaskSpec>({
  taskId: string(MAX_ID_LENGTH, 1),
  code: string(MAX_CODE_LENGTH, 1),
  fn: identifier,
  args: array(json, 10_000),
  timeoutMs: integer(1, MAX_TASK_TIMEOUT_MS),
  priority: withDefault(integer(0, 99), 0),
  noCache: withDefault(boolean, false),
  warm: withDefault(boolean, false),
});

// Replication's messages: origins are tracker ids; `data` is any JSON (the store it names checks it).
const MAX_REPLICATED_CHANGES = 1_000;
const MAX_SOFT_CHANGES = 4_096;
const MAX_KIND_LENGTH = 32;
const MAX_RECORD_KEY_LENGTH = 1024;
const MAX_BLOB_BYTES = 8 * 1024 * 1024; // a frame body's limit (frame.ts)
const sequence = integer(0, Number.MAX_SAFE_INTEGER);
const wireChange = object<WireChange>({
  origin: peerId,
  seq: integer(1, Number.MAX_SAFE_INTEGER),
  kind: string(MAX_KIND_LENGTH, 1),
  key: string(MAX_RECORD_KEY_LENGTH),
  at: number,
  data: json as Check<JsonValue>,
  blobBytes: withDefault(integer(0, MAX_BLOB_BYTES), 0),
});
const softChange = object<SoftChange>({
  kind: string(MAX_KIND_LENGTH, 1),
  key: string(MAX_RECORD_KEY_LENGTH),
  data: json as Check<JsonValue>,
});
const replicationChecks = {
  REPLICATE: object({
    id: requestId,
    origin: peerId,
    changes: withDefault(array(wireChange, MAX_REPLICATED_CHANGES), []),
    soft: withDefault(array(softChange, MAX_SOFT_CHANGES), []),
  }),
  CHANGES: object({
    id: requestId,
    origin: peerId,
    since: sequence,
    limit: withDefault(integer(1, MAX_REPLICATED_CHANGES), MAX_REPLICATED_CHANGES),
  }),
  TWIN: object({id: requestId, host: string(MAX_HOST_LENGTH, 1), port: integer(1, 65535)}),
};
/** Requests only a tracker sends to its twin; a tracker serves them too (TRACKER_REQUESTS). */
export const REPLICATION_REQUESTS: readonly RequestType[] = ['REPLICATE', 'CHANGES', 'TWIN'];

const requests: {[T in RequestType]: Check<Omit<Extract<Request, {type: T}>, 'type'>>} = {
  ...replicationChecks,
  REGISTER: object({id: requestId, peer: peerAddress, remoteExec: withDefault(boolean, true)}),
  UNREGISTER: object({id: requestId, peerId}),
  HEARTBEAT: object({
    id: requestId,
    peerId,
    load: peerLoad,
    queue: count,
    tasksDone: count,
    rttMs: withDefault(nullable(number), null),
  }),
  REQUEST_CPU: object({
    id: requestId,
    exclude: withDefault(array(peerId, MAX_EXCLUDE), []),
    count: withDefault(integer(1, MAX_BATCH_TASKS), 1),
  }),
  PEERS: object({id: requestId}),
  EXEC: object({id: requestId, task: taskSpec, token: maybeToken}),
  BATCH: object({id: requestId, tasks: array(taskSpec, MAX_BATCH_TASKS), token: maybeToken}),
  CANCEL: object({id: requestId, taskId: string(MAX_ID_LENGTH, 1)}),
  SET_MEM: object({id: requestId, key: string(MAX_KEY_LENGTH), value: json, token: maybeToken}),
  GET_MEM: object({id: requestId, key: string(MAX_KEY_LENGTH), token: maybeToken}),
  DEL_MEM: object({id: requestId, key: string(MAX_KEY_LENGTH), token: maybeToken}),
  LIST_MEM: object({
    id: requestId,
    prefix: withDefault(string(MAX_KEY_LENGTH), ''),
    token: maybeToken,
  }),
  ECHO: object({id: requestId, data: withDefault(json, null)}),
  SHARE: object({
    id: requestId,
    peerId,
    file: object<FileSpec>({
      fileId,
      name: string(MAX_FILE_NAME_LENGTH, 1),
      size: integer(0, Number.MAX_SAFE_INTEGER),
      chunkSize: integer(1, 2 ** 31),
      chunkCount: integer(0, 2 ** 31),
      group: withDefault(group, null),
    }),
    token: maybeToken,
  }),
  UNSHARE: object({id: requestId, peerId, fileId}),
  HAVE: object({id: requestId, peerId, fileId, have: integer(0, 2 ** 31)}),
  FILES: object({
    id: requestId,
    all: withDefault(boolean, false),
    group: withDefault(group, null),
    token: maybeToken,
  }),
  FILE: object({id: requestId, ref: string(MAX_FILE_REF_LENGTH, 1), token: maybeToken}),
  CHUNK: object({
    id: requestId,
    fileId,
    index: integer(0, 2 ** 31),
    count: withDefault(integer(1, MAX_RUN_CHUNKS), 1),
    token: maybeToken,
  }),
  HAVE_MAP: object({id: requestId, fileId, token: maybeToken}),
  USERADD: object({id: requestId, name: accountName, password}),
  LOGIN: object({id: requestId, name: accountName, password}),
  LOGOUT: object({id: requestId, token}),
  WHOAMI: object({id: requestId, token}),
  PASSWD: object({id: requestId, token, old: password, password}),
  GROUP: object({
    id: requestId,
    token,
    op: groupOp,
    group: string(MAX_GROUP_LENGTH, 1),
    user: withDefault(nullable(accountName), null),
  }),
  GROUPS: object({id: requestId, token: maybeToken}),
  ACCESS: object({id: requestId, token: maybeToken, group: string(MAX_GROUP_LENGTH, 1)}),
};

const hello = object<Omit<Hello, 'type'>>({
  v: integer(0, 1e6),
  peer: peerId,
  role: (value, field) => {
    if (value !== 'tracker' && value !== 'peer' && value !== 'client')
      fail(field, 'is not tracker, peer or client');
    return value;
  },
  name: withDefault(string(MAX_NAME_LENGTH), ''),
});

const err = object<Omit<Err, 'type'>>({
  re: requestId,
  code: string(32, 1),
  message: string(MAX_MESSAGE_LENGTH),
});

/** The account requests, all a tracker's (tracker-accounts.ts answers them). */
export const ACCOUNT_REQUESTS: ReadonlySet<RequestType> = new Set([
  'USERADD',
  'LOGIN',
  'LOGOUT',
  'WHOAMI',
  'PASSWD',
  'GROUP',
  'GROUPS',
  'ACCESS',
]);

/** Request types a tracker answers; the rest go to peers. */
export const TRACKER_REQUESTS: ReadonlySet<RequestType> = new Set([
  ...REPLICATION_REQUESTS,
  'REGISTER',
  'UNREGISTER',
  'HEARTBEAT',
  'REQUEST_CPU',
  'PEERS',
  'ECHO',
  'SHARE',
  'UNSHARE',
  'HAVE',
  'FILES',
  'FILE',
  ...ACCOUNT_REQUESTS,
]);

/**
 * The message a frame header carries, checked field by field; throws ProtocolError EPROTO naming
 * the first thing wrong. Unknown extra fields are dropped from requests (a newer minor peer may
 * add some) but kept on OK answers, whose fields depend on the request.
 */
export function parseMessage(header: Record<string, unknown>): Message {
  const type = header.type;
  if (typeof type !== 'string') throw new ProtocolError('EPROTO', 'Message has no `type`.');
  if (type === 'HELLO') return {type, ...hello(header, '')};
  if (type === 'OK') return {...header, type, re: requestId(header.re, 're')};
  if (type === 'ERR') return {type, ...err(header, '')};
  if (!Object.hasOwn(requests, type))
    throw new ProtocolError('EPROTO', `Unknown message type \`${type.slice(0, 32)}\`.`);
  const check = requests[type as RequestType] as Check<object>;
  return {type, ...check(header, '')} as Request;
}

export function isRequest(message: Message): message is Request {
  return message.type !== 'HELLO' && message.type !== 'OK' && message.type !== 'ERR';
}
