// The error of the file-sharing modules (manifests, hashing, names). `code` is stable; callers branch
// on it, never on the message, which is one sentence naming the bad value and what is allowed.

export type FileErrorCode =
  | 'EINVAL' // a bad argument or manifest field: a chunk size out of range, a name that cannot be made safe
  | 'EFBIG' // a file, or a manifest's size, over the maximum file size
  | 'ENOENT' // no such file
  | 'EISDIR' // a directory where a file was expected
  | 'EACCES' // permission denied
  | 'ECHANGED' // the file's size or modification time changed while it was hashed
  | 'ECANCELED' // the caller's AbortSignal fired; the signal's reason is the error's cause
  | 'EIO'; // any other failure of the file system; the message names the file, the cause is kept

export class FileError extends Error {
  readonly code: FileErrorCode;

  constructor(code: FileErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FileError';
    this.code = code;
  }
}

/** A value as it appears in an error message: JSON (so control characters show as escapes), cut at 60 characters. */
export function showValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'boolean' || value === null) text = String(value);
  else if (value === undefined) return 'missing';
  else if (Array.isArray(value)) return `an array of ${value.length}`;
  else return `a ${typeof value}`;
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
