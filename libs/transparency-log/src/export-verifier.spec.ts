import { generateKeyPair } from 'jose';
import { canonicalBytes, canonicalize } from './canonical-json';
import { CompactRange } from './compact-range';
import { encodeHash, leafHash } from './hashes';
import { ExportVerifier } from './export-verifier';
import { signTreeHead, verifyTreeHead, VerifiedTreeHead } from './tree-head';
import { exportJWK } from 'jose';

const entry = (i: number) => ({ index: i, kind: 'consent.granted', subject: `s${i % 3}`, note: `entry ${i}` });

function exportOf(entries: Array<Record<string, unknown>>): string[] {
  return entries.map(
    (e, i) => `{"index":${i},"leafHash":"${encodeHash(leafHash(canonicalBytes(e)))}","entry":${canonicalize(e)}}`,
  );
}

async function headFor(entries: Array<Record<string, unknown>>): Promise<VerifiedTreeHead> {
  const range = CompactRange.empty();
  entries.forEach((e) => range.append(leafHash(canonicalBytes(e))));
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const sth = await signTreeHead(
    { origin: 'o', treeSize: entries.length, rootHash: encodeHash(range.root()), timestamp: 1 },
    privateKey,
    'k',
  );
  return verifyTreeHead(sth, { ...(await exportJWK(publicKey)), kid: 'k' });
}

function run(lines: string[], heads: VerifiedTreeHead[], baseline?: string[]) {
  const verifier = new ExportVerifier(heads);
  const base = baseline ? new ExportVerifier([]) : undefined;
  lines.forEach((line, i) => verifier.addLine(line, base && baseline![i] ? base.addLine(baseline![i]) : undefined));
  return verifier.finish();
}

