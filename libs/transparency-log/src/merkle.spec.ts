import { createHash } from 'node:crypto';
import { CompactRange, StoredNode } from './compact-range';
import { EMPTY_ROOT, leafHash, nodeHash } from './hashes';
import {
  assembleProof,
  nodeKey,
  planConsistencyProof,
  planInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from './proofs';

/*
 * An independent reference written straight from the definitions in RFC 6962 §2.1 (MTH, PATH,
 * PROOF/SUBPROOF), recursive and slow on purpose, sharing no code with the library: the
 * library's stored-node proofs and its RFC 9162 verifiers are checked against it for every
 * (m, n) pair up to 64, and both against the published certificate-transparency vectors.
 */
const sha256 = (...parts: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
const refLeaf = (d: Buffer): Buffer => sha256(Buffer.from([0]), d);
const refNode = (l: Buffer, r: Buffer): Buffer => sha256(Buffer.from([1]), l, r);
const k = (n: number): number => 2 ** Math.ceil(Math.log2(n) - 1);

function MTH(D: Buffer[]): Buffer {
  if (D.length === 0) {
    return sha256();
  }
  if (D.length === 1) {
    return refLeaf(D[0]);
  }
  return refNode(MTH(D.slice(0, k(D.length))), MTH(D.slice(k(D.length))));
}

function PATH(m: number, D: Buffer[]): Buffer[] {
  if (D.length === 1) {
    return [];
  }
  const split = k(D.length);
  return m < split
    ? [...PATH(m, D.slice(0, split)), MTH(D.slice(split))]
    : [...PATH(m - split, D.slice(split)), MTH(D.slice(0, split))];
}

function SUBPROOF(m: number, D: Buffer[], b: boolean): Buffer[] {
  if (m === D.length) {
    return b ? [] : [MTH(D)];
  }
  const split = k(D.length);
  return m <= split
    ? [...SUBPROOF(m, D.slice(0, split), b), MTH(D.slice(split))]
    : [...SUBPROOF(m - split, D.slice(split), false), MTH(D.slice(0, split))];
}

const PROOF = (m: number, D: Buffer[]): Buffer[] => SUBPROOF(m, D, true);

// Published RFC 6962 test vectors (certificate-transparency reference implementation).
const hex = (b: Buffer): string => b.toString('hex');
const CT_DATA = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => Buffer.from(h, 'hex'));
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_INCLUSION: Array<[number, number, string[]]> = [
  [0, 1, []],
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    1,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];
const CT_CONSISTENCY: Array<[number, number, string[]]> = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];

/** A tree held as the library stores it: every node completed by an append, keyed by (level, index). */
class StoredTree {
  readonly range = CompactRange.empty();
  readonly nodes = new Map<string, Buffer>();
  readonly roots: Buffer[] = [EMPTY_ROOT];
  constructor(data: Buffer[]) {
    for (const d of data) {
      this.range.append(leafHash(d)).forEach((n: StoredNode) => this.nodes.set(nodeKey(n), n.hash));
      this.roots.push(this.range.root());
    }
  }
  inclusion(m: number, n: number): Buffer[] {
    return assembleProof(planInclusionProof(m, n), (c) => this.nodes.get(nodeKey(c)));
  }
  consistency(m: number, n: number): Buffer[] {
    return assembleProof(planConsistencyProof(m, n), (c) => this.nodes.get(nodeKey(c)));
  }
}

