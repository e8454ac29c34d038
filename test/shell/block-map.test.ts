// The heap scaled to cells: checked against a unit-by-unit count, and for the traces small blocks
// and holes must leave.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {MapEntry} from '../../src/kernel/index.js';
import {blockCells, cellKind, type BlockCell} from '../../src/shell/block-map.js';

/** The obvious O(total) version: walk every unit and tally it in its cell. */
function countUnits(map: readonly MapEntry[], total: number, width: number): BlockCell[] {
  const count = Math.min(width, total);
  const cells = Array.from({length: count}, () => ({
    tally: new Map<number, number>(),
    used: 0,
    free: 0,
    smallestOwner: null as number | null,
    smallestSize: Infinity,
  }));
  for (const {addr, size, owner} of map) {
    for (let unit = addr; unit < addr + size; unit++) {
      let cell = Math.floor((unit * count) / total);
      // the cell whose range [floor(i*total/n), floor((i+1)*total/n)) holds the unit
      while (Math.floor((cell * total) / count) > unit) cell--;
      while (Math.floor(((cell + 1) * total) / count) <= unit) cell++;
      const tally = cells[cell]!;
      if (owner === null) tally.free++;
      else {
        tally.used++;
        tally.tally.set(owner, (tally.tally.get(owner) ?? 0) + 1);
        if (size < tally.smallestSize) {
          tally.smallestOwner = owner;
          tally.smallestSize = size;
        }
      }
    }
  }
  return cells.map(({tally, used, free, smallestOwner}) => {
    let owner: number | null = null;
    let best = 0;
    for (const [candidate, units] of tally) {
      if (units > best) {
        owner = candidate;
        best = units;
      }
    }
    return {owner, used, free, smallestOwner};
  });
}

/** Build a map from [size, owner] pairs laid end to end. */
function layout(parts: [number, number | null][]): {map: MapEntry[]; total: number} {
  const map: MapEntry[] = [];
  let addr = 0;
  for (const [size, owner] of parts) {
    map.push({addr, size, owner});
    addr += size;
  }
  return {map, total: addr};
}

test('cells match a unit-by-unit count at every width from 1 to past the heap size', () => {
  const {map, total} = layout([
    [5, 2],
    [1, null],
    [7, 3],
    [2, 0],
    [13, null],
    [1, 4],
    [3, 2],
    [9, null],
    [4, 5],
  ]);
  for (let width = 1; width <= total + 5; width++) {
    assert.deepEqual(blockCells(map, total, width), countUnits(map, total, width), `width ${width}`);
  }
});

test('cells match a unit-by-unit count on a seeded random heap', () => {
  let seed = 7;
  const next = (limit: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % limit;
  };
  const parts: [number, number | null][] = [];
  for (let i = 0; i < 60; i++) parts.push([1 + next(40), i % 2 === 0 ? null : next(6)]);
  const {map, total} = layout(parts);
  for (const width of [1, 2, 3, 7, 38, 64, 78, 100, total - 1, total]) {
    assert.deepEqual(blockCells(map, total, width), countUnits(map, total, width), `width ${width}`);
  }
});

test('a one-unit block in a big hole still shows its owner', () => {
  const {map, total} = layout([
    [500, null],
    [1, 7],
    [523, null],
  ]);
  const cells = blockCells(map, total, 10);
  const marked = cells.filter((cell) => cell.owner !== null);
  assert.equal(marked.length, 1);
  assert.deepEqual(marked[0], {owner: 7, used: 1, free: 102, smallestOwner: 7});
  assert.equal(cellKind(marked[0]!), 'mixed');
});

test('a one-unit hole between blocks makes its cell mixed', () => {
  const {map, total} = layout([
    [500, 2],
    [1, null],
    [523, 3],
  ]);
  const kinds = blockCells(map, total, 10).map(cellKind);
  assert.deepEqual(
    kinds.filter((kind) => kind === 'mixed'),
    ['mixed'],
  );
  assert.equal(kinds.filter((kind) => kind === 'free').length, 0);
});

test('a cell goes to the owner with most units, ties to the lower address', () => {
  // cell 0 covers units 0..9: owner 2 has 3 + 3 units around owner 3's 4
  const split = layout([
    [3, 2],
    [4, 3],
    [3, 2],
  ]);
  assert.equal(blockCells(split.map, split.total, 1)[0]!.owner, 2);
  const tie = layout([
    [5, 4],
    [5, 3],
  ]);
  assert.equal(blockCells(tie.map, tie.total, 1)[0]!.owner, 4);
});

test('a small block between big ones is the smallest owner of its cell, though not the main one', () => {
  const {map, total} = layout([
    [200, 2],
    [100, 3],
    [1, 4],
    [300, 0],
    [423, null],
  ]);
  const cells = blockCells(map, total, 38);
  const withFour = cells.filter((cell) => cell.smallestOwner === 4);
  assert.equal(withFour.length, 1);
  assert.equal(withFour[0]!.owner, 0);
  assert.equal(cells.filter((cell) => cell.owner === 4).length, 0);
});

test('a heap smaller than the width gets one cell per unit', () => {
  const {map, total} = layout([
    [2, 2],
    [3, null],
    [1, 0],
  ]);
  const cells = blockCells(map, total, 80);
  assert.equal(cells.length, 6);
  assert.deepEqual(
    cells.map((cell) => cell.owner),
    [2, 2, null, null, null, 0],
  );
  assert.deepEqual(cells.map(cellKind), ['used', 'used', 'free', 'free', 'free', 'used']);
});

test('a width of zero or an empty heap gives no cells', () => {
  const {map, total} = layout([[10, null]]);
  assert.deepEqual(blockCells(map, total, 0), []);
  assert.deepEqual(blockCells([], 0, 10), []);
});

test('a heap of 2^32 units splits into exact cells', () => {
  const total = 2 ** 32;
  const map: MapEntry[] = [
    {addr: 0, size: 1, owner: 5},
    {addr: 1, size: total - 2, owner: null},
    {addr: total - 1, size: 1, owner: 6},
  ];
  const cells = blockCells(map, total, 64);
  assert.equal(cells.length, 64);
  assert.deepEqual(cells[0], {owner: 5, used: 1, free: total / 64 - 1, smallestOwner: 5});
  assert.deepEqual(cells[63], {owner: 6, used: 1, free: total / 64 - 1, smallestOwner: 6});
  assert.equal(
    cells.reduce((sum, cell) => sum + cell.used + cell.free, 0),
    total,
  );
});
