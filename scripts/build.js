// Bundle the CLI into dist/ so the shipped binary runs plain JavaScript: no transpiling and few
// module lookups at start-up. The console (Ink, React, yoga) is a separate chunk, loaded only on a
// terminal, so scripts never pay for it; bundled, Ink loads in about half the time it takes from
// node_modules. better-sqlite3 stays external: it is a native addon, loaded lazily by the history
// store. react-devtools-core is Ink's optional debugging hook (DEV=true), not shipped. The sandbox
// host (src/net/sandbox/host.ts) is a second entry: a child process that loads isolated-vm, a native
// addon kept external like better-sqlite3.

import {build} from 'esbuild';
import {rmSync} from 'node:fs';

rmSync(new URL('../dist', import.meta.url), {recursive: true, force: true});
await build({
  entryPoints: {
    cli: 'src/cli.ts',
    'sandbox-host': 'src/net/sandbox/host.ts',
    'history-writer': 'src/shell/history-writer.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'isolated-vm', 'react-devtools-core'],
  jsx: 'automatic',
  // React picks its production build from NODE_ENV; without this the console runs React's dev checks.
  define: {'process.env.NODE_ENV': '"production"'},
  // Some of Ink's CommonJS dependencies (signal-exit) require() Node built-ins, which an ESM bundle
  // cannot do unless each file has a require of its own.
  banner: {js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);"},
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
