// Links keyed from the network secret, over real loopback TCP: the right secret gets a working link,
// a wrong one or none is closed before any message is handled, and the bytes on the wire are not
// the plain text (a relay between the two ends records what passes).

import assert from 'node:assert/strict';
import {once} from 'node:events';
import net from 'node:net';
import {test} from 'node:test';
import tls from 'node:tls';
import {connect, type Connection, type ConnectOptions} from '../../src/net/connection.js';
import {RequestError} from '../../src/net/errors.js';
import {encodeFrame} from '../../src/net/frame.js';
import type {Limits} from '../../src/net/limits.js';
import {generateSecret} from '../../src/net/network-secret.js';
import {derivePsk} from '../../src/net/secure-link.js';
import {listen, type Server} from '../../src/net/server.js';

const HOST = '127.0.0.1';
const MARKER = 'plain-text-marker-7f3a9c';
type Context = {after(fn: () => unknown): void};

async function echoServer(t: Context, secret: Buffer | undefined, limits: Partial<Limits> = {}) {
  const log: string[] = [];
  let requests = 0;
  const server = await listen({
    host: HOST,
    port: 0,
    secret,
    hello: {peer: 'server-peer-id', role: 'peer', name: 'server'},
    limits,
    log: (line) => log.push(line),
    onRequest: (request) => {
      requests++;
      if (request.type === 'ECHO') return {data: request.data};
      throw new Error(`unexpected ${request.type}`);
    },
  });
  t.after(() => server.close());
  return {server, log, requests: () => requests};
}

async function client(
  t: Context,
  port: number,
  secret: Buffer | undefined,
  more: Partial<ConnectOptions> = {},
): Promise<Connection> {
  const connection = await connect({
    host: HOST,
    port,
    secret,
    hello: {peer: 'client-peer-id', role: 'client', name: 'client'},
    ...more,
  });
  t.after(() => connection.close('test over'));
  return connection;
}

function closed(socket: net.Socket): Promise<void> {
  socket.resume(); // a paused socket never sees the other side's FIN
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    socket.once('close', () => resolve());
  });
}

