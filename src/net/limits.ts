// The network's limits, each with its reason. A connection that breaks one is closed with a logged
// reason naming the limit; the server goes on serving everyone else.

export interface Limits {
  /** A connection must say HELLO this soon after it opens: a silent socket holds a slot for nothing. */
  handshakeTimeoutMs: number;
  /** A connection with no traffic this long is closed: peers that vanish without a FIN (a pulled cable) free their slot. Heartbeats keep tracker links busy. */
  idleTimeoutMs: number;
  /** Connections one remote peer id may hold open at once: one misbehaving peer cannot take every slot. */
  maxConnectionsPerPeer: number;
  /** Connections a server holds at once, handshaken or not. */
  maxConnections: number;
  /** A request with no answer this long fails with ETIMEDOUT (tasks add their own timeout to it). */
  requestTimeoutMs: number;
  /** Bytes queued for a slow reader before the connection is closed: memory is not unbounded. */
  maxWriteBufferBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  handshakeTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxConnectionsPerPeer: 8,
  maxConnections: 256,
  requestTimeoutMs: 10_000,
  maxWriteBufferBytes: 64 * 1024 * 1024,
};

/** The frame limits live beside the decoder (MAX_HEADER_BYTES, MAX_BODY_BYTES in frame.ts). */
export {MAX_BODY_BYTES, MAX_HEADER_BYTES} from './frame.js';
