// The network as commands: `peers`, `net`, `kv`, `cache`, `quota`. Thin adapters over the peer
// (src/net/peer.ts); the network starts on the first of them in script mode.

import type {Peer} from '../../net/peer.js';
import {expectPositionals, flagText, runSubcommand, type Args} from '../args.js';
import type {Command, Context, Result} from '../command.js';
import {ShellError} from '../errors.js';
import {tableBlock} from '../format.js';

/** The running peer, starting the network if needed; ENONET offline or without a network. */
export async function peerOf(context: Context): Promise<Peer> {
  if (context.net === undefined) throw new ShellError('ENONET', 'This shell has no network.');
  return context.net.peer();
}

/** "1.2 s ago" for an epoch-ms time. */
function ago(epochMs: number, now = Date.now()): string {
  const ms = Math.max(0, now - epochMs);
  return ms < 1_000 ? `${ms} ms ago` : `${(ms / 1_000).toFixed(1)} s ago`;
}

/** Bytes with a binary unit: 512 B, 1.5 KiB, 3.0 MiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** "host:port" of a tracker. */
function trackerText(tracker: {host: string; port: number}): string;
function trackerText(tracker: {host: string; port: number} | undefined): string | null;
function trackerText(tracker: {host: string; port: number} | undefined): string | null {
  return tracker === undefined ? null : `${tracker.host}:${tracker.port}`;
}

/** With twin trackers, which one answered: "; from tracker H:P (of 2)". */
function trackerNote(peer: Peer): string {
  return peer.trackers.length > 1
    ? `; listed by tracker ${trackerText(peer.tracker)} (of ${peer.trackers.length})`
    : '';
}

export const peers: Command = {
  name: 'peers',
  usage: ['peers'],
  summary: 'List the peers the tracker knows: address, load, queue, tasks done, last heartbeat, alive',
  details: [
    "LOAD is the peer kernel's ready-queue length plus the tasks it runs; QUEUE the tasks waiting for its sandbox.",
    'A peer that misses 3 heartbeats is marked dead and is not given tasks until it beats again.',
  ],
  async run(args, context) {
    expectPositionals(args, 0);
    const peer = await peerOf(context);
    const list = await peer.peers();
    const now = Date.now();
    const rows = list.map((info) => ({...info, self: info.id === peer.id}));
    return {
      lines: [
        tableBlock(rows, [
          {header: 'ID', value: (row) => (row.self ? `${row.id} *` : row.id)},
          {header: 'NAME', value: (row) => row.name},
          {header: 'ADDRESS', value: (row) => `${row.host}:${row.port}`},
          {header: 'LOAD', value: (row) => row.load.ready + row.load.tasks},
          {header: 'QUEUE', value: (row) => row.queue},
          {header: 'DONE', value: (row) => row.tasksDone},
          {
            header: 'RTT',
            value: (row) => (row.rttMs === null ? '-' : `${row.rttMs.toFixed(1)} ms`),
            align: 'right',
          },
          {header: 'HEARTBEAT', value: (row) => ago(row.lastHeartbeat, now), align: 'right'},
          {header: 'ALIVE', value: (row) => (row.alive ? 'yes' : 'no')},
        ]),
        `${list.filter((info) => info.alive).length} of ${list.length} alive (* is this peer)${trackerNote(peer)}`,
      ],
      data: {self: peer.id, tracker: trackerText(peer.tracker), peers: list},
    };
  },
};

