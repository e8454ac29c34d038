import assert from 'node:assert/strict';
import {test} from 'node:test';
import {seededRandom} from '../../../src/kernel/index.js';
import {createChunkPicker, type ChunkPicker} from '../../../src/net/files/picker.js';

/** A have-bitmap (transfer-store's layout) of `count` chunks holding `indexes`. */
function bitmap(count: number, indexes: Iterable<number>): Uint8Array {
  const bits = new Uint8Array(Math.ceil(count / 8));
  for (const index of indexes) bits[index >> 3]! |= 1 << (index & 7);
  return bits;
}

function range(start: number, end: number): number[] {
  return Array.from({length: end - start}, (_, offset) => start + offset);
}

/** Every chunk this peer is given right now, in order, until next() says undefined. */
function drain(picker: ChunkPicker, peerId: string): number[] {
  const picked: number[] = [];
  for (let index = picker.next(peerId); index !== undefined; index = picker.next(peerId)) picked.push(index);
  return picked;
}

test('every chunk is fetched exactly once when endgame is off', () => {
  const picker = createChunkPicker({chunkCount: 500, endgameCopies: 1, random: seededRandom(7)});
  picker.addPeer('a', 'all');
  picker.addPeer('b', 'all');
  picker.addPeer('c', bitmap(500, range(0, 250)));
  const fetched = new Map<number, number>();
  while (!picker.isComplete()) {
    const round = ['a', 'b', 'c'].flatMap((peer) =>
      drain(picker, peer).map((index) => [peer, index] as const),
    );
    assert.ok(round.length > 0, 'no peer was given a chunk before the end');
    for (const [peer, index] of round) {
      fetched.set(index, (fetched.get(index) ?? 0) + 1);
      assert.deepEqual(picker.done(peer, index, 1000, 1), []);
    }
  }
  assert.equal(fetched.size, 500);
  assert.ok([...fetched.values()].every((times) => times === 1));
  assert.deepEqual(
    {...picker.stats(), peers: undefined},
    {missing: 0, inFlight: 0, done: 500, peers: undefined},
  );
});

test('the rarest chunk goes first: the chunk only one peer has', () => {
  const picker = createChunkPicker({chunkCount: 64, random: seededRandom(1)});
  picker.addPeer('a', bitmap(64, range(0, 64)));
  picker.addPeer(
    'b',
    bitmap(
      64,
      range(0, 64).filter((index) => index !== 41),
    ),
  );
  picker.addPeer(
    'c',
    bitmap(
      64,
      range(0, 64).filter((index) => index !== 41),
    ),
  );
  assert.equal(picker.next('a'), 41);
  // Seeders count for every chunk alike, so the order among partial holders is kept.
  const withSeeder = createChunkPicker({chunkCount: 64, random: seededRandom(2)});
  withSeeder.addPeer('seed', 'all');
  withSeeder.addPeer(
    'p',
    bitmap(
      64,
      range(0, 64).filter((index) => index !== 9),
    ),
  );
  assert.equal(withSeeder.next('seed'), 9);
});

test('ties are broken at random, so peers do not all start at chunk 0', () => {
  const picker = createChunkPicker({chunkCount: 1000, random: seededRandom(3)});
  for (const peer of ['a', 'b', 'c']) picker.addPeer(peer, 'all');
  const first = ['a', 'b', 'c'].map((peer) => picker.next(peer)!);
  assert.equal(new Set(first).size, 3);
  assert.ok(
    first.some((index) => index > 10),
    `first picks ${first.join(', ')}`,
  );
});

test('a peer never has more than maxInFlightPerPeer requests in flight', () => {
  const picker = createChunkPicker({chunkCount: 100, maxInFlightPerPeer: 5, random: seededRandom(4)});
  picker.addPeer('a', 'all');
  const first = drain(picker, 'a');
  assert.equal(first.length, 5);
  assert.equal(picker.stats().peers[0]!.inFlight, 5);
  picker.done('a', first[0]!, 10, 1);
  assert.equal(drain(picker, 'a').length, 1);
});

