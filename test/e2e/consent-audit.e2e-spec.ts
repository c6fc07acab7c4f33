import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { exportJWK, generateKeyPair } from 'jose';
import { canonicalBytes, CompactRange, encodeHash, leafHash, signTreeHead } from '@custody/transparency-log';
import { uniqueDigits } from '@custody/testing';
import { ConsentHarness, ConsentTenant, startConsent } from '../support/consent.harness';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'tools', 'custody-audit', 'bin', 'custody-audit.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the auditor's CLI as a separate process, offline (it is given files only). */
function cli(args: string[], command: string[] = [process.execPath, CLI]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      command[0],
      [...command.slice(1), ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * The auditor's view: signed heads, the exported log and the public key, saved to files and
 * checked with `custody-audit`. The log's operator (the database owner) then tampers with the
 * stored log in every way the issue names; the CLI must catch each one at the right index.
 */
describe('consent log audit: tampering is detected offline by custody-audit (real PostgreSQL)', () => {
  let h: ConsentHarness;
  let dir: string;
  beforeAll(async () => {
    h = await startConsent();
    dir = mkdtempSync(join(tmpdir(), 'custody-audit-'));
  });
  afterAll(async () => {
    await h?.close();
  });

  interface Audited {
    t: ConsentTenant;
    auditor: string;
    file: (name: string) => string;
    save: (name: string, path: string) => Promise<string>;
  }

  /** A tenant with a few customers' prompts, grants and revokes (24 entries), and an auditor. */
  async function populated(): Promise<Audited> {
    const t = await h.newTenant();
    const auditor = await t.auditorToken();
    const api = (path: string, body: unknown) => h.request('POST', path, { token: t.admin, body });
    await api('/v1/consent/purposes', {
      key: 'ads',
      dataUse: 'marketing.advertising',
      wording: { language: 'en', text: 'Ads based on our chats.' },
    });
    await api('/v1/consent/purposes', {
      key: 'news',
      dataUse: 'marketing.communications.whatsapp',
      wording: { language: 'en', text: 'News on WhatsApp.' },
    });
    for (let c = 0; c < 6; c++) {
      const waId = uniqueDigits(11);
      const prompt = await api('/v1/consent/prompts', {
        customer: { waId },
        language: 'en',
        purposes: ['ads', 'news'],
      });
      await api('/v1/consent/records', {
        customer: { waId },
        purpose: 'ads',
        action: 'grant',
        method: 'api',
        promptId: prompt.body.id,
      });
      await api('/v1/consent/records', {
        customer: { waId },
        purpose: 'news',
        action: 'grant',
        method: 'api',
        promptId: prompt.body.id,
      });
      await api('/v1/consent/records', { customer: { waId }, purpose: 'ads', action: 'revoke', method: 'api' });
    }
    const sub = mkdtempSync(join(dir, 'log-'));
    const file = (name: string) => join(sub, name);
    const save = async (name: string, path: string): Promise<string> => {
      const res = await h.request(path.startsWith('POST ') ? 'POST' : 'GET', path.replace(/^POST /, ''), {
        token: auditor,
      });
      expect(res.status).toBeLessThan(300);
      writeFileSync(file(name), res.text);
      return file(name);
    };
    await save('keys.json', '/v1/audit/log-keys');
    return { t, auditor, file, save };
  }

  /** What the database owner can do: disable the append-only trigger inside a transaction and rewrite rows. */
  async function asOwner(work: (db: Client) => Promise<void>): Promise<void> {
    const db = new Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
    await db.connect();
    try {
      await db.query('BEGIN');
      await db.query(`SELECT set_config('custody.platform', 'on', true)`);
      for (const table of ['log_entries', 'log_nodes']) {
        await db.query(`ALTER TABLE consent.${table} DISABLE TRIGGER ${table}_append_only`);
      }
      await work(db);
      for (const table of ['log_entries', 'log_nodes']) {
        await db.query(`ALTER TABLE consent.${table} ENABLE TRIGGER ${table}_append_only`);
      }
      await db.query('COMMIT');
    } catch (error) {
      await db.query('ROLLBACK');
      throw error;
    } finally {
      await db.end();
    }
  }

  const origin = (a: Audited): string => `consent.custody.local/${a.t.id}`;

  const entryAt = async (db: Client, tenantId: string, index: number): Promise<Buffer> =>
    (
      await db.query('SELECT entry FROM consent.log_entries WHERE tenant_id = $1 AND leaf_index = $2', [
        tenantId,
        index,
      ])
    ).rows[0].entry;

  async function exportAndVerify(a: Audited, extra: string[] = []): Promise<CliResult> {
    const sth = await a.save('sth.json', `POST /v1/audit/logs/${a.t.id}/tree-head`);
    const jsonl = await a.save('export.jsonl', `/v1/audit/logs/${a.t.id}/entries`);
    return cli([
      'verify-export',
      '--origin',
      origin(a),
      '--export',
      jsonl,
      '--sth',
      sth,
      '--keys',
      a.file('keys.json'),
      ...extra,
    ]);
  }

  it('verifies an untouched log, and proofs of inclusion and consistency (also through npx)', async () => {
    const a = await populated();
    const ok = await exportAndVerify(a);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain('VERIFIED');
    expect(ok.stdout).toContain(`log consent.custody.local/${a.t.id}: 24 entries read`);

    const proof = await a.save('inclusion.json', `/v1/audit/logs/${a.t.id}/proofs/inclusion?index=13&treeSize=24`);
    expect(
      await cli([
        'verify-inclusion',
        '--origin',
        origin(a),
        '--proof',
        proof,
        '--sth',
        a.file('sth.json'),
        '--keys',
        a.file('keys.json'),
      ]),
    ).toMatchObject({ code: 0 });
    const forged = JSON.parse(
      (await h.request('GET', `/v1/audit/logs/${a.t.id}/proofs/inclusion?index=13`, { token: a.auditor })).text,
    );
    forged.entry.method = 'tenant_recorded';
    writeFileSync(a.file('forged.json'), JSON.stringify(forged));
    const bad = await cli([
      'verify-inclusion',
      '--origin',
      origin(a),
      '--proof',
      a.file('forged.json'),
      '--sth',
      a.file('sth.json'),
      '--keys',
      a.file('keys.json'),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('does not hash to the proven leaf hash');

    const old = await a.save('old-sth.json', `POST /v1/audit/logs/${a.t.id}/tree-head`);
    await h.request('POST', '/v1/consent/prompts', {
      token: a.t.admin,
      body: { customer: { waId: uniqueDigits(11) }, language: 'en', purposes: ['ads'] },
    });
    const newer = await a.save('new-sth.json', `POST /v1/audit/logs/${a.t.id}/tree-head`);
    const consistency = await a.save(
      'consistency.json',
      `/v1/audit/logs/${a.t.id}/proofs/consistency?first=24&second=25`,
    );
    const viaNpx = await cli(
      [
        'verify-consistency',
        '--origin',
        origin(a),
        '--proof',
        consistency,
        '--old',
        old,
        '--new',
        newer,
        '--keys',
        a.file('keys.json'),
      ],
      ['npx', '--no-install', 'custody-audit'],
    );
    expect(viaNpx).toMatchObject({ code: 0 });
    expect(viaNpx.stdout).toContain('is a prefix of the tree of size 25');
  });

  it('finds one changed byte of a stored entry at its index', async () => {
    const a = await populated();
    await asOwner(async (db) => {
      const entry = await entryAt(db, a.t.id, 9);
      const at = entry.indexOf('"subject":"') + '"subject":"'.length;
      entry[at] = entry[at] === 0x61 ? 0x62 : 0x61;
      await db.query('UPDATE consent.log_entries SET entry = $3 WHERE tenant_id = $1 AND leaf_index = $2', [
        a.t.id,
        9,
        entry,
      ]);
    });
    const res = await exportAndVerify(a);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('FAILED: first differing index 9');
    expect(res.stdout).toContain('index 9: hash_mismatch');
  });

  it('finds a deleted entry at its index', async () => {
    const a = await populated();
    await asOwner(async (db) => {
      await db.query('DELETE FROM consent.log_entries WHERE tenant_id = $1 AND leaf_index = 5', [a.t.id]);
    });
    const res = await exportAndVerify(a);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('FAILED: first differing index 5');
    expect(res.stdout).toContain('index 5: missing');
  });

  it('finds two reordered entries at the first of them', async () => {
    const a = await populated();
    await asOwner(async (db) => {
      const [three, twelve] = [await entryAt(db, a.t.id, 3), await entryAt(db, a.t.id, 12)];
      await db.query('UPDATE consent.log_entries SET entry = $3 WHERE tenant_id = $1 AND leaf_index = $2', [
        a.t.id,
        3,
        twelve,
      ]);
      await db.query('UPDATE consent.log_entries SET entry = $3 WHERE tenant_id = $1 AND leaf_index = $2', [
        a.t.id,
        12,
        three,
      ]);
    });
    const res = await exportAndVerify(a, ['--json']);
    expect(res.code).toBe(1);
    const report = JSON.parse(res.stdout);
    expect(report.firstDifferingIndex).toBe(3);
    expect(report.problems.map((p: { index: number }) => p.index)).toEqual(expect.arrayContaining([3, 12]));
  });

  it('catches history rewritten and re-signed: against a pinned older head, with a baseline at the right index, and no consistency proof', async () => {
    const a = await populated();
    const oldHead = await a.save('old-sth.json', `POST /v1/audit/logs/${a.t.id}/tree-head`);
    const baseline = await a.save('old.jsonl', `/v1/audit/logs/${a.t.id}/entries?to=24`);

    // The operator rewrites entry 7 (a grant now says tenant_recorded) and rebuilds the whole tree to match.
    await asOwner(async (db) => {
      const rows = (
        await db.query('SELECT leaf_index, entry FROM consent.log_entries WHERE tenant_id = $1 ORDER BY leaf_index', [
          a.t.id,
        ])
      ).rows;
      const forged = JSON.parse(rows[7].entry.toString());
      forged.method = 'tenant_recorded';
      rows[7].entry = canonicalBytes(forged);
      await db.query('UPDATE consent.log_entries SET entry = $3 WHERE tenant_id = $1 AND leaf_index = $2', [
        a.t.id,
        7,
        rows[7].entry,
      ]);
      await db.query('DELETE FROM consent.log_nodes WHERE tenant_id = $1', [a.t.id]);
      const range = CompactRange.empty();
      for (const row of rows) {
        for (const node of range.append(leafHash(row.entry))) {
          await db.query('INSERT INTO consent.log_nodes (tenant_id, level, idx, hash) VALUES ($1, $2, $3, $4)', [
            a.t.id,
            node.level,
            node.index,
            node.hash,
          ]);
        }
      }
      await db.query('UPDATE consent.log_heads SET frontier = $2 WHERE tenant_id = $1', [a.t.id, range.frontier()]);
    });
    // The log carries on and signs new heads with its real key.
    await h.request('POST', '/v1/consent/prompts', {
      token: a.t.admin,
      body: { customer: { waId: uniqueDigits(11) }, language: 'en', purposes: ['news'] },
    });
    const newHead = await a.save('new-sth.json', `POST /v1/audit/logs/${a.t.id}/tree-head`);
    const jsonl = await a.save('new.jsonl', `/v1/audit/logs/${a.t.id}/entries`);
    const keys = a.file('keys.json');

    // On its own the rewritten log is consistent: this is why auditors pin heads they have seen.
    expect(
      (await cli(['verify-export', '--origin', origin(a), '--export', jsonl, '--sth', newHead, '--keys', keys])).code,
    ).toBe(0);

    const pinned = await cli([
      'verify-export',
      '--origin',
      origin(a),
      '--export',
      jsonl,
      '--sth',
      oldHead,
      '--sth',
      newHead,
      '--keys',
      keys,
    ]);
    expect(pinned.code).toBe(1);
    expect(pinned.stdout).toContain('tree head of size 24: MISMATCH');
    expect(pinned.stdout).toContain('somewhere in indices 0..23');

    const located = await cli([
      'verify-export',
      '--origin',
      origin(a),
      '--export',
      jsonl,
      '--sth',
      oldHead,
      '--sth',
      newHead,
      '--keys',
      keys,
      '--baseline',
      baseline,
    ]);
    expect(located.code).toBe(1);
    expect(located.stdout).toContain('FAILED: first differing index 7');
    expect(located.stdout).toContain('index 7: baseline_mismatch');

    const proof = await a.save('consistency.json', `/v1/audit/logs/${a.t.id}/proofs/consistency?first=24&second=25`);
    const consistency = await cli([
      'verify-consistency',
      '--origin',
      origin(a),
      '--proof',
      proof,
      '--old',
      oldHead,
      '--new',
      newHead,
      '--keys',
      keys,
    ]);
    expect(consistency.code).toBe(1);
    expect(consistency.stdout).toContain('FAILED: proof does not reproduce the first root');
  });

  it('refuses heads signed by another key, and reports progress on long exports on stderr', async () => {
    const a = await populated();
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const entries = Array.from({ length: 3500 }, (_, i) => ({
      index: i,
      kind: 'consent.prompted',
      subject: `s${i % 50}`,
    }));
    const range = CompactRange.empty();
    const lines = entries.map((e, i) => {
      const leaf = leafHash(canonicalBytes(e));
      range.append(leaf);
      return JSON.stringify({ index: i, leafHash: encodeHash(leaf), entry: e });
    });
    writeFileSync(a.file('long.jsonl'), `${lines.join('\n')}\n`);
    const sth = await signTreeHead(
      { origin: 'elsewhere', treeSize: 3500, rootHash: encodeHash(range.root()), timestamp: Date.now() },
      privateKey,
      'other',
    );
    writeFileSync(a.file('other-sth.json'), JSON.stringify(sth));
    writeFileSync(
      a.file('other-keys.json'),
      JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'other' }] }),
    );

    const wrongKey = await cli([
      'verify-export',
      '--origin',
      'elsewhere',
      '--export',
      a.file('long.jsonl'),
      '--sth',
      a.file('other-sth.json'),
      '--keys',
      a.file('keys.json'),
    ]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('no public key with kid other');

    const long = await cli([
      'verify-export',
      '--origin',
      'elsewhere',
      '--export',
      a.file('long.jsonl'),
      '--sth',
      a.file('other-sth.json'),
      '--keys',
      a.file('other-keys.json'),
      '--progress-interval',
      '0',
    ]);
    expect(long.code).toBe(0);
    expect(long.stderr).toMatch(/1,000 entries verified[\s\S]*3,000 entries verified[\s\S]*3,500 entries verified/);
    expect((await cli(['verify-export', '--sth', a.file('other-sth.json')])).code).toBe(2);
  });
});
