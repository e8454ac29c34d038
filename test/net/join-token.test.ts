// The join token: trackers and secret in one line, and every way a pasted token can be wrong.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {decodeJoinToken, encodeJoinToken, JOIN_TOKEN_PREFIX} from '../../src/net/join-token.js';
import {generateSecret} from '../../src/net/network-secret.js';

const secret = generateSecret();

/** A token with this payload, as if someone made it by hand. */
function forged(payload: unknown): string {
  return JOIN_TOKEN_PREFIX + Buffer.from(JSON.stringify(payload)).toString('base64url');
}

test('a join token round-trips its trackers and secret on one line', () => {
  const trackers = [
    {host: '127.0.0.1', port: 8888},
    {host: 'tracker-2.example.org', port: 9000},
    {host: '::1', port: 1},
  ];
  const token = encodeJoinToken({trackers, secret});
  assert.match(token, /^p2pos1\.[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeJoinToken(token), {trackers, secret});
  assert.deepEqual(decodeJoinToken(` ${token}\n`).secret, secret);
});

test('a bad join token is refused with what is wrong', () => {
  const good = {trackers: [['127.0.0.1', 8888]], secret: secret.toString('base64url')};
  const cases: [string, RegExp][] = [
    ['p2pos2.abc', /starts with `p2pos1\.`; this one starts with `p2pos2\.`/],
    ['p2pos1.not base64!', /base64url/],
    [encodeJoinToken({trackers: [{host: 'h', port: 1}], secret}).slice(0, 30), /damaged/],
    [forged([1, 2]), /not an object/],
    [forged({secret: good.secret}), /names no trackers/],
    [forged({...good, trackers: []}), /1 to 8 trackers; this one has 0/],
    [forged({...good, trackers: Array.from({length: 9}, () => ['h', 1])}), /this one has 9/],
    [
      forged({...good, trackers: [['h', 0]]}),
      /Tracker 1 has port 0; expected a whole number from 1 to 65535/,
    ],
    [
      forged({
        ...good,
        trackers: [
          ['h', 1],
          ['h', 65536],
        ],
      }),
      /Tracker 2 has port 65536/,
    ],
    [forged({...good, trackers: [['h', 80.5]]}), /port 80\.5/],
    [forged({...good, trackers: [['h', '80']]}), /port "80"/],
    [forged({...good, trackers: [['bad host', 80]]}), /Tracker 1 has host "bad host"/],
    [forged({...good, trackers: [['-x.org', 80]]}), /host "-x\.org"/],
    [forged({...good, trackers: [['', 80]]}), /host ""/],
    [forged({...good, trackers: [{host: 'h', port: 1}]}), /not a \[host, port\] pair/],
    [forged({trackers: good.trackers}), /carries no network secret/],
    [forged({...good, secret: secret.subarray(0, 16).toString('base64url')}), /is 16 bytes; a secret is 32/],
    [`p2pos1.${'A'.repeat(5000)}`, /at most 4096 characters/],
  ];
  for (const [token, message] of cases)
    assert.throws(() => decodeJoinToken(token), {code: 'EINVAL', message}, token.slice(0, 60));
});

test('a join token is not made from bad addresses or a short secret', () => {
  assert.throws(() => encodeJoinToken({trackers: [], secret}), {code: 'EINVAL'});
  assert.throws(() => encodeJoinToken({trackers: [{host: 'h', port: 70000}], secret}), {
    code: 'EINVAL',
    message: /port 70000/,
  });
  assert.throws(() => encodeJoinToken({trackers: [{host: 'h', port: 1}], secret: secret.subarray(1)}), {
    code: 'EINVAL',
    message: /31/,
  });
});
