// npm run bench: every performance figure of p2pos, as a table, and with --json as one JSON
// object on the last line ({key: value}); keys are stable, scripts read them.

import {allocSection} from './alloc.js';
import {cliSection} from './cli.js';
import {consoleSection} from './console.js';
import type {Figure, Section} from './figure.js';
import {downloadsSection} from './downloads.js';
import {filesSection} from './files.js';
import {netSection} from './net.js';
import {benchSandbox} from './sandbox.js';
import {schedulerSection} from './scheduler.js';

const sections: [string, Section][] = [
  ['scheduler', schedulerSection],
  ['allocator', allocSection],
  ['script mode and start-up', cliSection],
  ['console', consoleSection],
  ['sandbox', benchSandbox],
  ['net', netSection],
  ['files', filesSection],
  ['files: downloads', downloadsSection],
];

const isJson = process.argv.includes('--json');
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const figures: Figure[] = [];
for (const [name, section] of sections) {
  if (only && !name.startsWith(only)) continue;
  process.stderr.write(`bench: ${name}…\n`);
  figures.push(...(await section()));
}

const keyWidth = Math.max(...figures.map((f) => f.key.length));
const shown = (value: number | null) => (value === null ? '-' : value.toLocaleString('en-US'));
const valueWidth = Math.max(...figures.map((f) => shown(f.value).length));
for (const figure of figures) {
  const verdict =
    figure.met === undefined
      ? ''
      : figure.met
        ? `  ok (target ${figure.target})`
        : `  MISSED (target ${figure.target})`;
  console.log(
    `${figure.key.padEnd(keyWidth)}  ${shown(figure.value).padStart(valueWidth)} ${figure.unit.padEnd(7)}  ${figure.label}${verdict}`,
  );
}
if (isJson) console.log(JSON.stringify(Object.fromEntries(figures.map((f) => [f.key, f.value]))));
