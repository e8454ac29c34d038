// Bundle the CLI into dist/ so the shipped binary runs plain JavaScript: no transpiling and few
// module lookups at start-up. The interactive shell is a separate chunk, loaded only on a terminal.
// better-sqlite3 stays external: it is a native addon, loaded lazily by the history store.

import {build} from 'esbuild';
import {rmSync} from 'node:fs';

rmSync(new URL('../dist', import.meta.url), {recursive: true, force: true});
await build({
  entryPoints: {cli: 'src/cli.ts'},
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3'],
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