async function waitFor(isDone: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isDone()) {
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A TCP relay to `port` that records every byte passing in either direction. */
async function relay(t: Context, port: number): Promise<{port: number; wire: () => Buffer}> {
  const chunks: Buffer[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((inbound) => {
    const outbound = net.connect({host: HOST, port});
    sockets.push(inbound, outbound);
    for (const [from, to] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      from.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        to.write(chunk);
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
    }
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return {port: (server.address() as net.AddressInfo).port, wire: () => Buffer.concat(chunks)};
}

test('with the same secret, the link is TLS 1.3 and a request gets its answer', async (t) => {
  const secret = generateSecret();
  const {server, requests} = await echoServer(t, secret);
  const connection = await client(t, server.port, secret);
  assert.equal(connection.remote?.peer, 'server-peer-id');
  assert.ok(connection.socket instanceof tls.TLSSocket);
  assert.equal((connection.socket as tls.TLSSocket).getProtocol(), 'TLSv1.3');
  const answers = await Promise.all(
    Array.from({length: 20}, (_, i) => connection.request({type: 'ECHO', data: {i, text: MARKER}})),
  );
  assert.deepEqual(
    answers.map((answer) => answer.data),
    Array.from({length: 20}, (_, i) => ({i, text: MARKER})),
  );
  assert.equal(requests(), 20);
  assert.equal(server.connections().length, 1);
});

test('a wrong secret fails the handshake with EAUTH, and the server goes on serving', async (t) => {
  const secret = generateSecret();
  const {server, log, requests} = await echoServer(t, secret);
  await assert.rejects(
    client(t, server.port, generateSecret()),
    (error: RequestError) =>
      error instanceof RequestError && error.code === 'EAUTH' && /secret/.test(error.message),
  );
  const good = await client(t, server.port, secret);
  assert.deepEqual((await good.request({type: 'ECHO', data: 'still here'})).data, 'still here');
  assert.equal(requests(), 1);
  const refusals = log.filter((line) => line.includes("does not hold this network's secret"));
  assert.equal(refusals.length, 1, log.join('\n'));
});

test('a plain-text client gets no answer from a TLS server and is closed unheard', async (t) => {
  const {server, log, requests} = await echoServer(t, generateSecret());
  const socket = net.connect({host: HOST, port: server.port});
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => {});
  socket.write(encodeFrame({type: 'HELLO', v: 1, peer: 'raw', role: 'client', name: 'raw'}));
  socket.write(encodeFrame({type: 'ECHO', id: 1, data: MARKER}));
  await closed(socket);
  assert.equal(requests(), 0);
  // TLS may answer with an alert record; it must never carry a frame or the server's HELLO.
  assert.ok(!Buffer.concat(received).includes('HELLO'));
  assert.ok(
    log.some((line) => line.includes('does not speak TLS')),
    log.join('\n'),
  );
  // The Connection class without a secret gives up cleanly too.
  await assert.rejects(client(t, server.port, undefined), {code: 'EHANDSHAKE'});
  assert.equal(requests(), 0);
});

test('a client with a secret is refused by a plain server', async (t) => {
  const {server, requests} = await echoServer(t, undefined);
  await assert.rejects(client(t, server.port, generateSecret()), (error: RequestError) =>
    ['EAUTH', 'EHANDSHAKE'].includes(error.code),
  );
  assert.equal(requests(), 0);
});

test('a client that opens TCP and says nothing is closed at the handshake timeout', async (t) => {
  const {server, log} = await echoServer(t, generateSecret(), {handshakeTimeoutMs: 200});
  const socket = net.connect({host: HOST, port: server.port});
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  const started = Date.now();
  await closed(socket);
  assert.ok(Date.now() - started < 2_000);
  assert.ok(
    log.some((line) => line.includes('handshake timeout')),
    log.join('\n'),
  );
});

test('connections still handshaking TLS count against maxConnections', async (t) => {
  const secret = generateSecret();
  const {server, log} = await echoServer(t, secret, {maxConnections: 1});
  const silent = net.connect({host: HOST, port: server.port});
  t.after(() => silent.destroy());
  await once(silent, 'connect'); // accepted before the next one: the backlog is served in order
  await assert.rejects(client(t, server.port, secret));
  assert.ok(
    log.some((line) => line.includes('maxConnections')),
    log.join('\n'),
  );
  silent.destroy();
  await waitFor(() => log.some((line) => line.includes('closed by the other side')));
  const good = await client(t, server.port, secret);
  assert.deepEqual((await good.request({type: 'ECHO', data: 1})).data, 1);
});

test('on the wire, a TLS link hides what a plain link shows', async (t) => {
  for (const secret of [generateSecret(), undefined]) {
    const {server} = await echoServer(t, secret);
    const tap = await relay(t, server.port);
    const connection = await client(t, tap.port, secret);
    assert.equal((await connection.request({type: 'ECHO', data: MARKER})).data, MARKER);
    connection.close('captured');
    const wire = tap.wire();
    assert.ok(wire.length > 0);
    const isVisible = wire.includes(MARKER) || wire.includes('server-peer-id');
    assert.equal(isVisible, secret === undefined, `secret: ${secret !== undefined}`);
  }
});

test('the link key is derived from the secret, never the secret itself', () => {
  const secret = generateSecret();
  const key = derivePsk(secret);
  assert.equal(key.length, 32);
  assert.notDeepEqual(key, secret);
  assert.deepEqual(derivePsk(Buffer.from(secret)), key);
  assert.notDeepEqual(derivePsk(generateSecret()), key);
  assert.throws(() => derivePsk(Buffer.alloc(16)), {code: 'EINVAL'});
});