test('a partial holder gets only chunks it has, and updateHave makes new ones available', () => {
  const picker = createChunkPicker({chunkCount: 1000, maxInFlightPerPeer: 1000, random: seededRandom(5)});
  const has = [3, 500, 999];
  picker.addPeer('p', bitmap(1000, has));
  const picked = drain(picker, 'p');
  assert.deepEqual(
    [...picked].sort((a, b) => a - b),
    has,
  );
  picker.updateHave('p', 42);
  assert.equal(picker.next('p'), 42);
  assert.equal(picker.next('p'), undefined);
});

test('a peer removed mid-download returns its chunks, and they go to the others', () => {
  const picker = createChunkPicker({chunkCount: 20, maxInFlightPerPeer: 4, random: seededRandom(6)});
  picker.addPeer('gone', 'all');
  picker.addPeer('stays', bitmap(20, range(0, 20)));
  const taken = drain(picker, 'gone');
  assert.equal(taken.length, 4);
  assert.deepEqual(picker.removePeer('gone').sort(), [...taken].sort());
  assert.equal(picker.stats().inFlight, 0);
  const again = new Set<number>();
  while (!picker.isComplete())
    for (const index of drain(picker, 'stays')) {
      again.add(index);
      picker.done('stays', index, 1, 1);
    }
  for (const index of taken) assert.ok(again.has(index), `chunk ${index} was not fetched again`);
});

test('a corrupt chunk is fetched again from another peer; maxStrikes corrupt chunks get a peer avoided', () => {
  const picker = createChunkPicker({
    chunkCount: 10,
    maxInFlightPerPeer: 10,
    maxStrikes: 2,
    random: seededRandom(8),
  });
  picker.addPeer('bad', 'all');
  const taken = drain(picker, 'bad');
  assert.equal(taken.length, 10);
  assert.deepEqual(picker.failed('bad', taken[0]!, 'corrupt'), []);
  // Only the good peer is given the corrupt chunk again.
  assert.equal(picker.next('bad'), undefined, 'the bad peer has all the other chunks in flight');
  picker.addPeer('good', 'all');
  assert.equal(picker.next('good'), taken[0]);
  // 'error' and 'timeout' are no strikes.
  picker.failed('bad', taken[1]!, 'timeout');
  assert.equal(picker.stats().peers[0]!.strikes, 1);
  const cancel = picker.failed('bad', taken[2]!, 'corrupt');
  assert.deepEqual(cancel.sort(), taken.slice(3).sort());
  const bad = picker.stats().peers.find((peer) => peer.id === 'bad')!;
  assert.deepEqual(bad, {id: 'bad', inFlight: 0, speed: 0, strikes: 2, avoided: true});
  assert.equal(picker.next('bad'), undefined);
  assert.deepEqual(picker.peerRanking(), ['good']);
  picker.done('good', taken[0]!, 1, 1);
  while (!picker.isComplete()) for (const index of drain(picker, 'good')) picker.done('good', index, 1, 1);
});

test('a corrupt chunk is not handed back to the peer that sent it, even if it is the only other source', () => {
  const picker = createChunkPicker({chunkCount: 4, random: seededRandom(9)});
  picker.addPeer('p', bitmap(4, [0, 1]));
  const first = picker.next('p')!;
  picker.failed('p', first, 'corrupt');
  assert.deepEqual(drain(picker, 'p'), [1 - first]);
});

