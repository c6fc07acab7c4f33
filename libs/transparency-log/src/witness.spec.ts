import { signCheckpoint } from './checkpoint';
import { CompactRange } from './compact-range';
import { leafHash } from './hashes';
import { NoteSigner, openNote, parseVerifierKey, SIG_COSIGNATURE_V1 } from './note';
import { assembleProof, nodeKey, planConsistencyProof } from './proofs';
import { Witness, WitnessEvidence, WitnessedHead } from './witness';

const ORIGIN = 'consent.test/log';
const seed = (from: number) => Buffer.from(Array.from({ length: 32 }, (_, i) => from + i));
const log = NoteSigner.fromSeed(ORIGIN, seed(0));

/** A log of `leaves` with every node kept, so it can prove consistency like the real one. */
function tree(leaves: string[]) {
  const range = CompactRange.empty();
  const nodes = new Map<string, Buffer>();
  for (const l of leaves) {
    for (const n of range.append(leafHash(Buffer.from(l)))) {
      nodes.set(nodeKey(n), n.hash);
    }
  }
  const note = signCheckpoint({ origin: ORIGIN, treeSize: leaves.length, rootHash: range.root() }, [log]);
  const proof = (from: number) =>
    assembleProof(planConsistencyProof(from, leaves.length), (c) => nodes.get(nodeKey(c)));
  return {
    note,
    proof,
    request: (from: number, p = proof(from)) =>
      `old ${from}\n${p.map((h) => `${h.toString('base64')}\n`).join('')}\n${note}`,
  };
}

function witness(n: number) {
  const signer = NoteSigner.fromSeed(`witness.test/w${n}`, seed(0x20 + n), SIG_COSIGNATURE_V1);
  const heads = new Map<string, WitnessedHead>();
  const evidence: WitnessEvidence[] = [];
  const w = new Witness(signer, [parseVerifierKey(log.verifierKey)], {
    get: (o) => heads.get(o),
    set: async (o, h) => void heads.set(o, h),
    evidence: async (e) => void evidence.push(e),
  });
  return { w, key: parseVerifierKey(signer.verifierKey), evidence };
}

describe('witness (C2SP tlog-witness add-checkpoint)', () => {
  const leaves = Array.from({ length: 12 }, (_, i) => `entry ${i}`);

  it('cosigns a first checkpoint and then only consistent extensions', async () => {
    const { w, key } = witness(1);
    const first = tree(leaves.slice(0, 5));
    const res = await w.addCheckpoint(first.request(0));
    expect(res.status).toBe(200);
    expect(openNote(first.note + res.body, [key]).verified[0].timestamp).toBeGreaterThan(0);
    expect(await w.addCheckpoint(first.request(0))).toMatchObject({
      status: 409,
      body: '5\n',
      contentType: 'text/x.tlog.size',
    });
    const second = tree(leaves);
    expect((await w.addCheckpoint(second.request(5))).status).toBe(200);
    expect((await w.addCheckpoint(second.request(12))).status).toBe(200);
  });

  it('refuses a fork: history rewritten and re-signed with the log key is not consistent', async () => {
    const { w, evidence } = witness(2);
    expect((await w.addCheckpoint(tree(leaves.slice(0, 8)).request(0))).status).toBe(200);
    const forked = tree(leaves.map((l, i) => (i === 3 ? 'rewritten' : l)));
    const res = await w.addCheckpoint(forked.request(8));
    expect(res.status).toBe(422);
    expect(res.body).toContain('not consistent with the checkpoint of size 8');
    expect(evidence).toEqual([expect.objectContaining({ origin: ORIGIN, status: 422, checkpoint: forked.note })]);
    const sameSize = tree(leaves.slice(0, 8).map((l, i) => (i === 0 ? 'other' : l)));
    expect((await w.addCheckpoint(sameSize.request(8, []))).status).toBe(422);
  });

  it('answers 404 for an unknown log, 403 for a bad signature and 400 for a bad request', async () => {
    const { w } = witness(3);
    const other = NoteSigner.fromSeed('other.test/log', seed(9));
    const foreign = signCheckpoint({ origin: 'other.test/log', treeSize: 0, rootHash: CompactRange.empty().root() }, [
      other,
    ]);
    expect((await w.addCheckpoint(`old 0\n\n${foreign}`)).status).toBe(404);
    const forged = tree(leaves.slice(0, 2)).note.replace('\n2\n', '\n3\n');
    expect((await w.addCheckpoint(`old 0\n\n${forged}`)).status).toBe(403);
    expect((await w.addCheckpoint('old x\n\n')).status).toBe(400);
    expect((await w.addCheckpoint(tree(leaves.slice(0, 2)).request(3, []))).status).toBe(400);
  });
});
