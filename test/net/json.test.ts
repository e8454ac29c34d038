import assert from 'node:assert/strict';
import {test} from 'node:test';
import {MAX_JSON_DEPTH, toJsonText} from '../../src/net/json.js';
import {NetError} from '../../src/net/net-error.js';

function assertNotJson(value: unknown, problem: string): void {
  assert.throws(
    () => toJsonText(value, 'The value'),
    (error: unknown) =>
      error instanceof NetError && error.code === 'EINVAL' && error.message.includes(problem),
  );
}

test('JSON values come out as JSON.stringify writes them', () => {
  const values = [
    null,
    true,
    false,
    0,
    -1.5,
    'ä "q"\n',
    '',
    [],
    {},
    [1, [2, {a: null}]],
    {b: 1, a: {c: 'x'}},
  ];
  for (const value of values) assert.equal(toJsonText(value, 'v'), JSON.stringify(value));
});

test('__proto__ as an own key survives the round trip', () => {
  const value = JSON.parse('{"__proto__": 1, "constructor": 2}') as unknown;
  const text = toJsonText(value, 'v');
  assert.equal(text, '{"__proto__":1,"constructor":2}');
  assert.deepEqual(Object.keys(JSON.parse(text) as object), ['__proto__', 'constructor']);
});

test('sortKeys orders object keys at every depth', () => {
  assert.equal(
    toJsonText({b: 1, a: {d: 2, c: [{z: 0, y: 1}]}}, 'v', {sortKeys: true}),
    '{"a":{"c":[{"y":1,"z":0}],"d":2},"b":1}',
  );
});

test('values JSON.stringify would quietly change are refused, naming where', () => {
  assertNotJson(undefined, 'undefined');
  assertNotJson({a: undefined}, 'undefined at ["a"]');
  assertNotJson([1, () => 1], 'a function at [1]');
  assertNotJson(Number.NaN, 'the number NaN');
  assertNotJson({x: [Infinity]}, 'the number Infinity at ["x"][0]');
  assertNotJson(10n, 'a bigint');
  assertNotJson(Symbol('s'), 'a symbol');
  assertNotJson(new Date(0), 'a Date object');
  assertNotJson(new Map(), 'a Map object');
  assertNotJson([1, , 3], 'an array hole at [1]');
  assertNotJson({[Symbol('s')]: 1}, 'symbol keys');
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  assertNotJson(cycle, 'a cycle at ["self"]');
});

test('nesting is limited, so a deep value cannot blow the stack', () => {
  let deep: unknown = 0;
  for (let depth = 0; depth < MAX_JSON_DEPTH; depth += 1) deep = [deep];
  assert.equal(toJsonText(deep, 'v').length, 2 * MAX_JSON_DEPTH + 1);
  assertNotJson([deep], `nesting deeper than ${MAX_JSON_DEPTH}`);
  let veryDeep: unknown = 0;
  for (let depth = 0; depth < 100_000; depth += 1) veryDeep = {a: veryDeep};
  assertNotJson(veryDeep, 'nesting deeper');
});

test('an object with a null prototype is a plain object', () => {
  const value = Object.assign(Object.create(null) as object, {a: 1});
  assert.equal(toJsonText(value, 'v'), '{"a":1}');
});
