// Kernel errors. A KernelError is an outcome the user must see (no such process, no memory);
// callers branch on `code`, never on the message. A KernelBug means our own invariants broke:
// the shell reports it without taking the session down.

export type KernelErrorCode =
  | 'EINVAL' // a bad argument: negative size, unknown policy, malformed program
  | 'ESRCH' // no such process
  | 'ENOENT' // no such semaphore, queue or resource
  | 'EEXIST' // a name already in use
  | 'ENOMEM' // no hole fits
  | 'EFAULT' // an address that is not the start of an allocated block
  | 'EDEADLK' // granting would be unsafe, or waiting would never end
  | 'EPERM' // not allowed: killing init, a request beyond the declared claim
  | 'EAGAIN' // would block, and the caller asked not to
  | 'ECHILD'; // no child to wait for

export class KernelError extends Error {
  readonly code: KernelErrorCode;

  constructor(code: KernelErrorCode, message: string) {
    super(message);
    this.name = 'KernelError';
    this.code = code;
  }
}

/** A broken invariant inside the kernel: our code is wrong, not the user's input. */
export class KernelBug extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelBug';
  }
}
