// The guest half of the sandbox: a script run in each new context before any task code. It strips the
// global object down to plain ECMAScript, captures the built-ins it relies on (JSON, Reflect.apply,
// eval) before task code can replace them, and returns `run`, the one function the host calls.
//
// Everything the task could make misbehave happens in here, under the call's time limit: evaluating the
// code, calling the function, reading a thrown value, serialising the result. The host never receives a
// guest object, only a string: isolated-vm copies a thrown object by reading its properties *after* the
// time limit is disarmed, so a getter that loops would hang the host.
//
// run(op, code, name, argsJson, maxChars) returns one tag letter and its payload:
//   R<json>   the result as JSON              T<json>  the task threw: [name, message, stack]
//   L<json>   the code threw while loading    N<text>  the result is not JSON: why
//   B<chars>  the result's JSON is too long   F        the code defines no such function
//   P         a promise, not settled yet: call run(OP_COLLECT) for its outcome after the microtasks ran
// op: OP_LOAD_AND_CALL evaluates the code first (a new context), OP_CALL reuses the code already loaded.

export const OP_LOAD_AND_CALL = 0;
export const OP_CALL = 1;
export const OP_COLLECT = 2;

/** The file name task code has in stacks and syntax errors. */
export const TASK_FILENAME = 'task.js';
export const BOOTSTRAP_FILENAME = 'p2pos-sandbox-bootstrap.js';

/**
 * Appended to the task's code, which is evaluated as a script (indirect eval): the completion value is
 * a resolver that turns a function name into the binding, so `function main` and `const main` both work.
 */
export const TASK_SOURCE_SUFFIX = `\n;(__p2pos_fn_name__) => eval(__p2pos_fn_name__)\n//# sourceURL=${TASK_FILENAME}`;

/** A thrown message and stack are clipped to these before they leave the guest. */
const MAX_MESSAGE_CHARS = 4096;
const MAX_STACK_CHARS = 16_384;

// ECMAScript's own globals (ES2023, plus ECMA-402's Intl and Annex B's escape/unescape). Everything
// else on the global object is the embedder's and is deleted: V8's `console`, `WebAssembly` (its
// memory is allocated outside the isolate's limit). FinalizationRegistry goes too, although it is
// ECMAScript: its callbacks run after the task has returned, outside any time limit.
const ECMASCRIPT_GLOBALS = [
  'globalThis', 'Infinity', 'NaN', 'undefined', 'eval', 'isFinite', 'isNaN', 'parseFloat', 'parseInt',
  'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'unescape',
  'Object', 'Function', 'Boolean', 'Symbol', 'Error', 'AggregateError', 'EvalError', 'RangeError',
  'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'Number', 'BigInt', 'Math', 'Date',
  'String', 'RegExp', 'Array', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array',
  'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array',
  'BigUint64Array', 'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'ArrayBuffer', 'SharedArrayBuffer',
  'DataView', 'Atomics', 'JSON', 'Promise', 'Reflect', 'Proxy', 'Intl',
]; // prettier-ignore

