// A bounded map that forgets its least recently used entry: the host's caches (warm contexts, code it
// has compiled) use it so a stream of distinct tasks cannot grow them without limit.

export class LruMap<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #capacity: number;
  readonly #onEvict: ((value: V, key: K) => void) | undefined;

  /** `onEvict` is called for each entry pushed out by set() or removed by clear(), not by delete(). */
  constructor(capacity: number, onEvict?: (value: V, key: K) => void) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`LRU capacity ${capacity} is not a positive whole number.`);
    this.#capacity = capacity;
    this.#onEvict = onEvict;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value for `key`, which becomes the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Store `value` as the most recently used, evicting the least recently used entry when full. */
  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size <= this.#capacity) return;
    const [oldestKey, oldest] = this.#entries.entries().next().value as [K, V];
    this.#entries.delete(oldestKey);
    this.#onEvict?.(oldest, oldestKey);
  }

  /** Remove `key` without calling onEvict (the caller disposes of the value). */
  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  /** Remove every entry whose value matches, calling onEvict for each. */
  evictWhere(matches: (value: V, key: K) => boolean): void {
    for (const [key, value] of [...this.#entries]) {
      if (!matches(value, key)) continue;
      this.#entries.delete(key);
      this.#onEvict?.(value, key);
    }
  }

  /** Remove every entry, calling onEvict for each. */
  clear(): void {
    this.evictWhere(() => true);
  }
}
