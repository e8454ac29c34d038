// One TCP connection speaking the protocol, from either end: frames in and out, the HELLO
// handshake, requests matched to their answers by id, and the limits that close a misbehaving
// link. A protocol error (a bad frame, an invalid message) closes this connection only.
// Interface:
//   const connection = await connect({host, port, hello, onRequest})   // client side, handshaken
//   new Connection(socket, {hello, onRequest}) then await connection.ready  // server side
//   const answer = await connection.request({type: 'PEERS'})             // OK fields, or throws RequestError
//   const {body} = await connection.request({type: 'CHUNK', …})           // an answer's raw body
//   onRequest: (request, connection, body) => withBody({index}, bytes)     // answer with a body
//   connection.close('why')

import net from 'node:net';
import tls from 'node:tls';
import {ProtocolError, RequestError} from './errors.js';
import {encodeFrame, encodeFrameHead, FrameDecoder, type Frame} from './frame.js';

/** Bodies from this size on go out as a write of their own rather than copied into the frame. */
const SEPARATE_BODY_BYTES = 16 * 1024;
/** A client connection's read buffer: up to this much per read from the socket. */
const READ_BUFFER_BYTES = 256 * 1024;
import {DEFAULT_LIMITS, type Limits} from './limits.js';
import {
  isRequest,
  parseMessage,
  PROTOCOL_VERSION,
  type Hello,
  type Message,
  type Ok,
  type Request,
  type RequestType,
  type Role,
} from './messages.js';
import {describeSocketError, handshakeError, secureClientOptions} from './secure-link.js';

/** What this side says in its HELLO. */
export interface Identity {
  peer: string;
  role: Role;
  name: string;
}

/** A request as sent: the id is added by the connection. */
export type Outgoing = Request extends infer R ? (R extends {id: number} ? Omit<R, 'id'> : never) : never;

/** An answer with a raw body (file data): what withBody() makes. */
export class Reply {
  readonly fields: Record<string, unknown>;
  readonly body: Uint8Array;
  /** Called once the body is no longer needed: written to the socket, or the connection gone. */
  readonly onSent: (() => void) | undefined;

  constructor(fields: Record<string, unknown>, body: Uint8Array, onSent?: () => void) {
    this.fields = fields;
    this.body = body;
    this.onSent = onSent;
  }
}

/**
 * Answer a request with these fields and this raw body. `onSent` is called once the body's bytes are
 * handed to the kernel (or will never be sent): a pooled buffer can go back to its pool then.
 */
export function withBody(fields: Record<string, unknown>, body: Uint8Array, onSent?: () => void): Reply {
  return new Reply(fields, body, onSent);
}

export type RequestHandler = (
  request: Request,
  connection: Connection,
  /** The request frame's raw body; empty when it has none. */
  body: Buffer,
) => Record<string, unknown> | Reply | Promise<Record<string, unknown> | Reply>;

export interface ConnectionOptions {
  hello: Identity;
  /** Answers the other side's requests; a thrown error with a string `code` becomes an ERR with that code. */
  onRequest?: RequestHandler;
  /** Request types this side serves; others get ERR ENOTSUP. @default every type onRequest is given */
  serves?: ReadonlySet<RequestType>;
  limits?: Partial<Limits>;
  /** One line per event (connection closed and why). */
  log?: (line: string) => void;
  /**
   * The socket reads into a buffer it reuses (net's `onread`, as connect() sets up) and hands each read
   * to the function given here, instead of emitting 'data'. @default 'data' events
   */
  reads?: (receive: (chunk: Buffer) => void) => void;
}

