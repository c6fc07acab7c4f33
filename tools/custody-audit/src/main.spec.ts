import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { canonicalize, CompactRange, encodeHash, leafHash, signTreeHead } from '@custody/transparency-log';
import { run } from './main';

const TENANT = '6f1c1f9e-0000-4000-8000-000000000001';
const ORIGIN = `consent.test/${TENANT}`;

/** A signed log of `entries` written to files, and the CLI run over them, output captured. */
async function fixture(entries: Array<Record<string, unknown>>, origin = ORIGIN) {
  const dir = mkdtempSync(join(tmpdir(), 'custody-audit-spec-'));
  const file = (name: string) => join(dir, name);
  const range = CompactRange.empty();
  const lines = entries.map((e, index) => {
    const bytes = canonicalize(e);
    const leaf = leafHash(Buffer.from(bytes, 'utf8'));
    range.append(leaf);
    return `{"index":${index},"leafHash":"${encodeHash(leaf)}","entry":${bytes}}`;
  });
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const sth = await signTreeHead(
    { origin, treeSize: entries.length, rootHash: encodeHash(range.root()), timestamp: 1_764_064_800_000 },
    privateKey,
    'k1',
  );
  writeFileSync(file('sth.json'), JSON.stringify(sth));
  writeFileSync(file('keys.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] }));
  const cli = async (...args: string[]) => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await run(
      args,
      (l) => stdout.push(l),
      (l) => stderr.push(l),
    );
    return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
  };
  const verify = (jsonl: string, ...extra: string[]) => {
    writeFileSync(file('export.jsonl'), jsonl);
    return cli(
      'verify-export',
      '--origin',
      ORIGIN,
      '--export',
      file('export.jsonl'),
      '--sth',
      file('sth.json'),
      '--keys',
      file('keys.json'),
      '--no-progress',
      ...extra,
    );
  };
  return { lines, file, cli, verify };
}

const entry = (index: number, note: string) => ({ v: 1, index, kind: 'consent.prompted', tenant: TENANT, note });

describe('custody-audit verify-export is strict', () => {
  it('reads U+2028 and U+2029 inside entries as characters, not line breaks', async () => {
    const f = await fixture([
      entry(0, 'a'),
      entry(1, 'line\u2028separator and paragraph\u2029separator'),
      entry(2, 'c'),
    ]);
    expect(f.lines[1]).toContain('\u2028');
    const res = await f.verify(`${f.lines.join('\n')}\n`);
    expect(res).toMatchObject({ code: 0, stdout: expect.stringContaining('VERIFIED') });
    expect(res.stdout).toContain('3 entries read');
    const crlf = await f.verify(`${f.lines.join('\r\n')}\r\n`);
    expect(crlf.code).toBe(0);
  });

  it('refuses a duplicated key (the hash would check one value while grep shows the other)', async () => {
    const f = await fixture([entry(0, 'a'), entry(1, 'b')]);
    const forged = f.lines[1].replace(
      '"kind":"consent.prompted"',
      '"kind":"consent.granted","kind":"consent.prompted"',
    );
    const res = await f.verify(`${f.lines[0]}\n${forged}\n`);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^FAILED: first differing index 1$/m);
    expect(res.stdout).toContain(
      'index 1: duplicate_key: line at position 1 is not a valid export line: duplicate key "kind" in $.entry',
    );
  });

  it('pins the origin: a correctly signed head of another log is refused', async () => {
    const f = await fixture([entry(0, 'a')], 'consent.test/another-log');
    const res = await f.verify(`${f.lines[0]}\n`);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      'is signed for the log consent.test/another-log, not for the pinned origin consent.test/',
    );
    const unpinned = await f.cli('verify-sth', '--sth', f.file('sth.json'), '--keys', f.file('keys.json'));
    expect(unpinned).toMatchObject({ code: 2, stderr: expect.stringContaining('--origin is required') });
  });

  it('reports an altered leafHash hint as exactly that, with the verdict before the heads', async () => {
    const f = await fixture([entry(0, 'a'), entry(1, 'b'), entry(2, 'c')]);
    const hint = JSON.parse(f.lines[1]).leafHash as string;
    const res = await f.verify(
      [f.lines[0], f.lines[1].replace(hint, JSON.parse(f.lines[2]).leafHash as string), f.lines[2]].join('\n'),
    );
    expect(res.code).toBe(1);
    const out = res.stdout.split('\n');
    expect(out[1]).toBe(
      "FAILED: the export's leafHash hints are wrong from index 1; the entries themselves are all in the signed tree, unaltered",
    );
    expect(out[2]).toContain('index 1: leaf_hint_mismatch');
    expect(out.findIndex((l) => l.includes('reproduce its signed root'))).toBeGreaterThan(1);
  });

  it('reports two swapped lines at the first of them, and nothing missing after them', async () => {
    const f = await fixture([0, 1, 2, 3, 4].map((i) => entry(i, `e${i}`)));
    const res = await f.verify([f.lines[0], f.lines[2], f.lines[1], f.lines[3], f.lines[4]].join('\n'), '--json');
    expect(res.code).toBe(1);
    const report = JSON.parse(res.stdout);
    expect(report.problems.map((p: { index: number; code: string }) => [p.index, p.code])).toEqual([
      [1, 'out_of_order'],
    ]);
  });

  it('refuses an export line that is not valid UTF-8', async () => {
    const f = await fixture([entry(0, 'a')]);
    writeFileSync(
      f.file('bad.jsonl'),
      Buffer.concat([Buffer.from(f.lines[0].slice(0, -3)), Buffer.from([0xff]), Buffer.from('"}}\n')]),
    );
    const res = await f.cli(
      'verify-export',
      '--origin',
      ORIGIN,
      '--export',
      f.file('bad.jsonl'),
      '--sth',
      f.file('sth.json'),
      '--keys',
      f.file('keys.json'),
    );
    expect(res).toMatchObject({ code: 1, stderr: expect.stringContaining('line 1 is not valid UTF-8') });
  });
});
