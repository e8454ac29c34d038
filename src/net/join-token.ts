// The join token: one line that lets a new peer join a network, carrying where its trackers listen
// and the network secret (so it is as private as the secret itself). A tracker prints it as
// `p2pos --join TOKEN`. Form: `p2pos1.` then base64url of the JSON
// {"trackers": [[host, port], ...], "secret": base64url}; the `1` is the token's version.
// Interface:
//   const token = encodeJoinToken({trackers: [{host, port}], secret})
//   const {trackers, secret} = decodeJoinToken(token)   // throws NetError EINVAL naming what is wrong

import {isIP} from 'node:net';
import {NetError} from './net-error.js';
import {checkSecret, SECRET_BYTES} from './network-secret.js';

export const JOIN_TOKEN_PREFIX = 'p2pos1.';
/** Trackers one token may name: a network has a few (issue 6 runs two), never a crowd. */
export const MAX_TOKEN_TRACKERS = 8;
/** A token longer than this is not one of ours (8 trackers of 253-character names fit easily). */
const MAX_TOKEN_CHARS = 4096;
/** A host name's longest form (RFC 1035), in characters. */
const MAX_HOST_CHARS = 253;
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export interface TrackerAddress {
  host: string;
  port: number;
}

export interface JoinToken {
  trackers: TrackerAddress[];
  secret: Buffer;
}

/** The token for these trackers and this secret. Throws NetError EINVAL for a bad address or secret. */
export function encodeJoinToken(token: {trackers: readonly TrackerAddress[]; secret: Uint8Array}): string {
  checkTrackers(token.trackers);
  checkSecret(token.secret);
  const payload = {
    trackers: token.trackers.map(({host, port}) => [host, port]),
    secret: Buffer.from(token.secret).toString('base64url'),
  };
  return JOIN_TOKEN_PREFIX + Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/**
 * The trackers and secret a token carries. Surrounding white space is ignored. Throws NetError
 * EINVAL with a sentence naming what is wrong: the prefix, the encoding, a host, a port, the
 * number of trackers, the secret's length.
 */
export function decodeJoinToken(text: string): JoinToken {
  const trimmed = text.trim();
  if (!trimmed.startsWith(JOIN_TOKEN_PREFIX))
    throw invalid(
      `A join token starts with \`${JOIN_TOKEN_PREFIX}\`; this one starts with \`${trimmed.slice(0, JOIN_TOKEN_PREFIX.length)}\`.`,
    );
  if (trimmed.length > MAX_TOKEN_CHARS)
    throw invalid(`A join token is at most ${MAX_TOKEN_CHARS} characters; this one has ${trimmed.length}.`);
  const encoded = trimmed.slice(JOIN_TOKEN_PREFIX.length);
  if (!BASE64URL.test(encoded))
    throw invalid('A join token is base64url after its prefix (A-Z, a-z, 0-9, - and _); this one is not.');
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw invalid('This join token is damaged: its contents are not JSON (was it cut short when copied?).');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw invalid('This join token is damaged: its contents are not an object.');
  const {trackers, secret} = payload as {trackers?: unknown; secret?: unknown};
  if (!Array.isArray(trackers)) throw invalid('This join token names no trackers.');
  const addresses = trackers.map((entry, index): TrackerAddress => {
    if (!Array.isArray(entry) || entry.length !== 2)
      throw invalid(`Tracker ${index + 1} in this join token is not a [host, port] pair.`);
    const [host, port] = entry as unknown[];
    return {host: host as string, port: port as number};
  });
  checkTrackers(addresses);
  if (typeof secret !== 'string' || !BASE64URL.test(secret))
    throw invalid('This join token carries no network secret.');
  const bytes = Buffer.from(secret, 'base64url');
  if (bytes.length !== SECRET_BYTES)
    throw invalid(
      `The network secret in this join token is ${bytes.length} bytes; a secret is ${SECRET_BYTES}.`,
    );
  return {trackers: addresses, secret: bytes};
}

function checkTrackers(trackers: readonly TrackerAddress[]): void {
  if (trackers.length < 1 || trackers.length > MAX_TOKEN_TRACKERS)
    throw invalid(`A join token names 1 to ${MAX_TOKEN_TRACKERS} trackers; this one has ${trackers.length}.`);
  trackers.forEach(({host, port}, index) => {
    const which = `Tracker ${index + 1}`;
    if (typeof host !== 'string' || !isHost(host))
      throw invalid(
        `${which} has host ${JSON.stringify(host)}; expected an IP address or a host name (letters, digits, - and .).`,
      );
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
      throw invalid(`${which} has port ${JSON.stringify(port)}; expected a whole number from 1 to 65535.`);
  });
}

/** An IPv4 or IPv6 address, or a DNS name of letter-digit-hyphen labels. */
function isHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  if (host.length === 0 || host.length > MAX_HOST_CHARS) return false;
  return host.split('.').every((label) => HOST_LABEL.test(label));
}

function invalid(message: string): NetError {
  return new NetError('EINVAL', message);
}
