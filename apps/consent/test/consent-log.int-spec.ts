import { Client } from 'pg';
import {
  CompactRange,
  decodeHash,
  encodeHash,
  ExportVerifier,
  leafHash,
  canonicalBytes,
  verifyConsistency,
  verifyInclusion,
  verifyTreeHead,
} from '@custody/transparency-log';
import { uniqueDigits } from '@custody/testing';
import { asTenantId } from '@custody/database';
import { OutboxService } from '@custody/kafka';
import { ConsentSettings } from '../src/config/consent.settings';
import { ConsentLogRepository } from '../src/repositories/consent-log.repository';
import { LogWriter } from '../src/services/log-writer.service';
import { TreeHeadService } from '../src/services/tree-head.service';
import { ConsentHarness, ConsentTenant, startConsent } from '../../../test/support/consent.harness';

describe('consent log: Merkle tree, signed tree heads, proofs and export (real PostgreSQL)', () => {
  let h: ConsentHarness;
  let t: ConsentTenant;
  let auditor: string;
  beforeAll(async () => {
    h = await startConsent();
    t = await h.newTenant();
    auditor = await t.auditorToken();
    await h.request('POST', '/v1/consent/purposes', {
      token: t.admin,
      body: {
        key: 'news',
        dataUse: 'marketing.communications.whatsapp',
        wording: { language: 'en', text: 'Our weekly offers on WhatsApp.' },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  const audit = (path: string) => h.request('GET', `/v1/audit/logs/${t.id}${path}`, { token: auditor });
  const prompt = (waId: string) =>
    h.request('POST', '/v1/consent/prompts', {
      token: t.admin,
      body: { customer: { waId }, language: 'en', purposes: ['news'] },
    });
  const keys = async () => (await h.request('GET', '/v1/audit/log-keys')).body;
  const signNow = async () => (await h.request('POST', `/v1/audit/logs/${t.id}/tree-head`, { token: auditor })).body;
  const exportText = async (query = '') => (await audit(`/entries${query}`)).text;

  it('numbers concurrent appends without gaps (group commit) and signs heads that the export reproduces', async () => {
    const empty = await verifyTreeHead(await signNow(), await keys());
    expect(empty).toMatchObject({ treeSize: 0, origin: `consent.custody.local/${t.id}` });

    const customers = Array.from({ length: 12 }, () => uniqueDigits(11));
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) => prompt(customers[i % customers.length])));
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(results.map((r) => r.body.leafIndex).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 120 }, (_, i) => i),
    );

    const head = await verifyTreeHead(await signNow(), await keys());
    expect(head.treeSize).toBe(120);
    const lines = (await exportText()).trim().split('\n');
    expect(lines).toHaveLength(120);
    const verifier = new ExportVerifier([empty, head]);
    lines.forEach((line) => verifier.addLine(line));
    expect(verifier.finish()).toMatchObject({ ok: true, entries: 120, firstDifferingIndex: null });
    expect(lines.join('\n')).not.toMatch(new RegExp(customers.join('|')));

    // The API's leaf hash is the hash of the exported entry.
    const one = JSON.parse(lines[7]);
    expect(one.leafHash).toBe(encodeHash(leafHash(canonicalBytes(one.entry))));
    expect(one.leafHash).toBe(results.find((r) => r.body.leafIndex === 7)!.body.leafHash);
  });

  it('answers inclusion proofs (by index and by entry id) and consistency proofs that verify against signed heads', async () => {
    const older = await verifyTreeHead(await signNow(), await keys());
    for (let i = 0; i < 9; i++) {
      await prompt(uniqueDigits(11));
    }
    const newer = await verifyTreeHead(await signNow(), await keys());
    expect(newer.treeSize).toBe(older.treeSize + 9);

    for (const index of [0, 1, older.treeSize - 1, newer.treeSize - 1]) {
      const proof = (await audit(`/proofs/inclusion?index=${index}&treeSize=${newer.treeSize}`)).body;
      expect(proof).toMatchObject({ leafIndex: index, treeSize: newer.treeSize });
      expect(proof.leafHash).toBe(encodeHash(leafHash(canonicalBytes(proof.entry))));
      const check = verifyInclusion(
        index,
        newer.treeSize,
        decodeHash(proof.leafHash),
        proof.auditPath.map((p: string) => decodeHash(p)),
        newer.rootHash,
      );
      expect(check).toEqual({ ok: true });
    }
    const last = JSON.parse((await exportText(`?from=${newer.treeSize - 1}`)).trim());
    const byId = (await audit(`/proofs/inclusion?eventId=${last.entry.id}&treeSize=${older.treeSize + 9}`)).body;
    expect(byId.leafIndex).toBe(newer.treeSize - 1);

    const consistency = (await audit(`/proofs/consistency?first=${older.treeSize}&second=${newer.treeSize}`)).body;
    const ok = verifyConsistency(
      older.treeSize,
      newer.treeSize,
      older.rootHash,
      newer.rootHash,
      consistency.proof.map((p: string) => decodeHash(p)),
    );
    expect(ok).toEqual({ ok: true });

    expect((await audit(`/proofs/inclusion?index=${newer.treeSize}`)).status).toBe(400);
    expect((await audit(`/proofs/inclusion?index=1&eventId=${last.entry.id}`)).status).toBe(400);
    expect((await audit(`/proofs/consistency?first=5&second=${newer.treeSize + 100}`)).status).toBe(400);
    expect((await audit(`/proofs/inclusion?eventId=00000000-0000-4000-8000-000000000000`)).status).toBe(404);
  });

  it('streams the export from an index to a size, and signs heads on a schedule for logs that grew', async () => {
    const lines = (await exportText('?from=3&to=10'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.index)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect((await audit('/entries?from=5&to=5')).text).toBe('');
    const res = await audit('/entries?to=2');
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');

    await prompt(uniqueDigits(11));
    const { size } = (await h.request('GET', '/v1/audit/logs', { token: auditor })).body.data[0];
    const scheduler = h.app.get(TreeHeadService);
    expect(await scheduler.tick()).toBeGreaterThanOrEqual(1);
    const latest = (await audit('/tree-head')).body;
    expect(latest.treeSize).toBe(size);
    const history = (await audit('/tree-heads?limit=3')).body.data;
    expect(history[0]).toEqual(latest);

    const root = CompactRange.empty();
    (await exportText())
      .trim()
      .split('\n')
      .forEach((l) => root.append(leafHash(canonicalBytes(JSON.parse(l).entry))));
    expect(encodeHash(root.root())).toBe(latest.rootHash);
  });

  it('publishes the log keys without authentication, and a platform-wide auditor reads every log', async () => {
    const jwks = await keys();
    expect(jwks.keys).toEqual([
      expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: expect.any(String) }),
    ]);
    expect(jwks.keys[0].d).toBeUndefined();
    const platform = await h.platformAuditorToken();
    expect((await h.request('GET', `/v1/audit/logs/${t.id}/tree-head`, { token: platform })).status).toBe(200);
    const list = await h.request('GET', '/v1/audit/logs?limit=500', { token: platform });
    expect(list.status).toBe(200);
  });

  it('two writers on one log (two replicas, each pipelining on its own idea of the head) never fork it', async () => {
    const other = await h.newTenant();
    const tenantId = asTenantId(other.id);
    const writers = [
      h.app.get(LogWriter),
      new LogWriter(h.app.get(ConsentLogRepository), h.app.get(OutboxService), h.app.get(ConsentSettings)),
    ];
    const draft = (i: number) => ({
      kind: 'consent.prompted' as const,
      tenant: tenantId,
      subject: (i % 16).toString(16).repeat(64),
      purposes: [
        {
          key: 'news',
          dataUse: 'marketing.communications.whatsapp',
          version: 1,
          language: 'en',
          wordingHash: 'ab'.repeat(32),
        },
      ],
      source: { channel: 'api' as const, actor: 'test' },
      occurredAt: new Date().toISOString(),
    });
    const outcomes = await Promise.all(
      Array.from({ length: 600 }, (_, i) => writers[i % 2].append(tenantId, { items: [{ draft: draft(i) }] })),
    );
    const indices = outcomes
      .map((o) => (o.items[0].status === 'appended' ? o.items[0].entry.index : -1))
      .sort((a, b) => a - b);
    expect(indices).toEqual(Array.from({ length: 600 }, (_, i) => i));
    const auditor2 = await other.auditorToken();
    const sth = (await h.request('POST', `/v1/audit/logs/${other.id}/tree-head`, { token: auditor2 })).body;
    const lines = (await h.request('GET', `/v1/audit/logs/${other.id}/entries`, { token: auditor2 })).text
      .trim()
      .split('\n');
    const verifier = new ExportVerifier([await verifyTreeHead(sth, await keys())]);
    lines.forEach((l) => verifier.addLine(l));
    expect(verifier.finish()).toMatchObject({ ok: true, entries: 600 });
  });

  it('the database refuses to change or delete log rows, even for the application role', async () => {
    const client = new Client({ connectionString: process.env.CONSENT_DATABASE_URL || process.env.DATABASE_URL });
    await client.connect();
    try {
      for (const sql of [
        `UPDATE consent.log_entries SET subject = 'x' WHERE tenant_id = $1`,
        `DELETE FROM consent.log_entries WHERE tenant_id = $1`,
        `DELETE FROM consent.log_nodes WHERE tenant_id = $1`,
        `UPDATE consent.tree_heads SET tree_size = 0 WHERE tenant_id = $1`,
      ]) {
        await client.query('BEGIN');
        await client.query(`SELECT consent.custody_enter_tenant($1)`, [t.id]);
        await expect(client.query(sql, [t.id])).rejects.toThrow(/append-only/);
        await client.query('ROLLBACK');
      }
      const none = await client.query('SELECT count(*)::int AS n FROM consent.log_entries');
      expect(none.rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
  });
});
