// A listening socket that turns each accepted connection into a protocol Connection, holding the
// server-wide limits: at most maxConnections at once, at most maxConnectionsPerPeer per remote peer
// id. A connection that breaks a limit or the protocol is closed with a logged reason; the others
// are untouched. With a `secret`, every accepted socket is TLS keyed from it (secure-link.ts): the
// handshake timeout (TLS then HELLO) and maxConnections count from the TCP accept, so a socket that
// never finishes TLS holds its slot only until the handshake timeout.

import net from 'node:net';
import {Connection, type ConnectionOptions} from './connection.js';
import {RequestError} from './errors.js';
import {DEFAULT_LIMITS, type Limits} from './limits.js';
import {secureAcceptor} from './secure-link.js';

export interface ServerOptions extends ConnectionOptions {
  host: string;
  /** 0 for any free port. */
  port: number;
  /** When `port` is taken, listen on a free one instead of failing (for default ports only). */
  fallbackToFreePort?: boolean;
  /** The network secret: every link is TLS keyed from it. @default plain TCP (--insecure) */
  secret?: Uint8Array;
}

export interface Server {
  readonly host: string;
  readonly port: number;
  /** Open, handshaken connections. */
  connections(): Connection[];
  /** Stop accepting, close every connection, wait for the socket to close. */
  close(): Promise<void>;
}

export async function listen(options: ServerOptions): Promise<Server> {
  const limits: Limits = {...DEFAULT_LIMITS, ...options.limits};
  const all = new Set<Connection>();
  const byPeer = new Map<string, number>();
  const secure = options.secret === undefined ? undefined : secureAcceptor(options.secret);
  const server = net.createServer((socket) => {
    if (all.size >= limits.maxConnections) {
      options.log?.(
        `refused ${socket.remoteAddress}:${socket.remotePort}: ${limits.maxConnections} connections open (maxConnections)`,
      );
      socket.destroy();
      return;
    }
    const connection = new Connection(secure ? secure(socket) : socket, {...options, limits});
    all.add(connection);
    let countedAs: string | undefined;
    connection.onClose(() => {
      all.delete(connection);
      if (countedAs !== undefined) {
        const left = (byPeer.get(countedAs) ?? 1) - 1;
        if (left === 0) byPeer.delete(countedAs);
        else byPeer.set(countedAs, left);
      }
    });
    connection.ready.then(
      (hello) => {
        const held = byPeer.get(hello.peer) ?? 0;
        if (held >= limits.maxConnectionsPerPeer) {
          connection.close(`peer ${hello.peer} already holds ${held} connections (maxConnectionsPerPeer)`);
          return;
        }
        countedAs = hello.peer;
        byPeer.set(hello.peer, held + 1);
      },
      () => {}, // the connection logged why
    );
  });
  server.maxConnections = limits.maxConnections + 16; // the kernel-side cap; ours above answers first

  const tryListen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        server.off('listening', onListening);
        reject(error);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen({host: options.host, port, exclusive: true});
    });
  try {
    try {
      await tryListen(options.port);
    } catch (error) {
      if (
        (error as NodeJS.ErrnoException).code !== 'EADDRINUSE' ||
        !options.fallbackToFreePort ||
        options.port === 0
      )
        throw error;
      await tryListen(0);
    }
  } catch (error) {
    throw listenError(error as NodeJS.ErrnoException, options.host, options.port);
  }
  server.on('error', (error) => options.log?.(`server error: ${error.message}`));
  const address = server.address() as net.AddressInfo;

  return {
    host: options.host,
    port: address.port,
    connections: () => [...all].filter((connection) => connection.remote !== undefined),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const connection of all) connection.close('server shutting down');
      }),
  };
}

/**
 * Why the server could not listen, as a sentence naming the address and what to do (RequestError
 * with the system's code): Node's own reads "listen EADDRINUSE: address already in use 127.0.0.1:9000".
 */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): RequestError {
  const code = error.code ?? 'EIO';
  const where = `${host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new RequestError(
        code,
        `Cannot listen on ${where}: the port is in use. Give another --port, or 0 for a free one.`,
      );
    case 'EADDRNOTAVAIL':
      return new RequestError(code, `Cannot listen on ${host}: it is not an address of this machine.`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new RequestError(code, `Cannot listen on ${host}: no such host.`);
    case 'EACCES':
      return new RequestError(
        code,
        `Cannot listen on ${where}: permission denied (ports below 1024 need privileges).`,
      );
    default:
      return new RequestError(code, `Cannot listen on ${where}: ${error.message}`);
  }
}