export const netCommand: Command = {
  name: 'net',
  usage: ['net'],
  summary: 'This peer on the network: id, addresses, tracker, links (TLS or plain), traffic, connections',
  async run(args, context) {
    expectPositionals(args, 0);
    const peer = await peerOf(context);
    const stats = peer.stats();
    const tracker = context.net?.tracker();
    const data = {
      id: peer.id,
      name: peer.name,
      offline: peer.tracker === undefined,
      address: peer.tracker === undefined ? null : `${peer.host}:${peer.port}`,
      tracker: peer.tracker === undefined ? null : `${peer.tracker.host}:${peer.tracker.port}`,
      // Twin trackers: every one the peer may use, in order; `tracker` is the one in use now.
      trackers: peer.trackers.map(trackerText),
      trackerHere: tracker !== undefined,
      registered: peer.isRegistered(),
      // Offline there are no links; else TLS keyed from the network secret, or plain with --insecure.
      links: peer.tracker === undefined ? null : peer.isSecure ? 'tls' : 'plain',
      bytesIn: stats.bytesIn,
      bytesOut: stats.bytesOut,
      connections: stats.connections,
      sandbox: peer.runner.load(),
    };
    return {
      lines: [
        data.address === null
          ? `peer        ${data.id} (${data.name}) offline: no port; tasks run here`
          : `peer        ${data.id} (${data.name}) listening on ${data.address}`,
        data.tracker === null
          ? 'tracker     none (--offline)'
          : `tracker     ${data.tracker}${data.trackerHere ? ' (run by this process)' : ''}, ${data.registered ? 'registered' : 'NOT registered (retrying)'}`,
        ...(data.trackers.length > 1
          ? [
              `trackers    ${data.trackers.map((text) => (text === data.tracker ? `${text} (in use)` : text)).join(', ')}`,
            ]
          : []),
        data.links === null
          ? 'links       none (offline)'
          : data.links === 'tls'
            ? 'links       TLS 1.3, keyed from the network secret'
            : 'links       plain TCP (--insecure): readable and changeable on the wire',
        `traffic     ${formatBytes(stats.bytesIn)} in, ${formatBytes(stats.bytesOut)} out`,
        `connections ${stats.connections.incoming} in, ${stats.connections.outgoing} out`,
        `tasks       ${data.sandbox.tasks} running, ${data.sandbox.queue} queued, ${data.sandbox.tasksDone} done`,
      ],
      data,
    };
  },
};

/** A value typed at the prompt: JSON when it parses (5, "a", [1,2], {"k":1}), else the text itself. */
export function parseValue(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  // JSON.parse reads 1e999 as Infinity, which JSON cannot hold: sent on, it would arrive as null.
  if (hasNonFiniteNumber(value))
    throw new ShellError(
      'EUSAGE',
      `${JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text)} holds a number too large for JSON (it reads as Infinity).`,
    );
  return value;
}

/** Whether `value` (parsed JSON) holds a number that overflowed to Infinity. */
export function hasNonFiniteNumber(value: unknown): boolean {
  const pending = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'number' && !Number.isFinite(next)) return true;
    if (next !== null && typeof next === 'object') pending.push(...Object.values(next));
  }
  return false;
}

export const kv: Command = {
  name: 'kv',
  usage: [
    'kv set KEY VALUE [--peer ID]',
    'kv get KEY [--peer ID]',
    'kv del KEY [--peer ID]',
    'kv ls [PREFIX] [--peer ID]',
  ],
  summary: "A peer's key/value memory: this peer's, or another's with --peer",
  details: [
    'VALUE is JSON when it parses (5, "a", [1,2], {"k":1}), else a string. Any string is a key, `__proto__` too.',
    "Keys and bytes count against the storing peer's quota for you (see `quota` there).",
  ],
  flags: {peer: {kind: 'value'}},
  subcommands: ['set', 'get', 'del', 'ls'],
  freeText: {subcommand: 'set', from: 2}, // kv set KEY VALUE
  run(args, context) {
    return runSubcommand(args, 'kv', KV_SUBCOMMANDS, context, 'ls');
  },
};

type KvRun = (rest: Args, context: Context) => Promise<Result>;
const withPeer = (run: KvRun) => ({flags: ['peer'], run});