export const BOOTSTRAP_SOURCE = `'use strict';
(() => {
  const global = globalThis;
  const {stringify, parse} = JSON;
  const {apply, deleteProperty, ownKeys} = Reflect;
  const indirectEval = eval;
  const toText = String;
  const isArray = Array.isArray;
  const PromiseConstructor = Promise;
  const promiseResolve = Promise.resolve;
  const promiseThen = Promise.prototype.then;
  const slice = String.prototype.slice;
  const indexOf = String.prototype.indexOf;
  const lastIndexOf = String.prototype.lastIndexOf;

  const keep = ${JSON.stringify(ECMASCRIPT_GLOBALS)};
  for (const key of ownKeys(global)) {
    if (typeof key !== 'string' || !keep.includes(key)) deleteProperty(global, key);
  }
  // Atomics.waitAsync aborts the whole host process under isolated-vm 5.
  deleteProperty(Atomics, 'waitAsync');

  const SUFFIX = ${JSON.stringify(TASK_SOURCE_SUFFIX)};
  const NOT_JSON = {};
  let notJsonReason = '';
  let lookup;
  let calls = 0;
  let outcome = 'P';

  function clip(text, max) {
    return text.length > max ? apply(slice, text, [0, max]) + '…' : text;
  }

  function readText(object, key) {
    try {
      const value = object[key];
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  // Frames below the task's own (this bootstrap's) are no business of the task's owner.
  function trimStack(stack) {
    const at = apply(indexOf, stack, [${JSON.stringify(BOOTSTRAP_FILENAME)}]);
    if (at < 0) return stack;
    const lineStart = apply(lastIndexOf, stack, ['\\n', at]);
    return lineStart < 0 ? stack : apply(slice, stack, [0, lineStart]);
  }

  // A thrown value that is no error (throw 5, throw {code: 1}) has no name: its message says what it was.
  function describe(error) {
    let name = '';
    let message = '';
    let stack = null;
    const isObject = error !== null && typeof error === 'object';
    if (isObject) {
      const text = readText(error, 'stack');
      if (text !== undefined) stack = clip(trimStack(text), ${MAX_STACK_CHARS});
      const errorName = readText(error, 'name');
      const errorMessage = readText(error, 'message');
      if (errorName !== undefined || errorMessage !== undefined || stack !== null) {
        name = errorName ?? 'Error';
        message = errorMessage ?? '';
      }
    }
    if (name === '') {
      try {
        const shown = typeof error === 'string' || isObject ? stringify(error) : toText(error);
        message = 'threw ' + (typeof error === 'bigint' ? shown + 'n' : shown ?? 'a ' + typeof error);
      } catch {
        message = isObject ? 'threw an object that is not JSON' : 'threw a ' + typeof error;
      }
    }
    return stringify([clip(name, 200), clip(message, ${MAX_MESSAGE_CHARS}), stack]);
  }

  function replacer(key, value) {
    const kind = typeof value;
    if (kind === 'function' || kind === 'symbol') {
      notJsonReason = 'a ' + kind + (key === '' ? '' : ' at key ' + clip(stringify(key), 200));
      throw NOT_JSON;
    }
    return value;
  }

  function serialise(value, maxChars) {
    let json;
    try {
      json = stringify(value, replacer);
    } catch (error) {
      if (error === NOT_JSON) return 'N' + notJsonReason;
      return 'N' + clip(readText(error, 'message') ?? 'serialising it threw', ${MAX_MESSAGE_CHARS});
    }
    if (json === undefined) return 'Rnull';
    if (json.length > maxChars) return 'B' + json.length;
    return 'R' + json;
  }

  return function run(op, code, name, argsJson, maxChars) {
    if (op === ${OP_COLLECT}) return outcome;
    const call = ++calls;
    outcome = 'P';
    if (op === ${OP_LOAD_AND_CALL}) {
      try {
        lookup = indirectEval(code + SUFFIX);
      } catch (error) {
        return 'L' + describe(error);
      }
    }
    let fn;
    try {
      fn = typeof lookup === 'function' ? lookup(name) : undefined;
    } catch {
      fn = undefined;
    }
    if (typeof fn !== 'function') return 'F';
    let result;
    try {
      const args = parse(argsJson);
      result = apply(fn, undefined, isArray(args) ? args : []);
    } catch (error) {
      return 'T' + describe(error);
    }
    let then;
    try {
      then = result !== null && (typeof result === 'object' || typeof result === 'function') ? result.then : undefined;
    } catch (error) {
      return 'T' + describe(error);
    }
    if (typeof then !== 'function') return serialise(result, maxChars);
    try {
      apply(promiseThen, apply(promiseResolve, PromiseConstructor, [result]), [
        (value) => {
          if (call === calls) outcome = serialise(value, maxChars);
        },
        (error) => {
          if (call === calls) outcome = 'T' + describe(error);
        },
      ]);
    } catch (error) {
      return 'T' + describe(error);
    }
    return 'P';
  };
})();
`;
