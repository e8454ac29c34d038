// OrderedTree: the AVL tree under the heap, checked against a sorted array after every change.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {OrderedTree, TreeNode} from '../../../src/kernel/memory/ordered-tree.js';
import {mulberry32, randomInt} from '../../support/mulberry32.js';

function inOrder(tree: OrderedTree<null>): Array<TreeNode<null>> {
  const nodes: Array<TreeNode<null>> = [];
  for (let node = tree.first(); node !== null; node = tree.successor(node)) nodes.push(node);
  return nodes;
}

test('random inserts and removes keep the tree ordered, balanced and its maxima right', () => {
  const random = mulberry32(7);
  const tree = new OrderedTree<null>();
  const present = new Map<number, TreeNode<null>>();
  for (let step = 0; step < 4000; step++) {
    const key = randomInt(random, 0, 600);
    const existing = present.get(key);
    if (existing === undefined) {
      present.set(key, tree.insert(new TreeNode(key, 0, randomInt(random, 1, 1000), null)));
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
  const tree = new OrderedTree<null>();
  for (let key = 0; key < 300; key += randomInt(random, 1, 4)) {
    tree.insert(new TreeNode(key, 0, randomInt(random, 1, 50), null));
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
  const tree = new OrderedTree<null>();
  for (const [key, tie] of [
    [5, 30],
    [5, 10],
    [3, 99],
    [5, 20],
    [8, 0],
  ] as const) {
    tree.insert(new TreeNode(key, tie, 0, null));
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
  const tree = new OrderedTree<null>();
  const nodes = [10, 20, 30, 40, 50].map((key) => tree.insert(new TreeNode(key, 0, key, null)));
  const last = nodes[4];
  assert.ok(last);
  last.value = 1;
  tree.refresh(last);
  tree.checkInvariants();
  assert.equal(tree.maxValue, 40);
  assert.equal(tree.firstWithValueAtLeast(45, 0), null);
});