interface Pending {
  resolve: (answer: Ok) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class Connection {
  readonly socket: net.Socket;
  /** Resolves with the other side's HELLO; rejects if the handshake fails or times out. */
  readonly ready: Promise<Hello>;
  /** The other side's HELLO, once received. */
  remote: Hello | undefined;
  /** "host:port" of the other end, kept from the start: a destroyed socket no longer knows it. */
  readonly address: string;
  bytesIn = 0;
  bytesOut = 0;
  readonly #options: ConnectionOptions;
  readonly #limits: Limits;
  readonly #decoder = new FrameDecoder();
  readonly #pending = new Map<number, Pending>();
  readonly #closeListeners: ((reason: string) => void)[] = [];
  #nextId = 1;
  #closedReason: string | undefined;
  /** Set after a turn's first frame: the turn's later frames wait in the corked socket for one write. */
  #isCorked = false;
  #settleHello!: {resolve: (hello: Hello) => void; reject: (error: Error) => void};
  #handshakeTimer: NodeJS.Timeout;

  constructor(socket: net.Socket, options: ConnectionOptions) {
    this.socket = socket;
    this.address = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.#options = options;
    this.#limits = {...DEFAULT_LIMITS, ...options.limits};
    this.ready = new Promise<Hello>((resolve, reject) => {
      this.#settleHello = {resolve, reject};
    });
    this.ready.catch(() => {}); // a caller that never awaits it must not crash the process
    socket.setNoDelay(true);
    socket.setTimeout(this.#limits.idleTimeoutMs, () =>
      this.close(`idle for ${this.#limits.idleTimeoutMs / 1000} s (idle timeout)`),
    );
    this.#handshakeTimer = setTimeout(
      () => this.close(`no HELLO within ${this.#limits.handshakeTimeoutMs} ms (handshake timeout)`),
      this.#limits.handshakeTimeoutMs,
    );
    if (options.reads) options.reads((chunk) => this.#receive(chunk, true));
    else socket.on('data', (chunk: Buffer) => this.#receive(chunk, false));
    socket.on('error', (error: NodeJS.ErrnoException) => this.close(describeSocketError(error)));
    socket.on('close', () => this.close('closed by the other side'));
    const {peer, role, name} = options.hello;
    this.#send({type: 'HELLO', v: PROTOCOL_VERSION, peer, role, name});
  }

  get isOpen(): boolean {
    return this.#closedReason === undefined;
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * Send a request and wait for its answer: the OK's fields, or a RequestError with the ERR's code
   * (or ETIMEDOUT after `timeoutMs`, ECLOSED if the connection goes first).
   */
  request(message: Outgoing, timeoutMs = this.#limits.requestTimeoutMs, body?: Uint8Array): Promise<Ok> {
    if (this.#closedReason !== undefined)
      return Promise.reject(
        new RequestError('ECLOSED', `Connection to ${this.address} is closed: ${this.#closedReason}.`),
      );
    const id = this.#nextId++;
    return new Promise<Ok>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new RequestError(
            'ETIMEDOUT',
            `No answer to ${message.type} from ${this.address} within ${timeoutMs} ms.`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(id, {resolve, reject, timer});
      try {
        this.#send({...message, id}, body);
      } catch (error) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(error);
      }
    });
  }

  onClose(listener: (reason: string) => void): void {
    if (this.#closedReason !== undefined) listener(this.#closedReason);
    else this.#closeListeners.push(listener);
  }

  /** Close with a reason (logged); pending requests fail with ECLOSED. Safe to call twice. */
  close(reason: string): void {
    if (this.#closedReason !== undefined) return;
    this.#closedReason = reason;
    clearTimeout(this.#handshakeTimer);
    this.#uncork(); // frames sent just before closing still go out, as they would uncorked
    this.socket.destroy();
    const who = this.remote ? `${this.remote.role} ${this.remote.peer}` : 'connection';
    this.#options.log?.(`${who} ${this.address} closed: ${reason}`);
    const error = new RequestError('ECLOSED', `Connection to ${this.address} closed: ${reason}.`);
    this.#settleHello.reject(
      new RequestError('EHANDSHAKE', `Handshake with ${this.address} failed: ${reason}.`),
    );
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
    for (const listener of this.#closeListeners.splice(0)) listener(reason);
  }

  #send(header: Record<string, unknown>, body?: Uint8Array, onSent?: () => void): void {
    if (this.#closedReason !== undefined) return onSent?.();
    if (this.socket.writableLength > this.#limits.maxWriteBufferBytes) {
      this.close(`the other side reads too slowly (over ${this.#limits.maxWriteBufferBytes} bytes queued)`);
      return onSent?.();
    }
    if (body !== undefined && body.length >= SEPARATE_BODY_BYTES) {
      // A file chunk: its head and its bytes in one corked write, without copying the bytes.
      const head = encodeFrameHead(header, body.length);
      this.bytesOut += head.length + body.length;
      this.socket.cork();
      this.socket.write(head);
      this.socket.write(body, onSent && (() => onSent())); // called on a failed write too
      this.socket.uncork();
      return;
    }
    const frame = encodeFrame(header, body);
    onSent?.(); // copied into the frame
    this.bytesOut += frame.length;
    this.socket.write(frame); // whole frames only: with Nagle off, never a split header and body
    // The first frame of a turn leaves at once, so the other side can start on it; the rest of the
    // turn's frames (answers settled together, requests sent in a loop) wait in the cork for one
    // write: a loopback write costs about as much as the work of a small task.
    if (!this.#isCorked) {
      this.#isCorked = true;
      this.socket.cork();
      process.nextTick(this.#uncork);
    }
  }

  readonly #uncork = (): void => {
    if (!this.#isCorked) return;
    this.#isCorked = false;
    this.socket.uncork();
  };

  #receive(chunk: Buffer, isTransient: boolean): void {
    this.bytesIn += chunk.length;
    let frames: Frame[];
    try {
      frames = this.#decoder.push(chunk, isTransient);
    } catch (error) {
      this.close(`bad frame: ${(error as Error).message}`);
      return;
    }
    for (const frame of frames) {
      if (this.#closedReason !== undefined) return;
      let message: Message;
      try {
        message = parseMessage(frame.header);
      } catch (error) {
        this.close(`invalid message: ${(error as Error).message}`);
        return;
      }
      this.#dispatch(message, frame.body);
    }
  }

  #dispatch(message: Message, body: Buffer): void {
    if (this.remote === undefined) {
      if (message.type !== 'HELLO') return this.close(`${message.type} before HELLO`);
      if (message.v !== PROTOCOL_VERSION)
        return this.close(`protocol version ${message.v}; this side speaks ${PROTOCOL_VERSION}`);
      clearTimeout(this.#handshakeTimer);
      this.remote = message;
      this.#settleHello.resolve(message);
      return;
    }
    if (message.type === 'HELLO') return this.close('a second HELLO');
    if (message.type === 'OK' || message.type === 'ERR') {
      const pending = this.#pending.get(message.re);
      if (pending === undefined) return; // answered after its timeout: dropped
      this.#pending.delete(message.re);
      clearTimeout(pending.timer);
      if (message.type === 'OK') {
        message.body = body; // never a `body` the header itself named
        pending.resolve(message);
      } else pending.reject(new RequestError(message.code, message.message));
      return;
    }
    if (isRequest(message)) void this.#answer(message, body);
  }

  async #answer(request: Request, body: Buffer): Promise<void> {
    const {onRequest, serves} = this.#options;
    if (onRequest === undefined || (serves !== undefined && !serves.has(request.type))) {
      this.#send({
        type: 'ERR',
        re: request.id,
        code: 'ENOTSUP',
        message: `This ${this.#options.hello.role} does not serve ${request.type}.`,
      });
      return;
    }
    try {
      const answer = await onRequest(request, this, body);
      if (answer instanceof Reply)
        this.#send({...answer.fields, type: 'OK', re: request.id}, answer.body, answer.onSent);
      else this.#send({...answer, type: 'OK', re: request.id});
    } catch (error) {
      const code = (error as {code?: unknown}).code;
      const isKnown = typeof code === 'string' && /^E[A-Z0-9]+$/.test(code);
      if (!isKnown)
        this.#options.log?.(`error answering ${request.type}: ${(error as Error).stack ?? error}`);
      try {
        this.#send({
          type: 'ERR',
          re: request.id,
          code: isKnown ? code : 'EINTERNAL',
          message: String((error as Error).message ?? error).slice(0, 4000),
        });
      } catch (sendError) {
        if (sendError instanceof ProtocolError) this.close(`answer too big: ${sendError.message}`);
        else throw sendError;
      }
    }
  }
}

export interface ConnectOptions extends ConnectionOptions {
  host: string;
  port: number;
  /** Give up connecting (and handshaking) after this long. @default 3000 */
  connectTimeoutMs?: number;
  /** The network secret: the link is TLS keyed from it (secure-link.ts). @default plain TCP (--insecure) */
  secret?: Uint8Array;
}

/**
 * Open a connection and finish the handshake (TLS first, with a `secret`); throws RequestError
 * ECONNREFUSED/ETIMEDOUT/EHANDSHAKE, or EAUTH when the server does not hold the same secret.
 */
export async function connect(options: ConnectOptions): Promise<Connection> {
  const {host, port, connectTimeoutMs = 3_000, secret} = options;
  // Reads land in one buffer per connection rather than a new one per read: a download's stream of
  // chunks then makes no garbage on its way to the frame decoder.
  const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  let receive: ((chunk: Buffer) => void) | undefined;
  const early: Buffer[] = []; // reads before the Connection exists (none, as a rule: it is made at once)
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const onread = {
      buffer: readBuffer,
      callback: (bytes: number, buffer: Uint8Array) => {
        const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, bytes);
        if (receive) receive(chunk);
        else early.push(Buffer.from(chunk));
        return true;
      },
    };
    // tls.connect takes onread too (documented; @types/node lacks it) and reads decrypted bytes into it.
    const socket =
      secret === undefined
        ? net.connect({host, port, onread})
        : tls.connect({host, port, onread, ...secureClientOptions(secret)} as tls.ConnectionOptions);
    let isTcpOpen = false;
    socket.once('connect', () => (isTcpOpen = true));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new RequestError('ETIMEDOUT', `No connection to ${host}:${port} within ${connectTimeoutMs} ms.`),
      );
    }, connectTimeoutMs);
    socket.once(secret === undefined ? 'connect' : 'secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (isTcpOpen) return reject(handshakeError(host, port, error)); // TLS was refused or cut
      reject(
        new RequestError(
          error.code ?? 'ECONNREFUSED',
          `Cannot connect to ${host}:${port}: ${error.code ?? error.message}.`,
        ),
      );
    });
  });
  const connection = new Connection(socket, {
    ...options,
    reads: (deliver) => {
      receive = deliver;
      for (const chunk of early.splice(0)) deliver(chunk);
    },
  });
  await connection.ready;
  return connection;
}
