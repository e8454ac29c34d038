// JSON values as the network layer stores and hashes them. JSON.stringify is lenient in ways that would
// corrupt a store or make two cache keys collide (NaN and undefined become null, functions and Dates
// vanish or change shape), so toJsonText walks the value itself and refuses anything that would not come
// back from JSON.parse unchanged.

import {NetError} from './net-error.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | {[key: string]: JsonValue};

/** Nesting deeper than this is refused: no honest value needs it, and the walk must not blow the stack. */
export const MAX_JSON_DEPTH = 256;

export interface JsonTextOptions {
  /**
   * Write object keys in sorted (UTF-16 code unit) order, so equal values give equal text whatever
   * order their keys were set in.
   * @default false
   */
  sortKeys?: boolean;
}

/**
 * The JSON text of `value`. Throws NetError EINVAL naming `what` and the offending part when the value
 * holds anything JSON cannot carry exactly: undefined, a function, a symbol, a bigint, NaN or Infinity,
 * an array hole, a non-plain object (Date, Map, a class instance), a cycle, or nesting over MAX_JSON_DEPTH.
 */
export function toJsonText(value: unknown, what: string, options: JsonTextOptions = {}): string {
  const sortKeys = options.sortKeys ?? false;
  const path: string[] = [];
  const ancestors = new Set<object>();

  function fail(problem: string): never {
    const where = path.length === 0 ? '' : ` at ${path.join('')}`;
    throw new NetError(
      'EINVAL',
      `${what} is not JSON: ${problem}${where}. Expected null, booleans, finite numbers, strings, arrays and plain objects.`,
    );
  }

  function write(item: unknown): string {
    switch (typeof item) {
      case 'string':
        return JSON.stringify(item);
      case 'boolean':
        return item ? 'true' : 'false';
      case 'number':
        if (!Number.isFinite(item)) fail(`the number ${item}`);
        return JSON.stringify(item);
      case 'object':
        return item === null ? 'null' : writeObject(item);
      default: // undefined, function, symbol, bigint
        return fail(typeof item === 'undefined' ? 'undefined' : `a ${typeof item}`);
    }
  }

  function writeObject(item: object): string {
    if (ancestors.has(item)) fail('a cycle');
    if (ancestors.size >= MAX_JSON_DEPTH) fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    ancestors.add(item);
    let text: string;
    if (Array.isArray(item)) {
      const parts: string[] = [];
      for (let index = 0; index < item.length; index += 1) {
        path.push(`[${index}]`);
        if (!(index in item)) fail('an array hole');
        parts.push(write(item[index]));
        path.pop();
      }
      text = `[${parts.join(',')}]`;
    } else {
      const prototype = Object.getPrototypeOf(item) as unknown;
      if (prototype !== Object.prototype && prototype !== null) {
        fail(`a ${item.constructor?.name ?? 'non-plain'} object`);
      }
      if (Object.getOwnPropertySymbols(item).length > 0) fail('an object with symbol keys');
      const keys = Object.keys(item);
      if (sortKeys) keys.sort();
      const parts: string[] = [];
      for (const key of keys) {
        path.push(`[${JSON.stringify(key)}]`);
        parts.push(`${JSON.stringify(key)}:${write((item as Record<string, unknown>)[key])}`);
        path.pop();
      }
      text = `{${parts.join(',')}}`;
    }
    ancestors.delete(item);
    return text;
  }

  return write(value);
}
