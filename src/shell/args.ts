// Command arguments: flags by name, positionals in order, and the value checks every command
// shares. A bad value raises ShellError EUSAGE whose message names the value and what is allowed;
// the runner adds the command's usage line.

import {MAX_TICKS, parseAddress, parseCount, parseSize} from '../kernel/index.js';
import {ShellError} from './errors.js';

export interface FlagSpec {
  /** 'value' flags take the next word (or `--flag=value`); 'boolean' flags take none. */
  kind: 'value' | 'boolean';
  /** A one-letter alias, written `-x`. */
  alias?: string;
  /**
   * A secret given inline, which others can read (ps, shell history): the runner warns when it is
   * used, naming this safer way to give it, e.g. '--password-file FILE or P2POS_PASSWORD'.
   */
  saferWay?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export interface Args {
  positionals: string[];
  flags: Map<string, string | true>;
}

/** Split words into flags and positionals. A word starting with `-` followed by a digit is a positional (a number). */
export function parseArgs(words: readonly string[], specs: FlagSpecs = {}): Args {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  const aliases = new Map(
    Object.entries(specs).flatMap(([name, spec]) => (spec.alias ? [[spec.alias, name]] : [])),
  );
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '--') {
      positionals.push(...words.slice(i + 1));
      break;
    }
    const isLong = word.startsWith('--') && word.length > 2;
    const isShort = !isLong && /^-[A-Za-z]$/.test(word);
    if (!isLong && !isShort) {
      positionals.push(word);
      continue;
    }
    let name = isLong ? word.slice(2) : aliases.get(word.slice(1));
    let value: string | undefined;
    if (isLong && name!.includes('=')) {
      value = name!.slice(name!.indexOf('=') + 1);
      name = name!.slice(0, name!.indexOf('='));
    }
    const spec = name !== undefined && Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec || name === undefined) {
      const known = Object.keys(specs).map((flag) => `--${flag}`);
      throw new ShellError(
        'EUSAGE',
        `Unknown option \`${word}\`.${known.length ? ` Options: ${known.join(', ')}.` : ''}`,
      );
    }
    if (flags.has(name)) throw new ShellError('EUSAGE', `Option --${name} given twice.`);
    if (spec.kind === 'boolean') {
      if (value !== undefined) throw new ShellError('EUSAGE', `Option --${name} takes no value.`);
      flags.set(name, true);
      continue;
    }
    if (value === undefined) {
      value = words[++i];
      if (value === undefined) throw new ShellError('EUSAGE', `Option --${name} needs a value.`);
    }
    flags.set(name, value);
  }
  return {positionals, flags};
}

/** One warning for each inline secret among the flags given (see FlagSpec.saferWay). */
export function secretWarnings(args: Args, specs: FlagSpecs = {}): string[] {
  return [...args.flags.keys()].flatMap((name) => {
    const saferWay = specs[name]?.saferWay;
    return saferWay === undefined
      ? []
      : [`--${name} is visible to other users of this machine (ps, shell history); prefer ${saferWay}.`];
  });
}

/** Check the number of positionals. */
export function expectPositionals(args: Args, min: number, max = min): void {
  const count = args.positionals.length;
  if (count < min) throw new ShellError('EUSAGE', `Missing argument${min - count > 1 ? 's' : ''}.`);
  if (count > max)
    throw new ShellError('EUSAGE', `Too many arguments: \`${args.positionals.slice(max).join(' ')}\`.`);
}

/** A whole number in [min, max]; `what` names it in the error ("burst", "--quantum"). */
export function toInteger(text: string, what: string, min = 0, max = MAX_TICKS): number {
  const value = parseCount(text);
  if (value === undefined || value < min || value > max) {
    throw new ShellError('EUSAGE', `Bad ${what} \`${text}\`: expected a whole number from ${min} to ${max}.`);
  }
  return value;
}

/** A size with optional K/M/G suffix, at least 1. */
export function toSize(text: string, what: string): number {
  const value = parseSize(text);
  if (value === undefined || value < 1) {
    throw new ShellError('EUSAGE', `Bad ${what} \`${text}\`: expected a positive size such as 64, 4K or 1M.`);
  }
  return value;
}

/** A pid: a positive whole number. */
export function toPid(text: string): number {
  return toInteger(text, 'pid', 1, Number.MAX_SAFE_INTEGER);
}

/** An address in decimal or 0x hex. */
export function toAddress(text: string): number {
  const value = parseAddress(text);
  if (value === undefined)
    throw new ShellError('EUSAGE', `Bad address \`${text}\`: expected decimal or 0x hex.`);
  return value;
}

/** One of a fixed set of words. */
export function toChoice<T extends string>(text: string, what: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw new ShellError('EUSAGE', `Unknown ${what} \`${text}\`. Expected one of: ${choices.join(', ')}.`);
}

/** A value flag as a string, if given. */
export function flagText(args: Args, name: string): string | undefined {
  const value = args.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}

/** A value flag as an integer, if given. */
export function flagInteger(args: Args, name: string, min = 0, max = MAX_TICKS): number | undefined {
  const text = flagText(args, name);
  return text === undefined ? undefined : toInteger(text, `--${name}`, min, max);
}

/** Reject a flag that `what` (a sub-command sharing its command's flag table) does not take. */
export function allowFlags(args: Args, what: string, allowed: readonly string[]): void {
  for (const name of args.flags.keys()) {
    if (!allowed.includes(name))
      throw new ShellError('EUSAGE', `Option --${name} does not apply to \`${what}\`.`);
  }
}

/** One sub-command of a command that has several (`sem create`, `mq send`, …). */
export interface Subcommand<Context, Result> {
  /** The command's flags this sub-command accepts; any other is a usage error. */
  flags?: readonly string[];
  run(args: Args, context: Context): Result;
}

/** Run the sub-command the first positional names (`fallback` when none), with the words after it. */
export function runSubcommand<Context, Result>(
  args: Args,
  command: string,
  table: Readonly<Record<string, Subcommand<Context, Result>>>,
  context: Context,
  fallback: string,
): Result {
  const sub = toChoice(args.positionals[0] ?? fallback, `${command} subcommand`, Object.keys(table));
  const rest: Args = {positionals: args.positionals.slice(1), flags: args.flags};
  allowFlags(rest, `${command} ${sub}`, table[sub]!.flags ?? []);
  return table[sub]!.run(rest, context);
}
