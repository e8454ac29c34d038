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
