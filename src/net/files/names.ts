// File names from the network, made safe to use as paths. A name in a manifest is whatever a peer sent:
// it is never joined onto a directory until it has been through safeFileName, which makes it one
// harmless path component or refuses it.
// Interface:
// - safeFileName(name): the sanitised component; throws FileError EINVAL for what cannot be made safe
// - resolveInside(dir, name): the absolute path of that component inside dir, never outside it

import {basename, dirname, isAbsolute, relative, resolve, sep} from 'node:path';
import {FileError, showValue} from './errors.js';

/** Longest name in UTF-8 bytes: NAME_MAX on Linux, ext4, APFS and most file systems. */
export const MAX_NAME_BYTES = 255;

/** What a character that may not appear in a name becomes. */
const REPLACEMENT = '_';
// Separators (either OS's), C0 controls, DEL and C1 controls: a control character in a name can move
// the cursor or clear the screen of whoever lists it. Bidirectional overrides and isolates make
// "gnp.exe" display as "exe.png"; they are replaced too. NUL never gets here: it is refused.
const UNSAFE_CHARACTERS = /[/\\\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// Leading dots hide a file (a download nobody can see) and make dotfiles: fetched into a home directory,
// `.bashrc` or `.npmrc` would be configuration the user never chose. Trailing dots and spaces are
// dropped by Windows, so `a.` and `a` would be one file there. Spaces at either end are easy to miss.
const LEADING = /^[.\s]+/u;
const TRAILING = /[.\s]+$/u;
// DOS device names (with any extension) open a device on Windows; a leading '_' makes them ordinary.
const WINDOWS_RESERVED = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;

/**
 * A name from the network as one safe path component. The name is put in NFC (so a name from macOS,
 * in NFD, matches the same name typed elsewhere), lone surrogates become U+FFFD, separators and
 * control characters become `_`, leading dots and spaces and trailing dots and spaces are dropped
 * (see above), and a Windows device name gets a leading `_`. The result is a fixed point:
 * `safeFileName(safeFileName(x)) === safeFileName(x)`.
 * Throws FileError `EINVAL` for a name that is not a string, is empty, is `.` or `..`, contains a NUL
 * byte (a NUL in a name is crafted: C truncates there), has nothing left once cleaned (`...`), or is
 * over MAX_NAME_BYTES bytes of UTF-8 once cleaned (refused, not cut: a cut could drop the extension).
 */
export function safeFileName(name: string): string {
  if (typeof name !== 'string')
    throw new FileError('EINVAL', `File name ${showValue(name)} is not a string.`);
  if (name === '') throw new FileError('EINVAL', 'File name is empty.');
  if (name === '.' || name === '..')
    throw new FileError('EINVAL', `File name ${showValue(name)} names a directory, not a file.`);
  if (name.includes('\0')) throw new FileError('EINVAL', `File name ${showValue(name)} contains a NUL byte.`);
  let safe = name
    .replace(LONE_SURROGATE, '\ufffd')
    .normalize('NFC')
    .replace(UNSAFE_CHARACTERS, REPLACEMENT)
    .replace(LEADING, '')
    .replace(TRAILING, '');
  if (safe === '')
    throw new FileError(
      'EINVAL',
      `File name ${showValue(name)} has nothing left once leading dots and spaces are removed.`,
    );
  if (WINDOWS_RESERVED.test(safe.split('.')[0]!.trimEnd())) safe = REPLACEMENT + safe;
  const bytes = Buffer.byteLength(safe, 'utf8');
  if (bytes > MAX_NAME_BYTES)
    throw new FileError(
      'EINVAL',
      `File name ${showValue(name)} is ${bytes} bytes of UTF-8; the limit is ${MAX_NAME_BYTES}.`,
    );
  return safe;
}

/**
 * The absolute path of `safeFileName(name)` directly inside `dir` (resolved against the working
 * directory when relative). Throws FileError `EINVAL` for a name safeFileName refuses, or if the
 * result would not be directly inside `dir` (it cannot for a safe name; this is the second lock).
 * The check is on the path's text: a symbolic link already inside `dir` is followed by whoever opens
 * the path, so create files with `wx` (O_EXCL), which fails on an existing link.
 */
export function resolveInside(dir: string, name: string): string {
  const safe = safeFileName(name);
  const root = resolve(dir);
  const path = resolve(root, safe);
  const inside = relative(root, path);
  if (
    inside !== safe ||
    isAbsolute(inside) ||
    inside.split(sep).includes('..') ||
    dirname(path) !== root ||
    basename(path) !== safe
  )
    throw new FileError('EINVAL', `File name ${showValue(name)} would resolve outside ${showValue(root)}.`);
  return path;
}
