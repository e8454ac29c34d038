#!/usr/bin/env node
// The p2pos binary: the compiled CLI lives in dist/ (npm install builds it through `prepare`).
import('../dist/cli.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    process.stderr.write(
      'p2pos: the compiled CLI is missing; run `npm run build` (npm install does it for you).\n',
    );
    process.exit(1);
  }
  throw error;
});
