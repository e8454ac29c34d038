// An AVL tree of nodes ordered by (key, tie), where every subtree also knows the largest `value` in it.
// The heap keeps its holes in one of these by address (value = hole size, so "the lowest hole of at least
// n units" is one descent) and, for best fit, in another by (size, address). Deterministic; O(log n).
// Interface:
//   insert, remove, rekey, refresh, clear - change the tree, or repair it after a node changed in place
//   first, floor, lowerBound, firstWithValueAtLeast, successor, predecessor - ordered queries

import {KernelBug} from '../errors.js';

/** One entry of an OrderedTree. The caller owns key, tie, value and twin; the tree owns the rest. */
export class TreeNode {
  // the order: by key, then by tie; (key, tie) pairs are unique within a tree
  key: number;
  tie: number;
  // the augmentation: this node's value and the largest value in its subtree
  value: number;
  maxValue: number;
  // the shape, maintained by the tree
  height = 1;
  left: TreeNode | null = null;
  right: TreeNode | null = null;
  parent: TreeNode | null = null;
  /** A link for the caller: the heap points a hole's address node and its size node at each other. */
  twin: TreeNode | null = null;

  constructor(key: number, tie: number, value: number) {
    this.key = key;
    this.tie = tie;
    this.value = value;
    this.maxValue = value;
  }
}

/** An AVL tree of TreeNodes ordered by (key, tie), augmented with the largest value per subtree. */
export class OrderedTree {
  private root: TreeNode | null = null;
  private count = 0;

  /** Number of nodes in the tree. */
  get size(): number {
    return this.count;
  }

  /** The largest value of any node, or 0 when the tree is empty (values are sizes, so positive). */
  get maxValue(): number {
    return this.root === null ? 0 : this.root.maxValue;
  }

  /** Link a detached node into the tree. Its (key, tie) must not already be present. Returns the node. */
  insert(node: TreeNode): TreeNode {
    let parent: TreeNode | null = null;
    let current = this.root;
    let isLeft = false;
    while (current !== null) {
      parent = current;
      isLeft = node.key < current.key || (node.key === current.key && node.tie < current.tie);
      current = isLeft ? current.left : current.right;
    }
    node.left = null;
    node.right = null;
    node.parent = parent;
    node.height = 1;
    node.maxValue = node.value;
    if (parent === null) this.root = node;
    else if (isLeft) parent.left = node;
    else parent.right = node;
    this.count++;
    this.rebalanceUp(parent, null);
    return node;
  }

  /** Drop every node at once. The nodes keep stale links; the caller must not reuse them in this tree. */
  clear(): void {
    this.root = null;
    this.count = 0;
  }

  /** Unlink a node that is in this tree. Other nodes keep their identity (no payload is swapped). */
  remove(node: TreeNode): void {
    const {left, right, parent} = node;
    if (left !== null && right !== null) {
      // two children: the successor (leftmost of the right subtree) takes the node's place
      let successor = right;
      while (successor.left !== null) successor = successor.left;
      let lowestChanged: TreeNode = successor;
      if (successor !== right) {
        lowestChanged = successor.parent ?? successor;
        lowestChanged.left = successor.right;
        if (successor.right !== null) successor.right.parent = lowestChanged;
        successor.right = right;
        right.parent = successor;
      }
      successor.left = left;
      left.parent = successor;
      successor.parent = parent;
      this.replaceChild(parent, node, successor);
      // the ancestors' heights and maxima were computed from the removed node's, so compare against those
      successor.height = node.height;
      successor.maxValue = node.maxValue;
      this.rebalanceUp(lowestChanged, successor);
    } else {
      const child = left ?? right;
      if (child !== null) child.parent = parent;
      this.replaceChild(parent, node, child);
      this.rebalanceUp(parent, null);
    }
    node.left = null;
    node.right = null;
    node.parent = null;
    this.count--;
  }

  /**
   * Repair the augmentation above a node whose value changed, or whose key changed without passing a
   * neighbour (the caller guarantees the order still holds). O(log n); stops once nothing changes.
   */
  refresh(node: TreeNode): void {
    let current: TreeNode | null = node;
    while (current !== null) {
      const before = current.maxValue;
      updateNode(current);
      if (current.maxValue === before) return; // ancestors see the same maximum as before
      current = current.parent;
    }
  }

