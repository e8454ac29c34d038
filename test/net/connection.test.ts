// Connections and the server over real loopback TCP: handshake, requests and answers, and every
// limit closing only the connection that broke it.

import assert from 'node:assert/strict';
import net from 'node:net';
import {test} from 'node:test';
import {connect, withBody, type Connection} from '../../src/net/connection.js';
import {RequestError} from '../../src/net/errors.js';
import {encodeFrame} from '../../src/net/frame.js';
import {listen, type Server} from '../../src/net/server.js';
import type {Limits} from '../../src/net/limits.js';

const HOST = '127.0.0.1';

async function echoServer(t: {after(fn: () => unknown): void}, limits: Partial<Limits> = {}) {
  const log: string[] = [];
  const server = await listen({
    host: HOST,
    port: 0,
    hello: {peer: 'server', role: 'peer', name: 'server'},
    limits,
    log: (line) => log.push(line),
    onRequest: async (request, _connection, body) => {
      if (request.type === 'ECHO') return {data: request.data};
      // Answers with its request's body reversed, so a test sees both directions carry raw bytes.
      if (request.type === 'SHARE') return withBody({got: body.length}, Buffer.from(body).reverse());
      if (request.type === 'GET_MEM') {
        const error = new Error(`No key \`${request.key}\`.`) as Error & {code: string};
        error.code = 'ENOENT';
        throw error;
      }
      if (request.type === 'PEERS') return new Promise(() => {}); // never answers
      throw new Error('boom');
    },
  });
  t.after(() => server.close());
  return {server, log};
}

async function client(
  server: Server,
  peer = 'client',
  t?: {after(fn: () => unknown): void},
): Promise<Connection> {
  const connection = await connect({
    host: HOST,
    port: server.port,
    hello: {peer, role: 'client', name: peer},
  });
  t?.after(() => connection.close('test over'));
  return connection;
}

/** A raw socket that has said HELLO, for sending bytes the Connection class never would. */
async function rawSocket(server: Server): Promise<net.Socket> {
  const socket = net.connect({host: HOST, port: server.port});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(encodeFrame({type: 'HELLO', v: 1, peer: 'raw', role: 'client', name: 'raw'}));
  return socket;
}

function closed(socket: net.Socket): Promise<void> {
  socket.resume(); // a paused socket never sees the other side's FIN
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    socket.once('close', () => resolve());
  });
}

test('a request gets its answer; several in flight are matched by id', async (t) => {
  const {server} = await echoServer(t);
  const connection = await client(server, 'c', t);
  assert.equal(connection.remote?.peer, 'server');
  const answers = await Promise.all(
    Array.from({length: 50}, (_, i) => connection.request({type: 'ECHO', data: {i, text: 'ünïcode'}})),
  );
  assert.deepEqual(
    answers.map((answer) => answer.data),
    Array.from({length: 50}, (_, i) => ({i, text: 'ünïcode'})),
  );
  assert.ok(connection.bytesOut > 0 && connection.bytesIn > 0);
});

test('raw bodies travel both ways: a request body reaches the handler, an answer body the caller', async (t) => {
  const {server} = await echoServer(t);
  const connection = await client(server, 'client', t);
  const hashes = Buffer.from(Array.from({length: 64}, (_, i) => i));
  const file = {fileId: 'a'.repeat(64), name: 'f', size: 5, chunkSize: 4096, chunkCount: 1, group: null};
  const answer = await connection.request({type: 'SHARE', peerId: 'client', file}, undefined, hashes);
  assert.equal(answer.got, 64);
  assert.deepEqual(answer.body, Buffer.from(hashes).reverse());
  // An answer without a body has an empty one, even when its header names a `body` field.
  const plain = await connection.request({type: 'ECHO', data: {body: 'x'}});
  assert.equal(plain.body?.length, 0);
});

test("a handler's coded error arrives as that code; an uncoded one as EINTERNAL", async (t) => {
  const {server, log} = await echoServer(t);
  const connection = await client(server, 'c', t);
  await assert.rejects(connection.request({type: 'GET_MEM', key: 'x'}), {
    name: 'RequestError',
    code: 'ENOENT',
    message: 'No key `x`.',
  });
  await assert.rejects(connection.request({type: 'DEL_MEM', key: 'x'}), {code: 'EINTERNAL', message: 'boom'});
  assert.ok(log.some((line) => line.includes('boom')));
  // the connection is still good
  assert.equal((await connection.request({type: 'ECHO', data: 1})).data, 1);
});