const KV_SUBCOMMANDS = {
  set: withPeer(async (rest, context) => {
    expectPositionals(rest, 2);
    const [key, text] = rest.positionals as [string, string];
    const memory = await (await peerOf(context)).memory(flagText(rest, 'peer'));
    const value = parseValue(text);
    const stored = await memory.set(key, value);
    return {
      lines: [`${stored.created ? 'set' : 'replaced'} ${JSON.stringify(key)} (${formatBytes(stored.bytes)})`],
      data: {key, ...stored},
    };
  }),
  get: withPeer(async (rest, context) => {
    expectPositionals(rest, 1);
    const key = rest.positionals[0]!;
    const memory = await (await peerOf(context)).memory(flagText(rest, 'peer'));
    const {found, value} = await memory.get(key);
    if (!found) throw new ShellError('ENOENT', `No key ${JSON.stringify(key)}.`);
    return {lines: [JSON.stringify(value)], data: {key, value}};
  }),
  del: withPeer(async (rest, context) => {
    expectPositionals(rest, 1);
    const key = rest.positionals[0]!;
    const memory = await (await peerOf(context)).memory(flagText(rest, 'peer'));
    if (!(await memory.del(key))) throw new ShellError('ENOENT', `No key ${JSON.stringify(key)}.`);
    return {lines: [`deleted ${JSON.stringify(key)}`], data: {key, deleted: true}};
  }),
  ls: withPeer(async (rest, context) => {
    expectPositionals(rest, 0, 1);
    const memory = await (await peerOf(context)).memory(flagText(rest, 'peer'));
    const entries = await memory.list(rest.positionals[0]);
    return {
      lines: [
        tableBlock(entries, [
          {header: 'KEY', value: (entry) => JSON.stringify(entry.key)},
          {header: 'BYTES', value: (entry) => entry.bytes},
          {header: 'OWNER', value: (entry) => entry.owner},
        ]),
        `${entries.length} key${entries.length === 1 ? '' : 's'}`,
      ],
      data: {entries},
    };
  }),
};

export const cacheCommand: Command = {
  name: 'cache',
  usage: ['cache', 'cache clear'],
  summary: 'The task result cache on this peer: entries, hits, misses; `cache clear` empties it',
  details: [
    'Identical tasks (same code, function and arguments) are answered from the cache, keyed by SHA-256,',
    'until the entry expires. `exec --no-cache` opts a task out (effects, time, randomness).',
  ],
  subcommands: ['clear'],
  async run(args, context) {
    expectPositionals(args, 0, 1);
    const peer = await peerOf(context);
    if (args.positionals[0] === 'clear') {
      const dropped = peer.cache.clear();
      return {lines: [`cleared ${dropped} entr${dropped === 1 ? 'y' : 'ies'}`], data: {cleared: dropped}};
    }
    if (args.positionals.length > 0)
      throw new ShellError('EUSAGE', `Unknown sub-command \`${args.positionals[0]}\`.`);
    const stats = peer.cache.stats();
    const entries = peer.cache.entries();
    return {
      lines: [
        tableBlock(entries, [
          {header: 'KEY', value: (entry) => entry.shortKey},
          {header: 'BYTES', value: (entry) => entry.bytes},
          {header: 'AGE', value: (entry) => `${(entry.ageMs / 1000).toFixed(1)} s`, align: 'right'},
          {header: 'HITS', value: (entry) => entry.hits},
        ]),
        `${stats.entries} entries, ${formatBytes(stats.bytes)}; ${stats.hits} hits, ${stats.misses} misses, ${stats.evictions} evicted, ${stats.expirations} expired`,
      ],
      data: {...stats, entries},
    };
  },
};

export const quota: Command = {
  name: 'quota',
  usage: ['quota'],
  summary:
    'What each remote peer uses here (tasks in the last minute, memory keys, bytes) against its limits',
  async run(args, context) {
    expectPositionals(args, 0);
    const peer = await peerOf(context);
    // this peer's own keys (kv set here) are in the store too, but no quota applies to them
    const rows = peer.quotas.list().filter((row) => row.peer !== peer.id);
    const {limits} = peer.quotas;
    return {
      lines: [
        tableBlock(rows, [
          {header: 'PEER', value: (row) => row.peer},
          {
            header: 'TASKS/MIN',
            value: (row) => `${row.tasksLastMinute}/${row.limits.tasksPerMinute}`,
            align: 'right',
          },
          {header: 'KEYS', value: (row) => `${row.keys}/${row.limits.memoryKeys}`, align: 'right'},
          {
            header: 'BYTES',
            value: (row) => `${formatBytes(row.bytes)}/${formatBytes(row.limits.storedBytes)}`,
            align: 'right',
          },
        ]),
        `limits per peer: ${limits.tasksPerMinute} tasks a minute, ${limits.memoryKeys} keys, ${formatBytes(limits.storedBytes)}`,
      ],
      data: {limits, peers: rows},
    };
  },
};