  /**
   * Give a node in this tree a new (key, tie), which must not already be present. In place when the node
   * still falls between its neighbours (no rebalancing needed), otherwise by remove and insert.
   */
  rekey(node: TreeNode, key: number, tie: number): void {
    const before = this.predecessor(node);
    const after = this.successor(node);
    node.key = key;
    node.tie = tie;
    if ((before === null || isBefore(before, node)) && (after === null || isBefore(node, after))) return;
    this.remove(node);
    this.insert(node);
  }

  /** The node with the smallest (key, tie), or null when the tree is empty. */
  first(): TreeNode | null {
    let current = this.root;
    if (current === null) return null;
    while (current.left !== null) current = current.left;
    return current;
  }

  /** The node with the largest key <= `key`, or null. Meant for trees whose keys are unique. */
  floor(key: number): TreeNode | null {
    let best: TreeNode | null = null;
    let current = this.root;
    while (current !== null) {
      if (current.key <= key) {
        best = current;
        current = current.right;
      } else {
        current = current.left;
      }
    }
    return best;
  }

  /** The node with the smallest (key, tie) >= (`key`, `tie`), or null. */
  lowerBound(key: number, tie: number): TreeNode | null {
    let best: TreeNode | null = null;
    let current = this.root;
    while (current !== null) {
      if (current.key > key || (current.key === key && current.tie >= tie)) {
        best = current;
        current = current.left;
      } else {
        current = current.right;
      }
    }
    return best;
  }

  /**
   * The first node in order whose key >= `fromKey` and whose value >= `minValue`, or null. O(log n):
   * the subtree maxima prune every subtree that holds no such value.
   */
  firstWithValueAtLeast(minValue: number, fromKey: number): TreeNode | null {
    return leftmostWithValue(this.root, minValue, fromKey);
  }

  /** The node after `node` in order, or null. */
  successor(node: TreeNode): TreeNode | null {
    let current = node.right;
    if (current !== null) {
      while (current.left !== null) current = current.left;
      return current;
    }
    let child = node;
    let parent = node.parent;
    while (parent !== null && parent.right === child) {
      child = parent;
      parent = parent.parent;
    }
    return parent;
  }

  /** The node before `node` in order, or null. */
  predecessor(node: TreeNode): TreeNode | null {
    let current = node.left;
    if (current !== null) {
      while (current.right !== null) current = current.right;
      return current;
    }
    let child = node;
    let parent = node.parent;
    while (parent !== null && parent.left === child) {
      child = parent;
      parent = parent.parent;
    }
    return parent;
  }

  /** Verify order, parent links, heights, AVL balance, maxima and the count. Throws KernelBug if broken. */
  checkInvariants(): void {
    if (this.root !== null && this.root.parent !== null) throw new KernelBug('Tree root has a parent.');
    const counted = checkSubtree(this.root, null, null);
    if (counted !== this.count) {
      throw new KernelBug(`Tree holds ${counted} nodes but counts ${this.count}.`);
    }
  }

  // Rebalance and recompute from `from` towards the root, stopping once a subtree comes out with the same
  // root, height and maximum as before (nothing above it can change), but not before passing `mustPass`.
  private rebalanceUp(from: TreeNode | null, mustPass: TreeNode | null): void {
    let current = from;
    let hasPassed = mustPass === null;
    while (current !== null) {
      const height = current.height;
      const maxValue = current.maxValue;
      const top = this.balance(current);
      if (current === mustPass) hasPassed = true;
      if (hasPassed && top === current && current.height === height && current.maxValue === maxValue) return;
      current = top.parent;
    }
  }

  // Restore the AVL balance at `node` after one of its subtrees changed height by at most one.
  private balance(node: TreeNode): TreeNode {
    updateNode(node);
    const left = node.left;
    const right = node.right;
    const leftHeight = left === null ? 0 : left.height;
    const rightHeight = right === null ? 0 : right.height;
    if (leftHeight > rightHeight + 1 && left !== null) {
      if (heightOf(left.left) < heightOf(left.right)) this.rotateLeft(left);
      return this.rotateRight(node);
    }
    if (rightHeight > leftHeight + 1 && right !== null) {
      if (heightOf(right.right) < heightOf(right.left)) this.rotateRight(right);
      return this.rotateLeft(node);
    }
    return node;
  }

