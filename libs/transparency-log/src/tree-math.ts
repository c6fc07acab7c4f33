/**
 * Index arithmetic of RFC 6962 trees. Node (level, index) is the root of the perfect subtree over
 * leaves [index·2^level, (index+1)·2^level). Those nodes never change once their last leaf is
 * appended, so a log can store them and answer any proof from O(log n) of them.
 *
 * Arithmetic is done with plain numbers (no 32-bit bitwise operators) so that indices up to
 * 2^53 stay exact.
 */

export interface NodeCoord {
  level: number;
  index: number;
}

export function assertSize(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer`);
  }
}

/** The largest power of two strictly less than n (n >= 2): RFC 6962's split point k. */
export function splitPoint(n: number): number {
  if (n < 2) {
    throw new RangeError('split point needs n >= 2');
  }
  let k = 1;
  while (k * 2 < n) {
    k *= 2;
  }
  return k;
}

/**
 * The perfect subtrees that make up the leaf range [start, end), largest first. For the ranges
 * that occur in RFC 6962's recursion (start aligned to a power of two at least as large as
 * the range), MTH(D[start:end]) is the right fold of these nodes with the node hash.
 */
export function rangeNodes(start: number, end: number): NodeCoord[] {
  const out: NodeCoord[] = [];
  let at = start;
  while (at < end) {
    let size = 1;
    let level = 0;
    while (at % (size * 2) === 0 && at + size * 2 <= end) {
      size *= 2;
      level += 1;
    }
    out.push({ level, index: at / size });
    at += size;
  }
  return out;
}

/** Number of perfect subtrees a tree of `size` leaves decomposes into (the bits set in size). */
export function popCount(size: number): number {
  let count = 0;
  let n = size;
  while (n > 0) {
    count += n % 2;
    n = Math.floor(n / 2);
  }
  return count;
}

/** A range of leaves whose MTH is one element of a proof. */
export interface LeafRange {
  start: number;
  end: number;
}

/**
 * The leaf ranges whose MTHs form PATH(m, D[n]) of RFC 6962 §2.1.1, deepest first.
 */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  assertSize(index, 'leaf index');
  assertSize(size, 'tree size');
  if (index >= size) {
    throw new RangeError(`leaf index ${index} is not below tree size ${size}`);
  }
  const out: LeafRange[] = [];
  let lo = 0;
  let hi = size;
  // Walk from the root down, collecting the sibling of each step; reverse at the end.
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      out.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      out.push({ start: lo, end: lo + k });
      lo = lo + k;
    }
  }
  return out.reverse();
}

/**
 * The leaf ranges whose MTHs form PROOF(m, D[n]) of RFC 6962 §2.1.2, in proof order. An empty
 * list when m = n or m = 0 (nothing to prove).
 */
export function consistencyRanges(first: number, second: number): LeafRange[] {
  assertSize(first, 'first size');
  assertSize(second, 'second size');
  if (first > second) {
    throw new RangeError(`first size ${first} exceeds second size ${second}`);
  }
  if (first === 0 || first === second) {
    return [];
  }
  const out: LeafRange[] = [];
  let lo = 0;
  let hi = second;
  let m = first;
  let complete = true;
  // SUBPROOF(m, D[lo:hi], complete), unrolled: each step appends one sibling (collected
  // top-down, so reversed at the end) until m reaches the size of the current subtree.
  for (;;) {
    const n = hi - lo;
    if (m === n) {
      if (!complete) {
        out.push({ start: lo, end: hi });
      }
      break;
    }
    const k = splitPoint(n);
    if (m <= k) {
      out.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      out.push({ start: lo, end: lo + k });
      lo = lo + k;
      m -= k;
      complete = false;
    }
  }
  // The recursion emits the deepest element first: the terminal one (if any) was pushed last.
  return out.reverse();
}