describe('ExportVerifier', () => {
  const entries = Array.from({ length: 23 }, (_, i) => entry(i));
  let head: VerifiedTreeHead;
  beforeAll(async () => {
    head = await headFor(entries);
  });

  it('accepts an untouched export', () => {
    const report = run(exportOf(entries), [head]);
    expect(report).toMatchObject({
      ok: true,
      entries: 23,
      firstDifferingIndex: null,
      heads: [{ treeSize: 23, ok: true }],
    });
  });

  it('locates one changed byte of an entry', () => {
    const lines = exportOf(entries);
    lines[7] = lines[7].replace('"note":"entry 7"', '"note":"entry 8"');
    const report = run(lines, [head]);
    expect(report.ok).toBe(false);
    expect(report.firstDifferingIndex).toBe(7);
    expect(report.problems[0]).toMatchObject({ index: 7, code: 'hash_mismatch' });
    expect(report.heads[0]).toMatchObject({ ok: false, storedHashesMatch: true });
  });

  it('locates a deleted entry and two swapped entries', () => {
    const deleted = exportOf(entries).filter((_, i) => i !== 11);
    const report = run(deleted, [head]);
    expect(report).toMatchObject({ ok: false, firstDifferingIndex: 11 });
    expect(report.problems.map((p) => [p.index, p.code])).toEqual([
      [11, 'missing'],
      [22, 'truncated'],
    ]);

    const lines = exportOf(entries);
    const swapped = lines.map((line, i) => {
      const j = i === 4 ? 15 : i === 15 ? 4 : i;
      return JSON.stringify({ ...JSON.parse(lines[j]), index: i });
    });
    const swappedReport = run(swapped, [head]);
    expect(swappedReport.firstDifferingIndex).toBe(4);
    expect(swappedReport.problems.map((p) => p.index)).toEqual(expect.arrayContaining([4, 15]));
  });

  it('catches a consistently rewritten and re-signed history only with an older head, and locates it with a baseline', async () => {
    const oldHead = await headFor(entries.slice(0, 20));
    const forged = entries.map((e, i) => (i === 9 ? { ...e, subject: 'someone-else' } : e));
    const newHead = await headFor(forged);
    const forgedLines = exportOf(forged);
    expect(run(forgedLines, [newHead]).ok).toBe(true);
    const withOld = run(forgedLines, [oldHead, newHead]);
    expect(withOld).toMatchObject({ ok: false, firstDifferingIndex: null, differenceWithin: { from: 0, to: 19 } });
    expect(withOld.heads.find((h) => h.treeSize === 20)).toMatchObject({ ok: false, storedHashesMatch: false });
    const located = run(forgedLines, [oldHead, newHead], exportOf(entries.slice(0, 20)));
    expect(located.firstDifferingIndex).toBe(9);
    expect(located.problems[0]).toMatchObject({ index: 9, code: 'baseline_mismatch' });
  });

  it('refuses a duplicated key in an entry, which JSON.parse would resolve to the last value', () => {
    const lines = exportOf(entries);
    // What grep shows is the first "note"; what JSON.parse (and so a lax verifier) hashes is the second.
    lines[6] = lines[6].replace('"kind":"consent.granted"', '"kind":"consent.revoked","kind":"consent.granted"');
    const report = run(lines, [head]);
    expect(report).toMatchObject({ ok: false, firstDifferingIndex: 6 });
    expect(report.problems).toEqual([
      expect.objectContaining({
        index: 6,
        code: 'duplicate_key',
        message: expect.stringContaining('duplicate key "kind" in $.entry'),
      }),
    ]);
  });

  it('refuses an entry that is not written in canonical JSON, even when it means the same', () => {
    const lines = exportOf(entries);
    const line = JSON.parse(lines[3]);
    lines[3] = `{"index":3,"leafHash":"${line.leafHash}","entry":${JSON.stringify(line.entry, null, 1)}}`;
    const report = run(lines, [head]);
    expect(report.problems.map((p) => [p.index, p.code])).toEqual([[3, 'not_canonical']]);
  });

  it('reports two swapped lines once, as out of order, with nothing missing after them', () => {
    const lines = exportOf(entries);
    [lines[8], lines[9]] = [lines[9], lines[8]];
    const report = run(lines, [head]);
    expect(report.problems.map((p) => [p.index, p.code])).toEqual([[8, 'out_of_order']]);
    expect(report.firstDifferingIndex).toBe(8);
  });

  it('says an altered leafHash hint is only the hint when the entries reproduce the signed root', () => {
    const lines = exportOf(entries);
    const line = JSON.parse(lines[12]);
    lines[12] = lines[12].replace(line.leafHash, encodeHash(leafHash(Buffer.from('something else'))));
    const report = run(lines, [head]);
    expect(report.ok).toBe(false);
    expect(report.heads).toEqual([expect.objectContaining({ treeSize: 23, ok: true })]);
    expect(report.problems).toEqual([
      expect.objectContaining({
        index: 12,
        code: 'leaf_hint_mismatch',
        message: expect.stringContaining('the hint was altered, not the entry'),
      }),
    ]);
  });

  it('reports entries of another tenant when the origin is pinned', () => {
    const own = entries.map((e) => ({ ...e, tenant: 't1' }));
    const lines = exportOf(own);
    lines[2] = exportOf(own.map((e) => ({ ...e, tenant: 't2' })))[2];
    const verifier = new ExportVerifier([], 'consent.test/t1');
    lines.forEach((l) => verifier.addLine(l));
    expect(verifier.finish().problems.map((p) => [p.index, p.code])).toEqual([[2, 'tenant_mismatch']]);
  });

  it('reports truncation and malformed lines at their index', () => {
    expect(run(exportOf(entries).slice(0, 20), [head])).toMatchObject({
      ok: false,
      firstDifferingIndex: 20,
      problems: [{ code: 'truncated' }],
    });
    const lines = exportOf(entries);
    lines[2] = '{"index":2,';
    const report = run(lines, [head]);
    expect(report.firstDifferingIndex).toBe(2);
    expect(report.problems.map((p) => [p.index, p.code])).toEqual([[2, 'malformed']]);
  });
});
