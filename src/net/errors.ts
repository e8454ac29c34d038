// The network layer's one error class. `code` is stable; callers branch on it, never on the message.

export type ProtocolErrorCode =
  | 'EFRAME' // bytes that are not a frame: a bad length, a header that is not a JSON object
  | 'E2BIG' // a frame over its limit
  | 'EPROTO'; // a well-formed frame that is not a valid message

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

/**
 * A request that did not get an OK: the other side answered ERR (its code is kept: EQUOTA, ENOENT,
 * ETHROW, ...) or the connection failed first (ECONNREFUSED, ECLOSED, ETIMEDOUT, EHANDSHAKE).
 */
export class RequestError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'RequestError';
    this.code = code;
  }
}