test('a request with no answer fails with ETIMEDOUT; a closed connection fails pending ones with ECLOSED', async (t) => {
  const {server} = await echoServer(t);
  const connection = await client(server, 'c', t);
  await assert.rejects(connection.request({type: 'PEERS'}, 100), {code: 'ETIMEDOUT'});
  const pending = connection.request({type: 'PEERS'});
  connection.close('test');
  await assert.rejects(pending, {code: 'ECLOSED'});
  await assert.rejects(connection.request({type: 'ECHO', data: 1}), {code: 'ECLOSED'});
});

test('garbage bytes close that connection only; the server goes on serving others', async (t) => {
  const {server, log} = await echoServer(t);
  const good = await client(server, 'good', t);
  const bad = await rawSocket(server);
  bad.write(Buffer.from([0, 0, 0, 5, 0x7b, 0x7b, 0x7b, 0x7b, 0x7b])); // 5 bytes of "{{{{{"
  await closed(bad);
  assert.ok(
    log.some((line) => /bad frame: Frame header is not JSON/.test(line)),
    log.join('\n'),
  );
  assert.equal((await good.request({type: 'ECHO', data: 'still here'})).data, 'still here');
});

test('an oversized frame and an invalid message each close their connection with a reason', async (t) => {
  const {server, log} = await echoServer(t);
  const big = await rawSocket(server);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(64 * 1024 * 1024);
  big.write(length);
  await closed(big);
  assert.ok(
    log.some((line) => /over the \d+-byte limit/.test(line)),
    log.join('\n'),
  );

  const invalid = await rawSocket(server);
  invalid.write(encodeFrame({type: 'SET_MEM', id: 1, value: 1})); // no key
  await closed(invalid);
  assert.ok(
    log.some((line) => /invalid message: Field `key` is not a string/.test(line)),
    log.join('\n'),
  );

  const unknown = await rawSocket(server);
  unknown.write(encodeFrame({type: 'FORMAT_DISK', id: 1}));
  await closed(unknown);
  assert.ok(log.some((line) => /Unknown message type `FORMAT_DISK`/.test(line)));
  const good = await client(server, 'good', t);
  assert.equal((await good.request({type: 'ECHO', data: 2})).data, 2);
});

test('a request before HELLO, a wrong version, or silence past the handshake timeout closes the connection', async (t) => {
  const {server, log} = await echoServer(t, {handshakeTimeoutMs: 150});
  const early = net.connect({host: HOST, port: server.port});
  early.on('connect', () => early.write(encodeFrame({type: 'ECHO', id: 1})));
  await closed(early);
  assert.ok(log.some((line) => line.includes('ECHO before HELLO')));

  const old = net.connect({host: HOST, port: server.port});
  old.on('connect', () => old.write(encodeFrame({type: 'HELLO', v: 99, peer: 'x', role: 'peer'})));
  await closed(old);
  assert.ok(log.some((line) => line.includes('protocol version 99')));

  const silent = net.connect({host: HOST, port: server.port});
  await closed(silent);
  assert.ok(log.some((line) => line.includes('handshake timeout')));
});

test('idle connections are closed after the idle timeout', async (t) => {
  const {server, log} = await echoServer(t, {idleTimeoutMs: 150});
  const connection = await client(server, 'c', t);
  const reason = await new Promise<string>((resolve) => connection.onClose(resolve));
  assert.match(reason, /closed by the other side|idle/);
  assert.ok(log.some((line) => line.includes('idle timeout')));
});

test('one peer id may hold at most maxConnectionsPerPeer connections', async (t) => {
  const {server, log} = await echoServer(t, {maxConnectionsPerPeer: 2});
  const first = await client(server, 'greedy', t);
  const second = await client(server, 'greedy', t);
  const third = await client(server, 'greedy', t);
  await new Promise<void>((resolve) => third.onClose(() => resolve()));
  assert.ok(log.some((line) => line.includes('maxConnectionsPerPeer')));
  assert.ok(first.isOpen && second.isOpen);
  const other = await client(server, 'other', t);
  assert.equal((await other.request({type: 'ECHO', data: 3})).data, 3);
});

test('connecting to a closed port fails with a clear error', async () => {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, HOST, resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  await assert.rejects(
    connect({host: HOST, port, hello: {peer: 'c', role: 'client', name: 'c'}}),
    (error: unknown) =>
      error instanceof RequestError && error.code === 'ECONNREFUSED' && error.message.includes(`${port}`),
  );
});

test('a taken default port falls back to a free one; a taken explicit port is an error', async (t) => {
  const {server} = await echoServer(t);
  const options = {host: HOST, port: server.port, hello: {peer: 's2', role: 'peer' as const, name: 's2'}};
  await assert.rejects(listen(options), {
    code: 'EADDRINUSE',
    message: `Cannot listen on ${HOST}:${server.port}: the port is in use. Give another --port, or 0 for a free one.`,
  });
  const second = await listen({...options, fallbackToFreePort: true});
  t.after(() => second.close());
  assert.notEqual(second.port, server.port);
});
