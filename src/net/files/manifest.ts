// A shared file's manifest: what the tracker registers and a downloader checks every byte against.
// Content-addressed: the file id is the SHA-256 of the whole file; each chunk (the file cut every
// `chunkSize` bytes, the last one shorter) has a SHA-256 of its own, so a chunk is verified alone,
// whichever peer sent it. (Groundwork for disk sharing, issue 5: upload, files, download.)

/** Chunks of 256 KiB: large enough that a request's overhead is small, small enough to spread a file over peers. */
export const DEFAULT_CHUNK_SIZE = 256 * 1024;
/** Smallest and largest chunk size a peer accepts (a chunk travels as one frame body, under MAX_BODY_BYTES). */
export const MIN_CHUNK_SIZE = 4 * 1024;
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024;
/** Largest file shared unless configured otherwise. */
export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 ** 3;

export interface Manifest {
  /** Hex SHA-256 of the whole file (64 lowercase hex digits). */
  fileId: string;
  /** The name it was shared under: a display name, never trusted as a path (see names.ts). */
  name: string;
  /** Bytes. */
  size: number;
  /** Bytes per chunk; the last chunk holds the rest. */
  chunkSize: number;
  /** Hex SHA-256 of each chunk, in order: chunkCount(size, chunkSize) of them (none for an empty file). */
  chunkHashes: string[];
}

/** How many chunks a file of `size` bytes has. */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

/** Byte range [start, end) of chunk `index`. */
export function chunkRange(manifest: Pick<Manifest, 'size' | 'chunkSize'>, index: number): [number, number] {
  const start = index * manifest.chunkSize;
  return [start, Math.min(manifest.size, start + manifest.chunkSize)];
}
