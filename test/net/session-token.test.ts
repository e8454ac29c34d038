import assert from 'node:assert/strict';
import {test} from 'node:test';
import {NetError, type NetErrorCode} from '../../src/net/net-error.js';
import {issueSessionToken, verifySessionToken} from '../../src/net/session-token.js';

const SECRET = Buffer.alloc(32, 7);
const OTHER_SECRET = Buffer.alloc(32, 8);

function assertNetError(run: () => unknown, code: NetErrorCode, mentions: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof NetError, `expected a NetError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.ok(error.message.includes(mentions), `message should mention ${mentions}: ${error.message}`);
    return true;
  });
}

function issue(): string {
  return issueSessionToken({user: 'alice', issuedAt: 1_000, expiresAt: 61_000}, SECRET).token;
}

test('a token verifies with the secret until it expires', () => {
  const {token, claims} = issueSessionToken({user: 'alice', issuedAt: 1_000, expiresAt: 61_000}, SECRET);
  assert.match(token, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(verifySessionToken(token, SECRET, 60_999), claims);
  assert.equal(claims.user, 'alice');
  assert.equal(claims.tokenId.length, 22);
  assertNetError(
    () => verifySessionToken(token, SECRET, 61_000),
    'EAUTH',
    'expired at 1970-01-01T00:01:01.000Z',
  );
});

test('two tokens for the same claims differ by their random id', () => {
  assert.notEqual(issue(), issue());
});

test('a token signed with another secret is refused', () => {
  assertNetError(() => verifySessionToken(issue(), OTHER_SECRET, 2_000), 'EAUTH', 'bad signature');
});

test('a token with an altered payload or mac is refused', () => {
  const [version, payload, mac] = issue().split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const forged = Buffer.from(JSON.stringify({...claims, u: 'root', exp: 9e12})).toString('base64url');
  assertNetError(
    () => verifySessionToken(`${version}.${forged}.${mac}`, SECRET, 2_000),
    'EAUTH',
    'bad signature',
  );
  const flipped = (mac[0] === 'A' ? 'B' : 'A') + mac.slice(1);
  assertNetError(
    () => verifySessionToken(`${version}.${payload}.${flipped}`, SECRET, 2_000),
    'EAUTH',
    'bad signature',
  );
  // The last base64url character carries 2 spare bits: another spelling of the same mac is refused too.
  const last = mac.at(-1)!;
  const respelled = mac.slice(0, -1) + (last === 'A' ? 'B' : String.fromCharCode(last.charCodeAt(0) ^ 1));
  assertNetError(
    () => verifySessionToken(`${version}.${payload}.${respelled}`, SECRET, 2_000),
    'EAUTH',
    'Session token',
  );
});

test('malformed tokens are refused without echoing them', () => {
  for (const token of ['', 'v1', 'v1.abc', 'v2.abc.def', 'v1.a b.c', `v1.${'a'.repeat(600)}.b`, 42]) {
    assertNetError(() => verifySessionToken(token as string, SECRET, 0), 'EAUTH', 'Session token');
  }
});

test('a secret under 16 bytes is refused', () => {
  assertNetError(
    () => issueSessionToken({user: 'a', issuedAt: 0, expiresAt: 1}, 'short'),
    'EINVAL',
    '5 bytes',
  );
  assertNetError(() => verifySessionToken('v1.a.b', Buffer.alloc(8), 0), 'EINVAL', '8 bytes');
});
