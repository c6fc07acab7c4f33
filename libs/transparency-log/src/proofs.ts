import { HASH_SIZE, isHash, nodeHash } from './hashes';
import { consistencyRanges, inclusionRanges, LeafRange, NodeCoord, rangeNodes } from './tree-math';

/** A proof expressed as the stored nodes it needs; `assemble` turns it into hashes. */
export interface ProofPlan {
  /** One entry per proof element: the perfect subtrees whose right fold is that element. */
  elements: NodeCoord[][];
}

function plan(ranges: LeafRange[]): ProofPlan {
  return { elements: ranges.map((r) => rangeNodes(r.start, r.end)) };
}

/** The stored nodes an inclusion proof for leaf `index` in a tree of `size` leaves needs. */
export function planInclusionProof(index: number, size: number): ProofPlan {
  return plan(inclusionRanges(index, size));
}

/** The stored nodes a consistency proof between tree sizes `first` and `second` needs. */
export function planConsistencyProof(first: number, second: number): ProofPlan {
  return plan(consistencyRanges(first, second));
}

/** Every distinct node a plan needs, for one batched read. */
export function planNodes(p: ProofPlan): NodeCoord[] {
  const seen = new Map<string, NodeCoord>();
  for (const element of p.elements) {
    for (const node of element) {
      seen.set(nodeKey(node), node);
    }
  }
  return [...seen.values()];
}

export function nodeKey(node: NodeCoord): string {
  return `${node.level}/${node.index}`;
}

/** Computes the proof's hashes from the stored nodes (`get` throws or returns undefined when one is missing). */
export function assembleProof(p: ProofPlan, get: (node: NodeCoord) => Buffer | undefined): Buffer[] {
  return p.elements.map((nodes) => {
    let hash: Buffer | undefined;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const stored = get(nodes[i]);
      if (!stored || stored.length !== HASH_SIZE) {
        throw new Error(`tree node ${nodeKey(nodes[i])} is missing`);
      }
      hash = hash ? nodeHash(stored, hash) : stored;
    }
    return hash!;
  });
}

export type ProofCheck = { ok: true } | { ok: false; reason: string };

const fail = (reason: string): ProofCheck => ({ ok: false, reason });

/**
 * Verifies an inclusion proof: RFC 9162 §2.1.3.2 ("Verifying an Inclusion Proof"), which
 * accepts exactly the proofs RFC 6962's PATH produces.
 */
export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): ProofCheck {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0 || leafIndex >= treeSize) {
    return fail(`leaf index ${leafIndex} is not within a tree of size ${treeSize}`);
  }
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash)) {
    return fail('hashes must be 32 bytes');
  }
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0) {
      return fail('proof is longer than the tree is deep');
    }
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) {
    return fail('proof is shorter than the tree is deep');
  }
  if (!Buffer.from(r).equals(Buffer.from(root))) {
    return fail('proof does not lead to the root hash');
  }
  return { ok: true };
}

/**
 * Verifies a consistency proof: RFC 9162 §2.1.4.2 ("Verifying Consistency between Two Tree
 * Heads"). Sizes 0 → n and n → n need an empty proof (and, for n → n, equal roots).
 */
export function verifyConsistency(
  firstSize: number,
  secondSize: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): ProofCheck {
  if (
    !Number.isSafeInteger(firstSize) ||
    !Number.isSafeInteger(secondSize) ||
    firstSize < 0 ||
    firstSize > secondSize
  ) {
    return fail(`sizes ${firstSize} → ${secondSize} are not a valid pair`);
  }
  if (!isHash(firstRoot) || !isHash(secondRoot) || !proof.every(isHash)) {
    return fail('hashes must be 32 bytes');
  }
  if (firstSize === 0) {
    return proof.length === 0 ? { ok: true } : fail('a proof from the empty tree must be empty');
  }
  if (firstSize === secondSize) {
    if (proof.length !== 0) {
      return fail('a proof between equal sizes must be empty');
    }
    return Buffer.from(firstRoot).equals(Buffer.from(secondRoot))
      ? { ok: true }
      : fail('equal sizes but different roots');
  }
  if (proof.length === 0) {
    return fail('proof is empty');
  }
  const path: Uint8Array[] = [...proof];
  if (isPowerOfTwo(firstSize)) {
    path.unshift(firstRoot);
  }
  let fn = firstSize - 1;
  let sn = secondSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Uint8Array = path[0];
  let sr: Uint8Array = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) {
      return fail('proof is longer than expected');
    }
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) {
    return fail('proof is shorter than expected');
  }
  if (!Buffer.from(fr).equals(Buffer.from(firstRoot))) {
    return fail('proof does not reproduce the first root: the older tree is not a prefix of the newer one');
  }
  if (!Buffer.from(sr).equals(Buffer.from(secondRoot))) {
    return fail('proof does not reproduce the second root');
  }
  return { ok: true };
}

function isPowerOfTwo(n: number): boolean {
  let x = n;
  while (x > 1 && x % 2 === 0) {
    x /= 2;
  }
  return x === 1;
}
