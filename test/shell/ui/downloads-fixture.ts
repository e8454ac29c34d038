// Transfers as the sharing service reports them, for the downloads pane's tests: a builder with
// plausible figures, chunk maps written as strings, and a three-transfer fixture.

import {CHUNK_DONE, CHUNK_IN_FLIGHT, CHUNK_MISSING} from '../../../src/net/files/downloader.js';
import type {TransferView} from '../../../src/net/files/sharing.js';
import type {DownloadsData} from '../../../src/shell/ui/downloads-lines.js';

const MiB = 1024 * 1024;

/** A transfer as sharing.downloads() gives it: 10 MiB in 40 chunks, 40% done, running at 12.5 MB/s. */
export function transfer(id: number, change: Partial<TransferView> = {}): TransferView {
  return {
    id,
    fileId: String(id).repeat(64).slice(0, 64),
    name: `file-${id}.bin`,
    path: `/tmp/file-${id}.bin`,
    state: 'active',
    size: 10 * MiB,
    bytesDone: 4 * MiB,
    chunksDone: 16,
    chunkCount: 40,
    inFlight: 4,
    rate: 12.5e6,
    peers: 3,
    etaSeconds: 65,
    resumedChunks: 0,
    corrupt: 0,
    error: null,
    startedAt: 0,
    finishedAt: null,
    ...change,
  };
}

/** Chunk states from a string: '#' done, '>' in flight, '.' missing. */
export function chunks(text: string): Uint8Array {
  return Uint8Array.from(
    [...text].map((c) => (c === '#' ? CHUNK_DONE : c === '>' ? CHUNK_IN_FLIGHT : CHUNK_MISSING)),
  );
}

/** Three transfers: 1 done, 2 failed, 3 running with 16 of 40 chunks done and 4 in flight. */
export function fixture(): DownloadsData {
  return {
    transfers: [
      transfer(1, {state: 'done', bytesDone: 10 * MiB, chunksDone: 40, rate: 70.6e6, etaSeconds: null}),
      transfer(2, {
        state: 'failed',
        error: 'ENOPEER: No live peer has the 24 missing chunks',
        etaSeconds: null,
      }),
      transfer(3),
    ],
    running: new Set([3]),
    focus: {id: 3, chunks: chunks('################>>>>....................')},
  };
}
