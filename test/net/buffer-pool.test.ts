// The pool of large frame bodies: exact sizes reused, only whole buffers kept, a cap on what it holds.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createBufferPool} from '../../src/net/buffer-pool.js';

test('a buffer given back is taken again for the same size, and only for that size', () => {
  const pool = createBufferPool({maxBytes: 1024});
  const first = pool.take(256);
  assert.equal(first.byteLength, 256);
  assert.equal(first.buffer.byteLength, 256, 'its ArrayBuffer is its own: transferable');
  pool.give(first);
  assert.equal(pool.heldBytes, 256);
  const other = pool.take(128);
  assert.notEqual(other.buffer, first.buffer);
  const again = pool.take(256);
  assert.equal(again.buffer, first.buffer);
  assert.equal(pool.heldBytes, 0);
});

test('views into a larger buffer, detached buffers and buffers given twice are not kept', () => {
  const pool = createBufferPool({maxBytes: 1024});
  const whole = pool.take(256);
  pool.give(whole.subarray(0, 128));
  pool.give(Buffer.allocUnsafe(16)); // from Node's shared slab: a view
  assert.equal(pool.heldBytes, 0);
  pool.give(whole);
  pool.give(whole);
  assert.equal(pool.heldBytes, 256, 'given twice, held once');
  assert.equal(pool.take(256).buffer, whole.buffer);
  assert.notEqual(pool.take(256).buffer, whole.buffer, 'not handed out twice');
  const moved = pool.take(64);
  structuredClone(moved, {transfer: [moved.buffer as ArrayBuffer]});
  pool.give(moved); // detached: length 0
  assert.equal(pool.heldBytes, 0);
});

test('the pool holds at most maxBytes; more given back is left to the garbage collector', () => {
  const pool = createBufferPool({maxBytes: 600});
  const buffers = [pool.take(256), pool.take(256), pool.take(256)];
  for (const buffer of buffers) pool.give(buffer);
  assert.equal(pool.heldBytes, 512);
});
