// Authenticated, private links: TLS 1.3 keyed by a pre-shared key derived from the network secret.
// Both ends prove they hold the secret during the handshake, before either side reads a frame;
// a wrong key fails the handshake, and a plain TCP client never gets past the first record.
// Interface:
//   const accept = secureAcceptor(secret); new Connection(accept(rawSocket), …)   // server side
//   tls.connect({host, port, ...secureClientOptions(secret)})                     // client side
//   describeSocketError(error)  // the reason a link closed, in words (a wrong secret says so)
//
// Checked on Node 20.20 (OpenSSL 3.0): pskCallback works for TLS 1.3 as well as 1.2. With TLS 1.3
// the client's binder proves the key: a wrong one fails with ERR_SSL_BINDER_DOES_NOT_VERIFY on the
// server and an illegal_parameter alert on the client, and the key exchange is psk_dhe_ke (X25519),
// so a leaked secret does not decrypt recorded traffic (forward secrecy). TLS 1.2 PSK works too, but
// its forward-secret suites are ECDHE-PSK-CHACHA20 or CBC only, and it calls checkServerIdentity
// on the absent certificate. So: TLS 1.3 only, AES-128-GCM first (AES-NI), ChaCha20 as the fallback.
// The PSK ties a TLS 1.3 suite to SHA-256, so TLS_AES_256_GCM_SHA384 cannot be negotiated anyway.
// Beware: on Node 20.20, getProtocol() called in the 'close' listener of a TLS socket whose handshake
// failed kills the process (segfault, reproducible); ask a socket about its TLS only while it is open.

import {hkdfSync} from 'node:crypto';
import type net from 'node:net';
import tls from 'node:tls';
import {RequestError} from './errors.js';
import {checkSecret} from './network-secret.js';

/** The PSK identity both ends use: there is one key per network, so it names the scheme, not a user. */
export const PSK_IDENTITY = 'p2pos';
/** HKDF's info: the PSK is derived for this one use, so the raw secret is never itself a key. */
const PSK_INFO = 'p2pos link psk v1';
/** TLS 1.3 suites whose hash is SHA-256 (a PSK from a callback requires it), fastest first on x86. */
const CIPHERS = 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256';
const TLS_VERSIONS = {minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3'} as const;

/** What a TLS failure means, by OpenSSL's code (as Node names it). */
const TLS_FAILURES: Record<string, string> = {
  ERR_SSL_BINDER_DOES_NOT_VERIFY: "the other side does not hold this network's secret",
  ERR_SSL_SSLV3_ALERT_ILLEGAL_PARAMETER: "the other side does not hold this network's secret",
  ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC: "the other side does not hold this network's secret",
  ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC: 'a record failed its integrity check',
  ERR_SSL_WRONG_VERSION_NUMBER:
    'the other side does not speak TLS (a peer without the secret, or --insecure)',
  ERR_SSL_PACKET_LENGTH_TOO_LONG:
    'the other side does not speak TLS (a peer without the secret, or --insecure)',
  ERR_SSL_HTTP_REQUEST: 'the other side does not speak TLS (a peer without the secret, or --insecure)',
  ERR_SSL_NO_SHARED_CIPHER: 'the other side offered no pre-shared key (a TLS client that is not p2pos)',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'the other side does not speak TLS 1.3',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'the other side does not speak TLS 1.3',
};

/** The link key for this secret: HKDF-SHA256(secret, info PSK_INFO), 32 bytes. */
export function derivePsk(secret: Uint8Array): Buffer {
  checkSecret(secret);
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), PSK_INFO, 32));
}

/**
 * The server side for one network: a function that wraps each accepted TCP socket in TLS. The
 * returned socket emits 'error' if the handshake fails (and is then destroyed); data written to
 * it before the handshake ends is held and sent encrypted once it does.
 */
export function secureAcceptor(secret: Uint8Array): (socket: net.Socket) => tls.TLSSocket {
  const psk = derivePsk(secret);
  const secureContext = tls.createSecureContext({...TLS_VERSIONS, ciphers: CIPHERS});
  const options = {
    isServer: true,
    secureContext,
    requestCert: false,
    // No certificate: the PSK alone authenticates. A null key refuses an identity we never issue.
    pskCallback: (_socket: tls.TLSSocket, identity: string) => (identity === PSK_IDENTITY ? psk : null),
  };
  return (socket) => {
    const secured = new tls.TLSSocket(socket, options as tls.TLSSocketOptions);
    // Hold what the Connection writes (its HELLO) until the handshake is done: a write into an
    // unfinished server handshake turns a failure into a bare EPROTO and the alert telling the
    // client why is never sent (it sees ECONNRESET). Cork counts, so the Connection's own
    // cork/uncork pairs leave this one in place.
    let isSecure = false;
    secured.cork();
    secured.once('secure', () => {
      isSecure = true;
      secured.uncork();
    });
    // A client that hangs up mid-handshake never finishes it, and the held HELLO would keep the
    // socket (and its connection slot) open until the handshake timeout.
    secured.once('end', () => {
      if (!isSecure) secured.destroy();
    });
    return secured;
  };
}

/** tls.connect options for the client side of a link in the network with this secret. */
export function secureClientOptions(secret: Uint8Array): tls.ConnectionOptions {
  const psk = derivePsk(secret);
  return {
    ...TLS_VERSIONS,
    ciphers: CIPHERS,
    pskCallback: () => ({psk, identity: PSK_IDENTITY}),
    // There is no certificate to check: the server proved the PSK in the handshake.
    checkServerIdentity: () => undefined,
  };
}

/** Why a socket failed, as a close reason: TLS failures in words, with OpenSSL's code. */
export function describeSocketError(error: NodeJS.ErrnoException): string {
  const code = error.code ?? error.message;
  if (!code.startsWith('ERR_SSL_')) return `socket error: ${code}`;
  return `TLS failed: ${TLS_FAILURES[code] ?? error.message.trim()} (${code})`;
}

/**
 * A client's failed TLS handshake as the RequestError connect() throws: EAUTH when TLS itself
 * refused (a wrong secret, or a server that is not TLS), EHANDSHAKE when the link broke first.
 */
export function handshakeError(host: string, port: number, error: NodeJS.ErrnoException): RequestError {
  const code = error.code ?? '';
  if (code.startsWith('ERR_SSL_'))
    return new RequestError('EAUTH', `Cannot open a link to ${host}:${port}: ${describeSocketError(error)}.`);
  return new RequestError(
    'EHANDSHAKE',
    `${host}:${port} closed the link during the TLS handshake (${code || error.message}): it may run without a secret (--insecure) or be no p2pos at all.`,
  );
}
