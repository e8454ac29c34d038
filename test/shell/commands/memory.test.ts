// malloc, free, fit and mem driven through the command runner, as a script would.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createTestContext, kernelState, run, runFails, runOk} from '../../support/shell-context.js';

test('malloc prints the address, size and fit, and returns them as data', async () => {
  const context = createTestContext({heapSize: 1024});
  const first = await runOk(context, 'malloc 100');
  assert.deepEqual(first.lines, ['0x00000 (100 units, first fit)']);
  assert.deepEqual(first.data, {addr: 0, size: 100, owner: 0, fit: 'first'});
  const second = await runOk(context, 'malloc 200');
  assert.deepEqual(second.lines, ['0x00064 (200 units, first fit)']);
  assert.deepEqual(second.data, {addr: 100, size: 200, owner: 0, fit: 'first'});
});

test('malloc takes K and M suffixes in powers of 1024', async () => {
  const context = createTestContext({heapSize: 4 * 1024 * 1024});
  assert.deepEqual((await runOk(context, 'malloc 4K')).data, {addr: 0, size: 4096, owner: 0, fit: 'first'});
  assert.deepEqual((await runOk(context, 'malloc 1M')).data, {
    addr: 4096,
    size: 1048576,
    owner: 0,
    fit: 'first',
  });
});

test('malloc --pid gives the block to a live process, which frees it when it exits', async () => {
  const context = createTestContext({heapSize: 1024});
  await runOk(context, 'spawn worker --burst 3');
  const {data} = await runOk(context, 'malloc 64 --pid 2');
  assert.deepEqual(data, {addr: 0, size: 64, owner: 2, fit: 'first'});
  assert.equal(context.kernel.process(2)?.memory, 64);
  await runOk(context, 'wait 2');
  assert.equal(context.kernel.memoryView().used, 0);
});

test('malloc rejects a zero, negative, malformed or oversized size and changes nothing', async () => {
  const context = createTestContext({heapSize: 1024});
  await runOk(context, 'malloc 100');
  const before = kernelState(context);
  assert.match(await runFails(context, 'malloc 0', 'EUSAGE'), /Bad size `0`.*Usage: malloc SIZE/);
  assert.match(await runFails(context, 'malloc -5', 'EUSAGE'), /Bad size `-5`/);
  assert.match(await runFails(context, 'malloc lots', 'EUSAGE'), /Bad size `lots`/);
  await runFails(context, 'malloc', 'EUSAGE');
  await runFails(context, 'malloc 1 2', 'EUSAGE');
  assert.match(await runFails(context, 'malloc 2K', 'ENOMEM'), /larger than the whole heap \(1024 units\)/);
  assert.match(
    await runFails(context, 'malloc 1000', 'ENOMEM'),
    /No hole fits 1000 units \(largest free hole is 924, first fit\)/,
  );
  assert.match(await runFails(context, 'malloc 10 --pid x', 'EUSAGE'), /Bad pid `x`/);
  assert.match(await runFails(context, 'malloc 10 --pid 9', 'ESRCH'), /Process 9 does not exist/);
  assert.deepEqual(kernelState(context), before);
});

test('free takes decimal or hex and reports what it freed', async () => {
  const context = createTestContext({heapSize: 1024});
  await runOk(context, 'malloc 100; malloc 200');
  const hex = await runOk(context, 'free 0x64');
  assert.deepEqual(hex.lines, ['freed 200 units at 0x00064']);
  assert.deepEqual(hex.data, {addr: 100, size: 200, owner: 0});
  const decimal = await runOk(context, 'free 0');
  assert.deepEqual(decimal.lines, ['freed 100 units at 0x00000']);
  assert.equal(context.kernel.memoryView().used, 0);
});

test('free refuses a double free, an address inside a block, one outside the heap and junk, changing nothing', async () => {
  const context = createTestContext({heapSize: 1024});
  await runOk(context, 'malloc 100; malloc 200; free 0');
  const before = kernelState(context);
  assert.match(await runFails(context, 'free 0', 'EFAULT'), /already free or was never allocated/);
  assert.match(await runFails(context, 'free 150', 'EFAULT'), /inside the block at 100 \(size 200\)/);
  assert.match(await runFails(context, 'free 0x400', 'EFAULT'), /outside the heap/);
  assert.match(await runFails(context, 'free 0xZZ', 'EUSAGE'), /Bad address `0xZZ`/);
  assert.match(await runFails(context, 'free -1', 'EUSAGE'), /Bad address `-1`/);
  await runFails(context, 'free', 'EUSAGE');
  assert.deepEqual(kernelState(context), before);
});

