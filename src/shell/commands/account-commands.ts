// Accounts as commands: `useradd`, `login`, `logout`, `whoami`, `passwd`, `group`. Thin adapters over
// the tracker's account requests (src/net/tracker-accounts.ts) through this process's peer, which keeps
// the session: files, downloads, tasks and memory keys then go out as that user.
// A password comes from, in order: the command's --password-file or --password, the shell's defaults
// (p2pos --password-file, P2POS_PASSWORD), the console's prompt (no echo); else a usage error.

import fs from 'node:fs';
import {checkName} from '../../net/accounts.js';
import type {GroupOp} from '../../net/messages.js';
import type {Peer} from '../../net/peer.js';
import {expectPositionals, flagText, runSubcommand, type Args} from '../args.js';
import type {Command, Context, PasswordDefaults, Result} from '../command.js';
import {ShellError} from '../errors.js';
import {tableBlock} from '../format.js';
import {peerOf} from './net-commands.js';

/** A password file's first line is the password; a larger file is not one. */
const MAX_PASSWORD_FILE_BYTES = 4096;

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

type Which = 'password' | 'new';

function readPasswordFile(path: string): string {
  let text: string;
  try {
    const stats = fs.statSync(path);
    if (!stats.isFile()) throw new Error('not a regular file');
    if (stats.size > MAX_PASSWORD_FILE_BYTES) throw new Error(`over ${MAX_PASSWORD_FILE_BYTES} bytes`);
    text = fs.readFileSync(path, 'utf8');
  } catch (error) {
    // Node's own message repeats the code and the syscall: "ENOENT: no such file or directory, stat 'x'".
    const why = READ_ERRORS[(error as NodeJS.ErrnoException).code ?? ''] ?? (error as Error).message;
    throw new ShellError('ENOENT', `Cannot read password file ${path}: ${why}.`);
  }
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  if (line.length === 0) throw new ShellError('EUSAGE', `Password file ${path} has an empty first line.`);
  return line;
}

/** A password, and whether the console's prompt asked for it. (The runner warns about an inline --password.) */
async function passwordFor(
  args: Args,
  context: Context,
  which: Which,
  prompt: string,
): Promise<{password: string; isAsked?: boolean}> {
  const flag = which === 'password' ? 'password' : 'new-password';
  const file = flagText(args, `${flag}-file`);
  const value = flagText(args, flag);
  if (file !== undefined && value !== undefined)
    throw new ShellError('EUSAGE', `Give --${flag}-file or --${flag}, not both.`);
  if (file !== undefined) return {password: readPasswordFile(file)};
  if (value !== undefined) return {password: value};
  const defaults: PasswordDefaults = context.passwords ?? {};
  const fromFile = which === 'password' ? defaults.file : defaults.newFile;
  const fromValue = which === 'password' ? defaults.value : defaults.newValue;
  if (fromFile !== undefined) return {password: readPasswordFile(fromFile)};
  if (fromValue !== undefined) return {password: fromValue};
  if (context.readSecret) return {password: await context.readSecret(prompt), isAsked: true};
  const env = which === 'password' ? 'P2POS_PASSWORD' : 'P2POS_NEW_PASSWORD';
  throw new ShellError(
    'EUSAGE',
    `No ${which === 'password' ? 'password' : 'new password'}: in a script give --${flag}-file FILE, set ${env}, or --${flag} P.`,
  );
}

/**
 * A user or group name checked here as the tracker checks it: one it would refuse as a malformed
 * message (empty, over 64 characters) closes the link, and the user saw only "Connection closed".
 */
function checkedName(value: string, what: 'User' | 'Group'): string {
  try {
    checkName(value, what);
  } catch (error) {
    throw new ShellError('EUSAGE', (error as Error).message);
  }
  return value;
}

/** `useradd NAME` and `login NAME`: the name, the peer to ask through, and NAME's password. */
async function nameAndPassword(
  args: Args,
  context: Context,
): Promise<{name: string; peer: Peer; password: string}> {
  expectPositionals(args, 1);
  const name = checkedName(args.positionals[0]!, 'User');
  const peer = await peerOf(context);
  return {name, peer, ...(await passwordFor(args, context, 'password', `Password for ${name}: `))};
}

/** The logged-in session's token; EAUTH-like usage error when there is none. */
function sessionOf(peer: Peer, what: string): {token: string; user: string} {
  const session = peer.session;
  if (session === undefined)
    throw new ShellError('EUSAGE', `${what} needs a user: log in first (login NAME).`);
  return session;
}