test('endgame duplicates only once everything missing is in flight, and done() names the copies to cancel', () => {
  const picker = createChunkPicker({chunkCount: 6, maxInFlightPerPeer: 4, random: seededRandom(10)});
  picker.addPeer('slow', 'all');
  picker.addPeer('fast', 'all');
  const slow = drain(picker, 'slow');
  assert.equal(slow.length, 4);
  picker.done('slow', slow[3]!, 100, 100); // slow: 1 byte/ms
  const fast = [picker.next('fast')!, picker.next('fast')!];
  // Chunks 6 - 1 done - 3 slow - 2 fast: nothing free is left, so fast now copies slow's oldest request.
  assert.equal(picker.stats().missing, 0);
  picker.done('fast', fast[0]!, 100, 1); // fast: 100 bytes/ms
  const copy = picker.next('fast')!;
  assert.equal(copy, slow[0]);
  assert.deepEqual(picker.peerRanking(), ['fast', 'slow']);
  // At most endgameCopies (2) fetchers: slow[0] is taken, so the next copy is slow[1].
  assert.equal(picker.next('fast'), slow[1]);
  assert.deepEqual(picker.done('fast', copy, 100, 1), ['slow']);
  assert.equal(picker.stats().peers.find((peer) => peer.id === 'slow')!.inFlight, 2);
  // The loser's late answer is harmless.
  assert.deepEqual(picker.done('slow', copy, 100, 100), []);
  assert.equal(picker.stats().done, 3);
});

test('no duplicates while some fetchable chunk is still missing', () => {
  const picker = createChunkPicker({chunkCount: 8, maxInFlightPerPeer: 8, random: seededRandom(11)});
  picker.addPeer('a', bitmap(8, range(0, 4)));
  picker.addPeer('b', bitmap(8, range(4, 8)));
  assert.equal(drain(picker, 'a').length, 4);
  // b's chunks are free, and a cannot fetch them: a gets no copy of its own chunks or anyone's.
  assert.equal(picker.next('a'), undefined);
  assert.equal(drain(picker, 'b').length, 4);
  assert.equal(picker.next('a'), undefined, 'a has none of the chunks b is fetching');
});

test('a resume fetches only the chunks not yet verified', () => {
  const count = 100;
  for (const verified of [new Set(range(0, 90)), bitmap(count, range(0, 90))]) {
    const picker = createChunkPicker({
      chunkCount: count,
      verified,
      maxInFlightPerPeer: 100,
      random: seededRandom(12),
    });
    picker.addPeer('a', 'all');
    assert.deepEqual(
      drain(picker, 'a').sort((a, b) => a - b),
      range(90, 100),
    );
    assert.equal(picker.stats().done, 90);
  }
  const whole = createChunkPicker({chunkCount: 3, verified: new Set([0, 1, 2])});
  whole.addPeer('a', 'all');
  assert.ok(whole.isComplete());
  assert.equal(whole.next('a'), undefined);
});

test('bad arguments are refused with EINVAL naming the value', () => {
  assert.throws(() => createChunkPicker({chunkCount: -1}), {code: 'EINVAL', message: /chunkCount.*-1/});
  assert.throws(() => createChunkPicker({chunkCount: 4, maxInFlightPerPeer: 0}), {code: 'EINVAL'});
  const picker = createChunkPicker({chunkCount: 4});
  picker.addPeer('a', 'all');
  assert.throws(() => picker.addPeer('a', 'all'), {code: 'EINVAL', message: /"a"/});
  assert.throws(() => picker.done('a', 4, 1, 1), {
    code: 'EINVAL',
    message: /Chunk 4 does not exist; expected 0 to 3/,
  });
});

test('simulated swarm: three peers of different speeds finish the file, the fast one doing most of it', () => {
  const count = 300;
  const chunkBytes = 1000;
  const speeds = new Map([
    ['fast', 10], // bytes per ms
    ['medium', 3],
    ['slow', 1],
  ]);
  const picker = createChunkPicker({chunkCount: count, random: seededRandom(13)});
  for (const peer of speeds.keys()) picker.addPeer(peer, 'all');
  // A peer serves its requests one after another; an event is a request finishing.
  interface Finish {
    at: number;
    peer: string;
    index: number;
    started: number;
  }
  const events: Finish[] = [];
  const busyUntil = new Map([...speeds.keys()].map((peer) => [peer, 0]));
  const canceled = new Set<string>();
  const served = new Map([...speeds.keys()].map((peer) => [peer, 0]));
  let now = 0;
  const request = (peer: string) => {
    for (let index = picker.next(peer); index !== undefined; index = picker.next(peer)) {
      const at = Math.max(now, busyUntil.get(peer)!) + chunkBytes / speeds.get(peer)!;
      busyUntil.set(peer, at);
      events.push({at, peer, index, started: now});
    }
  };
  for (const peer of speeds.keys()) request(peer);
  while (events.length > 0) {
    events.sort((a, b) => a.at - b.at);
    const {at, peer, index, started} = events.shift()!;
    now = at;
    if (canceled.delete(`${peer}:${index}`)) continue;
    served.set(peer, served.get(peer)! + 1);
    for (const other of picker.done(peer, index, chunkBytes, at - started)) canceled.add(`${other}:${index}`);
    for (const other of picker.peerRanking()) request(other);
  }
  assert.ok(picker.isComplete());
  assert.equal([...served.values()].reduce((sum, n) => sum + n, 0) - canceled.size, count);
  assert.ok(served.get('fast')! > count / 2, `fast served ${served.get('fast')} of ${count}`);
  assert.ok(served.get('fast')! > served.get('medium')! && served.get('medium')! > served.get('slow')!);
  assert.deepEqual(picker.peerRanking(), ['fast', 'medium', 'slow']);
});