describe('RFC 6962 Merkle tree', () => {
  const ct = new StoredTree(CT_DATA);

  it('hashes leaves and nodes with the 0x00 / 0x01 prefixes', () => {
    expect(hex(EMPTY_ROOT)).toBe(CT_ROOTS[0]);
    expect(hex(leafHash(Buffer.alloc(0)))).toBe(CT_ROOTS[1]);
    const [a, b] = [leafHash(Buffer.from('a')), leafHash(Buffer.from('b'))];
    expect(nodeHash(a, b)).toEqual(sha256(Buffer.from([1]), a, b));
  });

  it('reproduces the published roots for sizes 0..8, as does the reference', () => {
    for (let n = 0; n <= 8; n++) {
      expect(hex(ct.roots[n])).toBe(CT_ROOTS[n]);
      expect(hex(MTH(CT_DATA.slice(0, n)))).toBe(CT_ROOTS[n]);
    }
  });

  it.each(CT_INCLUSION)('inclusion proof for leaf %i of %i matches the published vector', (m, n, expected) => {
    expect(ct.inclusion(m, n).map(hex)).toEqual(expected);
    expect(PATH(m, CT_DATA.slice(0, n)).map(hex)).toEqual(expected);
    const proof = expected.map((h) => Buffer.from(h, 'hex'));
    expect(verifyInclusion(m, n, leafHash(CT_DATA[m]), proof, Buffer.from(CT_ROOTS[n], 'hex'))).toEqual({ ok: true });
  });

  it.each(CT_CONSISTENCY)('consistency proof %i → %i matches the published vector', (m, n, expected) => {
    expect(ct.consistency(m, n).map(hex)).toEqual(expected);
    expect(m === n ? [] : PROOF(m, CT_DATA.slice(0, n)).map(hex)).toEqual(expected);
    const proof = expected.map((h) => Buffer.from(h, 'hex'));
    expect(verifyConsistency(m, n, Buffer.from(CT_ROOTS[m], 'hex'), Buffer.from(CT_ROOTS[n], 'hex'), proof)).toEqual({
      ok: true,
    });
  });

  describe('against the reference, every size up to 40', () => {
    const N = 40;
    const data = Array.from({ length: N }, (_, i) => Buffer.from(`entry-${i}-${'x'.repeat(i % 7)}`));
    const tree = new StoredTree(data);

    it('roots from the compact range equal MTH', () => {
      for (let n = 0; n <= N; n++) {
        expect(tree.roots[n]).toEqual(MTH(data.slice(0, n)));
      }
    });

    it('restores a compact range from its stored frontier', () => {
      for (const n of [0, 1, 5, 32, 38]) {
        const partial = new StoredTree(data.slice(0, n)).range;
        const restored = CompactRange.fromFrontier(n, partial.frontier());
        restored.append(leafHash(data[n]));
        expect(restored.root()).toEqual(tree.roots[n + 1]);
      }
    });

    it('inclusion proofs equal PATH and verify; altered proofs fail', () => {
      for (let n = 1; n <= N; n++) {
        for (let m = 0; m < n; m++) {
          const proof = tree.inclusion(m, n);
          expect(proof).toEqual(PATH(m, data.slice(0, n)));
          const leaf = leafHash(data[m]);
          expect(verifyInclusion(m, n, leaf, proof, tree.roots[n])).toEqual({ ok: true });
          if (proof.length > 0) {
            const flipped = proof.map((p) => Buffer.from(p));
            flipped[flipped.length - 1][0] ^= 1;
            expect(verifyInclusion(m, n, leaf, flipped, tree.roots[n]).ok).toBe(false);
            expect(verifyInclusion(m, n, leaf, proof.slice(1), tree.roots[n]).ok).toBe(false);
          }
          expect(verifyInclusion(m, n, leaf, [...proof, leaf], tree.roots[n]).ok).toBe(false);
          if (n > 1) {
            expect(verifyInclusion((m + 1) % n, n, leaf, proof, tree.roots[n]).ok).toBe(false);
          }
        }
      }
    });

    it('consistency proofs equal PROOF and verify; altered proofs and rewritten trees fail', () => {
      for (let n = 1; n <= N; n++) {
        for (let m = 1; m < n; m++) {
          const proof = tree.consistency(m, n);
          expect(proof).toEqual(PROOF(m, data.slice(0, n)));
          expect(verifyConsistency(m, n, tree.roots[m], tree.roots[n], proof)).toEqual({ ok: true });
          const flipped = proof.map((p) => Buffer.from(p));
          flipped[0][5] ^= 0x80;
          expect(verifyConsistency(m, n, tree.roots[m], tree.roots[n], flipped).ok).toBe(false);
          expect(verifyConsistency(m, n, tree.roots[m], tree.roots[n], proof.slice(0, -1)).ok).toBe(false);
          expect(verifyConsistency(m, n, tree.roots[m], tree.roots[n - 1], proof).ok).toBe(false);
        }
      }
      // A history rewritten at index 3: no proof from the rewritten tree links to the old root.
      const rewritten = new StoredTree(data.map((d, i) => (i === 3 ? Buffer.from('forged') : d)));
      for (let m = 4; m < 20; m++) {
        expect(verifyConsistency(m, 40, tree.roots[m], rewritten.roots[40], rewritten.consistency(m, 40)).ok).toBe(
          false,
        );
      }
      expect(verifyConsistency(0, 5, EMPTY_ROOT, tree.roots[5], [])).toEqual({ ok: true });
      expect(verifyConsistency(5, 5, tree.roots[5], tree.roots[5], [])).toEqual({ ok: true });
      expect(verifyConsistency(5, 5, tree.roots[5], tree.roots[6], []).ok).toBe(false);
    });
  });

  it('plans proofs in a 10^15-leaf tree with O(log n) nodes and exact index arithmetic', () => {
    const plan = planInclusionProof(10 ** 15 - 3, 10 ** 15);
    const nodes = plan.elements.flat();
    expect(plan.elements.length).toBeLessThanOrEqual(50);
    expect(nodes.length).toBeLessThan(100);
    expect(nodes.every((n) => Number.isSafeInteger(n.index) && n.index * 2 ** n.level < 10 ** 15)).toBe(true);
    expect(() => planInclusionProof(5, 5)).toThrow(RangeError);
    expect(() => planConsistencyProof(6, 5)).toThrow(RangeError);
  });
});
