// OrderedTree: the AVL tree under the heap, checked against a sorted array after every change.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {OrderedTree, TreeNode} from '../../../src/kernel/memory/ordered-tree.js';
import {randomInt, seededRandom as mulberry32} from '../../../src/kernel/index.js';

function inOrder(tree: OrderedTree): TreeNode[] {
  const nodes: TreeNode[] = [];
  for (let node = tree.first(); node !== null; node = tree.successor(node)) nodes.push(node);
  return nodes;
}

test('random inserts and removes keep the tree ordered, balanced and its maxima right', () => {
  const random = mulberry32(7);
  const tree = new OrderedTree();
  const present = new Map<number, TreeNode>();
  for (let step = 0; step < 4000; step++) {
    const key = randomInt(random, 0, 600);
    const existing = present.get(key);
    if (existing === undefined) {
      present.set(key, tree.insert(new TreeNode(key, 0, randomInt(random, 1, 1000))));
    } else {
      tree.remove(existing);
      present.delete(key);
    }
    if (step % 97 === 0) tree.checkInvariants();
  }
  tree.checkInvariants();
  const keys = [...present.keys()].sort((a, b) => a - b);
  assert.deepEqual(
    inOrder(tree).map((node) => node.key),
    keys,
  );
  assert.equal(tree.size, keys.length);
  assert.equal(tree.maxValue, Math.max(...[...present.values()].map((node) => node.value)));
});

test('the ordered queries agree with a linear scan', () => {
  const random = mulberry32(99);
  const tree = new OrderedTree();
  for (let key = 0; key < 300; key += randomInt(random, 1, 4)) {
    tree.insert(new TreeNode(key, 0, randomInt(random, 1, 50)));
  }
  const nodes = inOrder(tree);
  for (let probe = 0; probe < 500; probe++) {
    const key = randomInt(random, -5, 305);
    const minValue = randomInt(random, 1, 55);
    const floor = nodes.filter((node) => node.key <= key).at(-1) ?? null;
    const lowerBound = nodes.find((node) => node.key >= key) ?? null;
    const fit = nodes.find((node) => node.key >= key && node.value >= minValue) ?? null;
    assert.equal(tree.floor(key), floor);
    assert.equal(tree.lowerBound(key, 0), lowerBound);
    assert.equal(tree.firstWithValueAtLeast(minValue, key), fit);
  }
});

test('ties order nodes with the same key, and lowerBound respects them', () => {
  const tree = new OrderedTree();
  for (const [key, tie] of [
    [5, 30],
    [5, 10],
    [3, 99],
    [5, 20],
    [8, 0],
  ] as const) {
    tree.insert(new TreeNode(key, tie, 0));
  }
  assert.deepEqual(
    inOrder(tree).map((node) => [node.key, node.tie]),
    [
      [3, 99],
      [5, 10],
      [5, 20],
      [5, 30],
      [8, 0],
    ],
  );
  assert.deepEqual([tree.lowerBound(5, 15)?.key, tree.lowerBound(5, 15)?.tie], [5, 20]);
  assert.deepEqual([tree.lowerBound(5, 31)?.key, tree.lowerBound(5, 31)?.tie], [8, 0]);
  assert.equal(tree.lowerBound(9, 0), null);
});

test('refresh repairs the maxima after a value changes in place', () => {
  const tree = new OrderedTree();
  const nodes = [10, 20, 30, 40, 50].map((key) => tree.insert(new TreeNode(key, 0, key)));
  const last = nodes[4];
  assert.ok(last);
  last.value = 1;
  tree.refresh(last);
  tree.checkInvariants();
  assert.equal(tree.maxValue, 40);
  assert.equal(tree.firstWithValueAtLeast(45, 0), null);
});

test('rekey moves a node in place or to its new position, keeping the order', () => {
  const random = mulberry32(5);
  const tree = new OrderedTree();
  const nodes = Array.from({length: 200}, (_, index) => tree.insert(new TreeNode(index * 10, 0, 1)));
  for (let step = 0; step < 2000; step++) {
    const node = nodes[randomInt(random, 0, nodes.length - 1)];
    assert.ok(node);
    let key = randomInt(random, 0, 1999) * 10 + randomInt(random, 1, 9);
    while (nodes.some((other) => other.key === key)) key++;
    tree.rekey(node, key, 0);
  }
  tree.checkInvariants();
  assert.deepEqual(
    inOrder(tree).map((node) => node.key),
    nodes.map((node) => node.key).sort((a, b) => a - b),
  );
});

test('predecessor walks the tree backwards and clear empties it', () => {
  const tree = new OrderedTree();
  for (const key of [40, 10, 30, 20, 50]) tree.insert(new TreeNode(key, 0, key));
  const keys: number[] = [];
  for (let node = tree.floor(1000); node !== null; node = tree.predecessor(node)) keys.push(node.key);
  assert.deepEqual(keys, [50, 40, 30, 20, 10]);
  tree.clear();
  assert.equal(tree.size, 0);
  assert.equal(tree.first(), null);
  assert.equal(tree.maxValue, 0);
});
