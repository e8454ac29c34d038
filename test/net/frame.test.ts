import assert from 'node:assert/strict';
import {test} from 'node:test';
import {bodyBuffers, POOLED_BODY_BYTES} from '../../src/net/buffer-pool.js';
import {ProtocolError} from '../../src/net/errors.js';
import {
  encodeFrame,
  FrameDecoder,
  MAX_BODY_BYTES,
  MAX_HEADER_BYTES,
  type Frame,
} from '../../src/net/frame.js';

const frames = [
  encodeFrame({type: 'HELLO', version: 1, peerId: 'p-1'}),
  encodeFrame({type: 'CHUNK', fileId: 'f', index: 0}, Buffer.from([0, 1, 2, 255, 254])),
  encodeFrame({type: 'PEERS', peers: [{id: 'ä', port: 9000}]}),
];
const stream = Buffer.concat(frames);

function decodeAll(chunks: readonly Buffer[]): Frame[] {
  const decoder = new FrameDecoder();
  const out = chunks.flatMap((chunk) => decoder.push(chunk));
  assert.equal(decoder.buffered, 0, 'nothing left over');
  return out;
}

function split(buffer: Buffer, at: readonly number[]): Buffer[] {
  const cuts = [0, ...at, buffer.length];
  return cuts.slice(1).map((end, i) => buffer.subarray(cuts[i], end));
}

const expected = [
  {header: {type: 'HELLO', version: 1, peerId: 'p-1'}, body: Buffer.alloc(0)},
  {header: {type: 'CHUNK', fileId: 'f', index: 0, bodyBytes: 5}, body: Buffer.from([0, 1, 2, 255, 254])},
  {header: {type: 'PEERS', peers: [{id: 'ä', port: 9000}]}, body: Buffer.alloc(0)},
];

test('frames decode the same whole, byte by byte, and split mid-header', () => {
  assert.deepEqual(decodeAll([stream]), expected);
  assert.deepEqual(decodeAll([...stream].map((byte) => Buffer.from([byte]))), expected);
  assert.deepEqual(decodeAll(split(stream, [2, 3, 9, frames[0]!.length + 1])), expected);
  assert.deepEqual(decodeAll(split(stream, [frames[0]!.length + frames[1]!.length - 2])), expected);
});

test('a frame with a body is one buffer whose header names the body length', () => {
  const frame = encodeFrame({type: 'X'}, Buffer.from('abc'));
  const headerLength = frame.readUInt32BE(0);
  assert.deepEqual(JSON.parse(frame.subarray(4, 4 + headerLength).toString()), {type: 'X', bodyBytes: 3});
  assert.equal(frame.subarray(4 + headerLength).toString(), 'abc');
});

test('a header that is not a JSON object is a frame error', () => {
  for (const text of ['not json', '[1,2]', '"text"', 'null']) {
    const json = Buffer.from(text);
    const bytes = Buffer.concat([Buffer.from([0, 0, 0, json.length]), json]);
    assert.throws(
      () => new FrameDecoder().push(bytes),
      (error: ProtocolError) => error instanceof ProtocolError && error.code === 'EFRAME',
      text,
    );
  }
});

test('an empty header, a bad bodyBytes and an oversized length are refused before buffering', () => {
  const cases: [Buffer, string][] = [
    [Buffer.from([0, 0, 0, 0]), 'EFRAME'],
    [Buffer.from([0xff, 0xff, 0xff, 0xff]), 'E2BIG'],
    [encodeFrame({type: 'X', bodyBytes: -1}), 'EFRAME'],
    [encodeFrame({type: 'X', bodyBytes: 1.5}), 'EFRAME'],
    [encodeFrame({type: 'X', bodyBytes: MAX_BODY_BYTES + 1}), 'E2BIG'],
  ];
  for (const [bytes, code] of cases) {
    assert.throws(
      () => new FrameDecoder().push(bytes),
      (error: ProtocolError) => error.code === code,
      bytes.subarray(0, 40).toString('hex'),
    );
  }
  assert.ok(MAX_HEADER_BYTES < 0xffffffff);
});

test('after an error the decoder refuses more input, so the connection gets closed', () => {
  const decoder = new FrameDecoder();
  assert.throws(() => decoder.push(Buffer.from([0, 0, 0, 0])));
  assert.throws(() => decoder.push(encodeFrame({type: 'HELLO'})), /already failed/);
});

test('encodeFrame refuses a body over the limit', () => {
  assert.throws(
    () => encodeFrame({type: 'X'}, Buffer.alloc(MAX_BODY_BYTES + 1)),
    (error: ProtocolError) => error.code === 'E2BIG',
  );
});

test('transient pushes (a reader that reuses its buffer) still give intact frames and bodies', () => {
  const big = Buffer.alloc(POOLED_BODY_BYTES + 1000, 7);
  big.write('end', big.length - 3);
  const input = Buffer.concat([...frames, encodeFrame({type: 'CHUNK', index: 1}, big), ...frames]);
  for (const size of [1, 5, 64, 4096, 70_000]) {
    const decoder = new FrameDecoder();
    const reused = Buffer.alloc(size);
    const out: Frame[] = [];
    for (let at = 0; at < input.length; at += size) {
      const length = input.copy(reused, 0, at, at + size);
      out.push(...decoder.push(reused.subarray(0, length), true));
      reused.fill(0xee); // what the socket's next read would do to it
    }
    assert.equal(decoder.buffered, 0);
    assert.equal(out.length, 7, `read size ${size}`);
    assert.deepEqual(out.slice(0, 3), expected);
    assert.deepEqual(out.slice(4), expected);
    assert.deepEqual(out[3]!.body, big, `read size ${size}`);
    assert.equal(out[3]!.body.buffer.byteLength, big.length, 'a large body has a pooled buffer of its own');
    bodyBuffers.give(out[3]!.body);
  }
});