test('random churn keeps the invariants and still finishes the file', () => {
  const count = 200;
  const random = seededRandom(14);
  const picker = createChunkPicker({
    chunkCount: count,
    maxInFlightPerPeer: 3,
    maxStrikes: 4,
    random: seededRandom(15),
  });
  const haves = new Map<string, Set<number> | 'all'>();
  const flying = new Map<number, Set<string>>();
  let added = 0;
  const add = () => {
    const id = `peer${added++}`;
    const have = random() < 0.3 ? 'all' : new Set(range(0, count).filter(() => random() < 0.4));
    haves.set(id, have);
    picker.addPeer(id, have === 'all' ? 'all' : bitmap(count, have));
  };
  const forget = (id: string, indexes: number[]) => {
    for (const index of indexes) flying.get(index)?.delete(id);
  };
  for (let step = 0; step < 20_000 && !picker.isComplete(); step += 1) {
    if (haves.size < 3 || random() < 0.01) add();
    const ids = [...haves.keys()];
    const id = ids[Math.floor(random() * ids.length)]!;
    const roll = random();
    if (roll < 0.01 && haves.size > 3) {
      forget(id, picker.removePeer(id));
      haves.delete(id);
    } else if (roll < 0.05) {
      const have = haves.get(id)!;
      const index = Math.floor(random() * count);
      if (have !== 'all') have.add(index);
      picker.updateHave(id, index);
    } else if (roll < 0.5) {
      const index = picker.next(id);
      if (index === undefined) continue;
      const have = haves.get(id)!;
      assert.ok(have === 'all' || have.has(index), `${id} was given chunk ${index}, which it lacks`);
      const fetchers = flying.get(index) ?? new Set();
      assert.ok(!fetchers.has(id), `${id} was given chunk ${index} twice`);
      fetchers.add(id);
      flying.set(index, fetchers);
      assert.ok(fetchers.size <= 2, `chunk ${index} has ${fetchers.size} fetchers`);
    } else {
      const mine = [...flying].filter(([, fetchers]) => fetchers.has(id)).map(([index]) => index);
      const index = mine[Math.floor(random() * mine.length)];
      if (index === undefined) continue;
      if (random() < 0.9) {
        const others = picker.done(id, index, 100, 1 + random() * 10);
        assert.deepEqual(others.sort(), [...flying.get(index)!].filter((other) => other !== id).sort());
        flying.delete(index);
      } else {
        flying.get(index)!.delete(id);
        forget(id, picker.failed(id, index, random() < 0.5 ? 'corrupt' : 'error'));
      }
    }
    const stats = picker.stats();
    assert.equal(stats.missing + stats.inFlight + stats.done, count);
    assert.equal(stats.inFlight, [...flying.values()].filter((fetchers) => fetchers.size > 0).length);
    for (const peer of stats.peers) assert.ok(peer.inFlight <= 3);
  }
  assert.ok(picker.isComplete(), `stopped at ${JSON.stringify({...picker.stats(), peers: undefined})}`);
});