test('fit shows the policy, switches it, and later allocations follow it', async () => {
  const context = createTestContext({heapSize: 1024});
  assert.deepEqual(await runOk(context, 'fit'), {lines: ['fit: first'], data: {fit: 'first'}});
  // Holes of 100 at 0 and 50 at 300 (plus the tail): best fit picks the 50-unit hole for 40 units.
  await runOk(context, 'malloc 100; malloc 200; malloc 50; malloc 100; free 0; free 300');
  assert.deepEqual(await runOk(context, 'fit best'), {lines: ['fit: best (was first)'], data: {fit: 'best'}});
  assert.deepEqual((await runOk(context, 'malloc 40')).data, {addr: 300, size: 40, owner: 0, fit: 'best'});
  await runOk(context, 'fit worst');
  assert.deepEqual((await runOk(context, 'malloc 10')).data, {addr: 450, size: 10, owner: 0, fit: 'worst'});
  assert.deepEqual((await runOk(context, 'fit worst')).lines, ['fit: worst']);
});

test('fit rejects an unknown policy and keeps the old one', async () => {
  const context = createTestContext();
  assert.match(
    await runFails(context, 'fit lottery', 'EUSAGE'),
    /Unknown fit policy `lottery`. Expected one of: first, best, worst, next/,
  );
  await runFails(context, 'fit best worst', 'EUSAGE');
  assert.equal(context.kernel.fit, 'first');
});

test('mem prints totals and external fragmentation, with the figures as data', async () => {
  const context = createTestContext({heapSize: 1000});
  await runOk(context, 'malloc 100; malloc 100; malloc 100; free 100');
  const {lines, data} = await runOk(context, 'mem');
  assert.deepEqual(lines, [
    'total                   1000',
    'used                    200 (20%)',
    'free                    800',
    'used blocks             2',
    'free blocks             2',
    'largest free block      700',
    'external fragmentation  12.5%',
    'fit                     first',
  ]);
  assert.deepEqual(data, {
    total: 1000,
    used: 200,
    free: 800,
    usedBlocks: 2,
    freeBlocks: 2,
    largestFree: 700,
    externalFragmentation: 0.125,
    fit: 'first',
  });
});

test('mem map draws a bar per owner and lists every block and hole', async () => {
  const context = createTestContext({heapSize: 64});
  await runOk(context, 'spawn editor --burst 5');
  await runOk(context, 'malloc 16; malloc 8 --pid 2; malloc 8');
  await runOk(context, 'free 0');
  const {lines, data} = await runOk(context, 'mem map');
  assert.deepEqual(lines, [
    '[................aaaaaaaa########................................]',
    'a=pid 2  #=shell  .=free  ░=part free',
    'ADDR     END      SIZE  OWNER',
    '0x00000  0x00010    16  free',
    '0x00010  0x00018     8  2',
    '0x00018  0x00020     8  shell',
    '0x00020  0x00040    32  free',
  ]);
  assert.deepEqual(data, {
    total: 64,
    fit: 'first',
    blocks: [
      {addr: 0, size: 16, owner: null, free: true},
      {addr: 16, size: 8, owner: 2, free: false},
      {addr: 24, size: 8, owner: 0, free: false},
      {addr: 32, size: 32, owner: null, free: true},
    ],
  });
});

test('mem map still shows a block, or a hole, far smaller than one bar cell', async () => {
  const context = createTestContext({heapSize: 1024 * 1024});
  await runOk(context, 'malloc 100');
  // a cell of 16,384 units holding a 100-unit block and the rest free is part free, not free
  assert.equal((await runOk(context, 'mem map')).lines[0], `[░${'.'.repeat(63)}]`);
  await runOk(context, 'malloc 10; malloc 1048466; free 0x64');
  const {lines} = await runOk(context, 'mem map');
  // the 10-unit hole between two of the shell's blocks marks its cell, as mem counts it
  assert.equal(lines[0], `[░${'#'.repeat(63)}]`);
  assert.match((await runOk(context, 'mem')).lines.join('\n'), /free blocks\s+1$/m);
});

test('mem rejects an unknown subcommand', async () => {
  const context = createTestContext();
  assert.match(await runFails(context, 'mem holes', 'EUSAGE'), /Unknown mem subcommand `holes`/);
  const outcome = await run(context, 'mem map extra');
  assert.equal(outcome.ok, false);
});
