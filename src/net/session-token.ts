// Session tokens (issue 6): what a logged-in user shows instead of a password. Any holder of the
// network secret checks one without asking the tracker: the token carries its own claims and their MAC.
// Format: `v1.<payload>.<mac>`, where payload is base64url of the JSON {u, iat, exp, id} (user, issued
// and expiry ms, and a random 16-byte token id, base64url) and mac is base64url of HMAC-SHA256 over
// `v1.<payload>`. The HMAC key is derived from the secret (HMAC(secret, SESSION_KEY_LABEL)), so the
// same secret can key other things (TLS-PSK) without one use helping to attack the other.
// Interface: issueSessionToken(claims, secret) and verifySessionToken(token, secret, now).
// Revocation (logout) is the tracker's list (accounts.ts); a peer checking alone sees only expiry.

import {createHmac, randomBytes, timingSafeEqual} from 'node:crypto';
import {NetError} from './net-error.js';

/** Longer than any token we issue (about 200 characters); anything longer is refused before hashing. */
export const MAX_TOKEN_LENGTH = 512;
/** The network secret is at least this long, so a guessed or empty secret does not sign tokens. */
export const MIN_SECRET_BYTES = 16;
const TOKEN_ID_BYTES = 16;
const VERSION = 'v1';
const SESSION_KEY_LABEL = 'p2pos session token v1';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** What a valid token says. */
export interface SessionClaims {
  user: string;
  /** ms on the issuing tracker's clock. */
  issuedAt: number;
  /** ms; the token is refused from this time on. */
  expiresAt: number;
  /** Random, base64url: names the token in the revocation list. */
  tokenId: string;
}

/**
 * A signed token for `claims` (a fresh random tokenId when none is given). Throws EINVAL for a secret
 * under MIN_SECRET_BYTES or claims that verifySessionToken would refuse.
 */
export function issueSessionToken(
  claims: Omit<SessionClaims, 'tokenId'> & {tokenId?: string},
  secret: string | Uint8Array,
): {token: string; claims: SessionClaims} {
  const key = sessionKey(secret);
  const full: SessionClaims = {
    ...claims,
    tokenId: claims.tokenId ?? randomBytes(TOKEN_ID_BYTES).toString('base64url'),
  };
  const problem = claimsProblem(full);
  if (problem !== undefined) throw new NetError('EINVAL', `Session ${problem}.`);
  const payload = Buffer.from(
    JSON.stringify({u: full.user, iat: full.issuedAt, exp: full.expiresAt, id: full.tokenId}),
  ).toString('base64url');
  const signed = `${VERSION}.${payload}`;
  return {token: `${signed}.${mac(key, signed).toString('base64url')}`, claims: full};
}

/**
 * The claims of `token` when its MAC is right under `secret` and it has not expired at `now` (ms).
 * Throws EAUTH when it is malformed, signed with another secret, altered, or expired (the message says
 * which, never echoing the token); EINVAL for a secret under MIN_SECRET_BYTES.
 */
export function verifySessionToken(token: string, secret: string | Uint8Array, now: number): SessionClaims {
  const key = sessionKey(secret);
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH)
    throw new NetError('EAUTH', `Session token is not a string of at most ${MAX_TOKEN_LENGTH} characters.`);
  const parts = token.split('.');
  const [version, payload, tag] = parts;
  if (parts.length !== 3 || version !== VERSION || !BASE64URL.test(payload!) || !BASE64URL.test(tag!))
    throw new NetError(
      'EAUTH',
      `Session token is malformed. Expected ${VERSION}.<payload>.<mac>, base64url.`,
    );
  const expected = mac(key, `${version}.${payload}`);
  const given = Buffer.from(tag!, 'base64url');
  // The canonical spelling only: base64url has several for the same bytes, and a token is one string.
  if (
    given.length !== expected.length ||
    given.toString('base64url') !== tag ||
    !timingSafeEqual(given, expected)
  )
    throw new NetError(
      'EAUTH',
      'Session token has a bad signature: it was altered or signed with another secret.',
    );
  // Signed by us from here on; the checks below guard against our own bugs and old versions.
  let fields: {u?: unknown; iat?: unknown; exp?: unknown; id?: unknown};
  try {
    fields = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as typeof fields;
  } catch {
    throw new NetError('EAUTH', 'Session token payload is not JSON.');
  }
  const claims = {user: fields.u, issuedAt: fields.iat, expiresAt: fields.exp, tokenId: fields.id};
  const problem = claimsProblem(claims);
  if (problem !== undefined) throw new NetError('EAUTH', `Session token ${problem}.`);
  const valid = claims as SessionClaims;
  if (valid.expiresAt <= now)
    throw new NetError(
      'EAUTH',
      `Session token expired at ${new Date(valid.expiresAt).toISOString()}. Log in again.`,
    );
  return valid;
}

/** Why `claims` are not a token's, or undefined. */
function claimsProblem(claims: {[K in keyof SessionClaims]: unknown}): string | undefined {
  const {user, issuedAt, expiresAt, tokenId} = claims;
  if (typeof user !== 'string' || user.length === 0 || user.length > 64)
    return 'user is not a name of 1-64 characters';
  if (!Number.isSafeInteger(issuedAt) || (issuedAt as number) < 0)
    return 'issued time is not a whole number of ms';
  if (!Number.isSafeInteger(expiresAt) || (expiresAt as number) <= (issuedAt as number))
    return 'expiry is not a whole number of ms after its issued time';
  if (typeof tokenId !== 'string' || tokenId.length < 16 || tokenId.length > 64 || !BASE64URL.test(tokenId))
    return 'id is not 16-64 base64url characters';
  return undefined;
}

function sessionKey(secret: string | Uint8Array): Buffer {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (!(bytes instanceof Uint8Array) || bytes.length < MIN_SECRET_BYTES)
    throw new NetError(
      'EINVAL',
      `Network secret is ${bytes instanceof Uint8Array ? `${bytes.length} bytes` : 'missing'}. Expected at least ${MIN_SECRET_BYTES} bytes.`,
    );
  return createHmac('sha256', bytes).update(SESSION_KEY_LABEL).digest();
}

function mac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}