const PASSWORD_FLAGS = {
  'password-file': {kind: 'value'},
  password: {kind: 'value', saferWay: '--password-file FILE or P2POS_PASSWORD'},
} as const;

function untilText(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export const useradd: Command = {
  name: 'useradd',
  usage: ['useradd NAME [--password-file FILE | --password P]'],
  summary: 'Create a user account at the tracker (the password is asked for, or read from a file)',
  details: [
    'NAME: 1 to 32 of a-z 0-9 _ . - (lower case), starting with a letter, digit or _.',
    'Passwords: at least 8 characters; stored at the tracker only as scrypt hashes with a salt of their own.',
  ],
  flags: PASSWORD_FLAGS,
  async run(args, context) {
    const {name, peer, password} = await nameAndPassword(args, context);
    await peer.requestTracker({type: 'USERADD', name, password});
    return {lines: [`user ${name} added; log in with: login ${name}`], data: {user: name}};
  },
};

export const login: Command = {
  name: 'login',
  usage: ['login NAME [--password-file FILE | --password P]'],
  summary: 'Log in: files, downloads, tasks and memory keys from here then go out as this user',
  details: [
    'A wrong name and a wrong password get the same answer; repeated failures must wait longer each time.',
    'The session is a token that expires (8 hours); it lasts while this p2pos runs.',
  ],
  flags: PASSWORD_FLAGS,
  async run(args, context) {
    const {name, peer, password} = await nameAndPassword(args, context);
    const answer = await peer.requestTracker({type: 'LOGIN', name, password});
    const session = {
      token: String(answer.token),
      user: String(answer.user),
      expiresAt: Number(answer.expiresAt),
    };
    peer.setSession(session);
    return {
      lines: [`logged in as ${session.user} until ${untilText(session.expiresAt)}`],
      data: {user: session.user, expiresAt: session.expiresAt},
    };
  },
};

export const logout: Command = {
  name: 'logout',
  usage: ['logout'],
  summary: 'End the session here and at the tracker',
  async run(args, context) {
    expectPositionals(args, 0);
    const peer = await peerOf(context);
    const session = sessionOf(peer, 'logout');
    peer.setSession(undefined); // forgotten here even when the tracker cannot be told
    await peer.requestTracker({type: 'LOGOUT', token: session.token});
    return {lines: [`logged out ${session.user}`], data: {user: session.user}};
  },
};

export const whoami: Command = {
  name: 'whoami',
  usage: ['whoami'],
  summary: 'Who is logged in here, until when, and in which groups',
  async run(args, context) {
    expectPositionals(args, 0);
    const peer = await peerOf(context);
    const session = peer.session;
    if (session === undefined) return {lines: ['not logged in (login NAME)'], data: {user: null}};
    const answer = await peer.requestTracker({type: 'WHOAMI', token: session.token});
    const groups = answer.groups as string[];
    return {
      lines: [
        `${answer.user} until ${untilText(Number(answer.expiresAt))}; groups: ${groups.length ? groups.join(', ') : 'none'}`,
      ],
      data: {user: answer.user, expiresAt: answer.expiresAt, groups},
    };
  },
};

export const passwd: Command = {
  name: 'passwd',
  usage: ['passwd [--password-file FILE | --password P] [--new-password-file FILE | --new-password P]'],
  summary: "Change the logged-in user's password (sessions issued before it stop working)",
  details: [
    'In a script the new password comes from --new-password-file, P2POS_NEW_PASSWORD or --new-password.',
  ],
  flags: {
    ...PASSWORD_FLAGS,
    'new-password-file': {kind: 'value'},
    'new-password': {kind: 'value', saferWay: '--new-password-file FILE or P2POS_NEW_PASSWORD'},
  },
  async run(args, context) {
    expectPositionals(args, 0);
    const peer = await peerOf(context);
    const session = sessionOf(peer, 'passwd');
    const old = await passwordFor(args, context, 'password', `Current password for ${session.user}: `);
    const fresh = await passwordFor(args, context, 'new', `New password for ${session.user}: `);
    if (fresh.isAsked && context.readSecret) {
      const again = await context.readSecret(`New password again: `);
      if (again !== fresh.password)
        throw new ShellError('EUSAGE', 'The two new passwords differ; nothing changed.');
    }
    await peer.requestTracker({
      type: 'PASSWD',
      token: session.token,
      old: old.password,
      password: fresh.password,
    });
    // The old session is refused from now on: log in again with the new password.
    const answer = await peer.requestTracker({type: 'LOGIN', name: session.user, password: fresh.password});
    peer.setSession({token: String(answer.token), user: session.user, expiresAt: Number(answer.expiresAt)});
    return {lines: [`password changed for ${session.user}`], data: {user: session.user}};
  },
};

type GroupRun = (rest: Args, context: Context) => Promise<Result>;

/** GROUP op on `group` (and `user`) as the logged-in user. */
async function groupRequest(
  context: Context,
  op: GroupOp,
  group: string,
  user: string | null = null,
): Promise<Record<string, unknown>> {
  checkedName(group, 'Group');
  if (user !== null) checkedName(user, 'User');
  const peer = await peerOf(context);
  const session = sessionOf(peer, `group ${op}`);
  return peer.requestTracker({type: 'GROUP', token: session.token, op, group, user});
}

const GROUP_SUBCOMMANDS: Record<string, {run: GroupRun}> = {
  create: {
    async run(rest, context) {
      expectPositionals(rest, 1);
      const group = rest.positionals[0]!;
      const answer = await groupRequest(context, 'create', group);
      return {lines: [`group ${group} created; you own it`], data: {group, owner: answer.owner}};
    },
  },
  join: {
    async run(rest, context) {
      expectPositionals(rest, 1);
      const group = rest.positionals[0]!;
      await groupRequest(context, 'join', group);
      return {
        lines: [`asked to join ${group}; its owner answers with group accept ${group} USER`],
        data: {group, state: 'requested'},
      };
    },
  },
  requests: {
    async run(rest, context) {
      expectPositionals(rest, 1);
      const group = rest.positionals[0]!;
      const answer = await groupRequest(context, 'requests', group);
      const requests = answer.requests as {user: string; at: number}[];
      return {
        lines: [
          requests.length === 0
            ? `no one is asking to join ${group}`
            : tableBlock(requests, [
                {header: 'USER', value: (row) => row.user},
                {header: 'ASKED', value: (row) => untilText(row.at)},
              ]),
        ],
        data: {group, requests},
      };
    },
  },
  accept: {
    async run(rest, context) {
      expectPositionals(rest, 2);
      const [group, user] = rest.positionals as [string, string];
      await groupRequest(context, 'accept', group, user);
      return {lines: [`${user} is now a member of ${group}`], data: {group, user, state: 'member'}};
    },
  },
  reject: {
    async run(rest, context) {
      expectPositionals(rest, 2);
      const [group, user] = rest.positionals as [string, string];
      await groupRequest(context, 'reject', group, user);
      return {lines: [`turned ${user} away from ${group}`], data: {group, user, state: 'rejected'}};
    },
  },
  leave: {
    async run(rest, context) {
      expectPositionals(rest, 1);
      const group = rest.positionals[0]!;
      const answer = await groupRequest(context, 'leave', group);
      const newOwner = answer.newOwner as string | null | undefined;
      const after =
        newOwner === undefined
          ? ''
          : newOwner === null
            ? '; it had no other member and is gone'
            : `; ${newOwner} owns it now`;
      return {lines: [`left ${group}${after}`], data: {group, newOwner: newOwner ?? null}};
    },
  },
  ls: {
    async run(rest, context) {
      expectPositionals(rest, 0);
      const peer = await peerOf(context);
      const answer = await peer.requestTracker({type: 'GROUPS', token: peer.session?.token ?? null});
      const groups = answer.groups as {name: string; owner: string; members: number; relation: string}[];
      return {
        lines: [
          groups.length === 0
            ? 'no groups yet (group create NAME)'
            : tableBlock(groups, [
                {header: 'GROUP', value: (row) => row.name},
                {header: 'OWNER', value: (row) => row.owner},
                {header: 'MEMBERS', value: (row) => row.members},
                {header: 'YOU', value: (row) => row.relation},
              ]),
        ],
        data: {groups},
      };
    },
  },
};

export const group: Command = {
  name: 'group',
  usage: [
    'group create G',
    'group join G',
    'group requests G',
    'group accept G USER',
    'group reject G USER',
    'group leave G',
    'group ls',
  ],
  summary: "Groups: a group's files are listed and served only to its members",
  details: [
    'The creator owns a group. Others ask to join; the owner accepts or rejects. Leaving takes access away at once.',
    'When the owner leaves, the longest-standing member owns the group; when no member is left, it is gone.',
  ],
  subcommands: Object.keys(GROUP_SUBCOMMANDS),
  run(args, context) {
    return runSubcommand(args, 'group', GROUP_SUBCOMMANDS, context, 'ls');
  },
};
