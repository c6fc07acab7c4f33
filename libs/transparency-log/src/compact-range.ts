import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './hashes';
import { NodeCoord, popCount } from './tree-math';

export interface StoredNode extends NodeCoord {
  hash: Buffer;
}

/**
 * The right edge of a tree: the roots of the perfect subtrees that make up its first `size`
 * leaves, largest first (one per bit set in `size`). Enough to append leaves and to compute the
 * root without reading anything else, so appends cost O(1) amortized and a verifier can stream
 * any number of leaves in O(log n) memory.
 */
export class CompactRange {
  private constructor(
    private leafCount: number,
    private readonly hashes: Buffer[],
  ) {}

  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /** Restores a range from its size and the concatenated frontier hashes (as a log stores it). */
  static fromFrontier(size: number, frontier: Uint8Array): CompactRange {
    const expected = popCount(size);
    if (frontier.length !== expected * HASH_SIZE) {
      throw new Error(
        `frontier of a ${size}-leaf tree must hold ${expected} hashes, found ${frontier.length / HASH_SIZE}`,
      );
    }
    const hashes: Buffer[] = [];
    for (let i = 0; i < expected; i++) {
      hashes.push(Buffer.from(frontier.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE)));
    }
    return new CompactRange(size, hashes);
  }

  get size(): number {
    return this.leafCount;
  }

  /** The frontier hashes concatenated, largest subtree first. */
  frontier(): Buffer {
    return Buffer.concat(this.hashes);
  }

  clone(): CompactRange {
    return new CompactRange(this.leafCount, [...this.hashes]);
  }

  /**
   * Appends a leaf hash; returns every node completed by it (the leaf itself at level 0, then
   * each parent whose subtree it completes), which is exactly what a log must store.
   */
  append(leaf: Buffer): StoredNode[] {
    if (leaf.length !== HASH_SIZE) {
      throw new TypeError('leaf hash must be 32 bytes');
    }
    let index = this.leafCount;
    let level = 0;
    let carry = leaf;
    const created: StoredNode[] = [{ level, index, hash: leaf }];
    // The subtrees on the frontier have strictly decreasing levels; a new leaf merges with the
    // smallest ones as long as they have its current level (binary carry).
    let n = this.leafCount;
    while (n % 2 === 1) {
      const left = this.hashes.pop()!;
      carry = nodeHash(left, carry);
      level += 1;
      index = Math.floor(index / 2);
      created.push({ level, index, hash: carry });
      n = Math.floor(n / 2);
    }
    this.hashes.push(carry);
    this.leafCount += 1;
    return created;
  }

  /** MTH of the first `size` leaves. */
  root(): Buffer {
    if (this.hashes.length === 0) {
      return EMPTY_ROOT;
    }
    let root = this.hashes[this.hashes.length - 1];
    for (let i = this.hashes.length - 2; i >= 0; i--) {
      root = nodeHash(this.hashes[i], root);
    }
    return root;
  }
}