  private rotateLeft(node: TreeNode): TreeNode {
    const pivot = node.right;
    if (pivot === null) throw new KernelBug('Left rotation needs a right child.');
    const inner = pivot.left;
    node.right = inner;
    if (inner !== null) inner.parent = node;
    pivot.parent = node.parent;
    this.replaceChild(node.parent, node, pivot);
    pivot.left = node;
    node.parent = pivot;
    updateNode(node);
    updateNode(pivot);
    return pivot;
  }

  private rotateRight(node: TreeNode): TreeNode {
    const pivot = node.left;
    if (pivot === null) throw new KernelBug('Right rotation needs a left child.');
    const inner = pivot.right;
    node.left = inner;
    if (inner !== null) inner.parent = node;
    pivot.parent = node.parent;
    this.replaceChild(node.parent, node, pivot);
    pivot.right = node;
    node.parent = pivot;
    updateNode(node);
    updateNode(pivot);
    return pivot;
  }

  private replaceChild(parent: TreeNode | null, old: TreeNode, replacement: TreeNode | null): void {
    if (parent === null) this.root = replacement;
    else if (parent.left === old) parent.left = replacement;
    else parent.right = replacement;
  }
}

function heightOf(node: TreeNode | null): number {
  return node === null ? 0 : node.height;
}

// Recompute a node's height and subtree maximum from its children.
function updateNode(node: TreeNode): void {
  const left = node.left;
  const right = node.right;
  let height = 0;
  let maxValue = node.value;
  if (left !== null) {
    height = left.height;
    if (left.maxValue > maxValue) maxValue = left.maxValue;
  }
  if (right !== null) {
    if (right.height > height) height = right.height;
    if (right.maxValue > maxValue) maxValue = right.maxValue;
  }
  node.height = height + 1;
  node.maxValue = maxValue;
}

function leftmostWithValue(node: TreeNode | null, minValue: number, fromKey: number): TreeNode | null {
  let current = node;
  while (current !== null && current.maxValue >= minValue) {
    if (current.key < fromKey) {
      current = current.right; // this node and its left subtree lie before fromKey
      continue;
    }
    const inLeft = leftmostWithValue(current.left, minValue, fromKey);
    if (inLeft !== null) return inLeft;
    if (current.value >= minValue) return current;
    current = current.right;
  }
  return null;
}

// Check a subtree whose keys must lie strictly between `low` and `high`; returns its node count.
function checkSubtree(node: TreeNode | null, low: TreeNode | null, high: TreeNode | null): number {
  if (node === null) return 0;
  if (low !== null && !isBefore(low, node)) throw new KernelBug(`Tree order broken at key ${node.key}.`);
  if (high !== null && !isBefore(node, high)) throw new KernelBug(`Tree order broken at key ${node.key}.`);
  for (const child of [node.left, node.right]) {
    if (child !== null && child.parent !== node) {
      throw new KernelBug(`Tree parent link broken below key ${node.key}.`);
    }
  }
  const count = checkSubtree(node.left, low, node) + checkSubtree(node.right, node, high) + 1;
  const leftHeight = heightOf(node.left);
  const rightHeight = heightOf(node.right);
  if (node.height !== Math.max(leftHeight, rightHeight) + 1 || Math.abs(leftHeight - rightHeight) > 1) {
    throw new KernelBug(`Tree height or balance broken at key ${node.key}.`);
  }
  const maxValue = Math.max(node.value, node.left?.maxValue ?? 0, node.right?.maxValue ?? 0);
  if (node.maxValue !== maxValue) throw new KernelBug(`Tree maximum broken at key ${node.key}.`);
  return count;
}

function isBefore(a: TreeNode, b: TreeNode): boolean {
  return a.key < b.key || (a.key === b.key && a.tie < b.tie);
}
