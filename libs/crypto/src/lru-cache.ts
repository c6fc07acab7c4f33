/**
 * A bounded least-recently-used cache whose entries also expire after a fixed time. Small on
 * purpose: a Map keeps insertion order, and a hit re-inserts the entry at the end.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, { value: V; expiresAt: number }>();

  constructor(
    readonly maxEntries: number,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError('maxEntries must be a positive integer');
    }
    if (!(ttlMs > 0)) {
      throw new RangeError('ttlMs must be positive');
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      return undefined;
    }
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) {
      return undefined;
    }
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as K);
    }
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  /** Drops every entry whose key matches, e.g. all versions of one tenant. */
  deleteWhere(predicate: (key: K) => boolean): number {
    let deleted = 0;
    for (const key of [...this.entries.keys()]) {
      if (predicate(key)) {
        this.entries.delete(key);
        deleted++;
      }
    }
    return deleted;
  }

  /** Drops every entry whose value matches. */
  deleteWhereValue(predicate: (value: V) => boolean): number {
    let deleted = 0;
    for (const [key, entry] of [...this.entries]) {
      if (predicate(entry.value)) {
        this.entries.delete(key);
        deleted++;
      }
    }
    return deleted;
  }

  clear(): void {
    this.entries.clear();
  }
}
