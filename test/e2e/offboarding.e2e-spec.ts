import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { createApp, listen, loadConfig } from '@custody/platform';
import { httpClient, HttpRequest, uniqueDigits } from '@custody/testing';
import { LocalKeyProvider } from '@custody/crypto';
import { TenantChangedEvent, Topics } from '@custody/contracts';
import { AppModule as ConsentModule } from '../../apps/consent/src/app.module';
import { ConsentEnv } from '../../apps/consent/src/config/consent.env';
import { ConsentSettings } from '../../apps/consent/src/config/consent.settings';
import { APP_META as CONSENT_META } from '../../apps/consent/src/meta';
import { LogKeysRepository } from '../../apps/consent/src/repositories/log-keys.repository';
import { hashPhone } from '../../apps/marketing-export/src/domain/identifiers';
import { ExportHarness, startMarketingExport } from '../support/marketing-export.harness';
import { PlatformHarness, startPlatform } from '../support/platform.harness';
import { registerAdsAccount } from '../support/sandbox.harness';
import { openContent } from '../support/sealing';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_MASTER_KEYS, TestTenant } from '../support/tenant-store.harness';
import { waitFor } from '../support/wait';

const SCHEMAS = ['tenant_store', 'ingest', 'consent', 'marketing_export'] as const;
const SERVICE_OF: Record<string, string> = {
  tenant_store: 'tenant-store',
  ingest: 'ingest',
  consent: 'consent',
  marketing_export: 'marketing-export',
};

/**
 * Offboarding a tenant over the real stack (tenant-store, ingest, the sandbox's network and ads
 * platform, consent and marketing-export in this process; the real Kafka and PostgreSQL): after
 * it, no row of the tenant is left in any table of any schema, its audience members are gone from
 * the ads platform, its data key is gone (a copy of its content no longer opens), and the
 * offboarding's report says what each service removed. Another tenant is untouched.
 */
describe('tenant offboarding across services (real stack)', () => {
  let p: PlatformHarness;
  let consentApp: INestApplication;
  let consent: HttpRequest;
  let ex: ExportHarness;

  beforeAll(async () => {
    p = await startPlatform();
    const env = loadConfig(ConsentEnv, {
      ...process.env,
      JWT_ISSUER: TEST_ISSUER,
      JWT_AUDIENCE: TEST_AUDIENCE,
      JWKS_URL: `${p.store.url}/.well-known/jwks.json`,
      CONSENT_LOG_KEY_FILE: '(in memory)',
      MASTER_KEY_FILE: '(in memory)',
      KAFKA_GROUP_PREFIX: p.groupPrefix,
    });
    consentApp = await createApp(
      ConsentModule.register(
        env,
        await LogKeysRepository.load(await LogKeysRepository.generatePrivateJwk()),
        new LocalKeyProvider(TEST_MASTER_KEYS),
        ConsentSettings.from(env, { runScheduler: false }),
      ),
      CONSENT_META,
    );
    consent = httpClient(await listen(consentApp, 0, '127.0.0.1'));
    ex = await startMarketingExport({
      jwksUrl: `${p.store.url}/.well-known/jwks.json`,
      adsUrl: `${p.sandboxUrl}/ads`,
      adsTokenFor: p.adsTokenFor,
    });
  }, 180_000);
  afterAll(async () => {
    await ex?.close();
    await consentApp?.close();
    await p?.close();
  });

  async function auditorToken(tenant: TestTenant): Promise<string> {
    const credential = await p.store.request('POST', `/v1/tenants/${tenant.id}/credentials`, {
      token: await p.store.operatorToken(),
      body: { roles: ['auditor'] },
    });
    expect(credential.status).toBe(201);
    return p.store.tokenFor(credential.body.clientId, credential.body.clientSecret);
  }

  const customerWrites = (tenant: TestTenant, waId: string, text: string) =>
    p
      .sandbox('POST', `/sandbox/v1/customers/${waId}/messages`, {
        body: { phoneNumberId: tenant.phoneNumberId, text },
      })
      .then((r) => r.body.messageId as string);

  /** Gives a tenant data in every service; returns its customers and a sealed content copy. */
  async function populate(tenant: TestTenant, options: { ads: boolean }) {
    const token = await tenant.token();
    const customers = [p.newCustomer(), p.newCustomer()];
    const cApi = (method: string, path: string, body?: unknown) => consent(method, path, { token, body });
    expect(
      (
        await cApi('POST', '/v1/consent/purposes', {
          key: 'ads',
          dataUse: 'marketing.advertising',
          wording: { language: 'en', text: 'Ads based on our chats.' },
        })
      ).status,
    ).toBe(201);
    for (const waId of customers) {
      const prompt = await cApi('POST', '/v1/consent/prompts', {
        customer: { waId },
        language: 'en',
        purposes: ['ads'],
      });
      expect(prompt.status).toBe(201);
      const grant = await cApi('POST', '/v1/consent/records', {
        customer: { waId },
        purpose: 'ads',
        action: 'grant',
        method: 'api',
        promptId: prompt.body.id,
      });
      expect(grant.status).toBe(201);
    }
    let audienceId: string | undefined;
    let adAccountId: string | undefined;
    if (options.ads) {
      audienceId = uniqueDigits(15);
      adAccountId = await registerAdsAccount(p.store.request, token, p.adsTokenFor);
      const authorization = await p.store.request('POST', '/v1/marketing/authorizations', {
        token,
        body: {
          destination: {
            kind: 'customer_list_audience',
            adAccountId,
            audienceId,
          },
          dataUses: ['marketing.advertising.first_party.targeted'],
          scope: 'all',
        },
      });
      expect(authorization.status).toBe(201);
    }
    const inbound: string[] = [];
    for (const waId of customers) {
      inbound.push(await customerWrites(tenant, waId, `hello from ${waId}`));
    }
    const sent = await p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, {
      token,
      body: { messaging_product: 'whatsapp', to: `+${customers[0]}`, type: 'text', text: { body: 'Thanks!' } },
      headers: { 'Idempotency-Key': `reply-${customers[0]}` },
    });
    expect(sent.status).toBe(200);
    const reply: string = sent.body.messages[0].id;
    // Everything settled before the offboarding: stored, the reply read, webhooks queued (the
    // tenant's webhook URL does not answer, so they stay in ingest's queue with their attempts).
    await waitFor(
      'messages stored, the reply read, webhooks queued',
      async () => {
        const stored = await p.sql(`SELECT 1 FROM tenant_store.messages WHERE message_id = ANY($1)`, [
          [...inbound, reply],
        ]);
        const statuses = await p.sql<{ status: string }>(
          `SELECT status FROM tenant_store.message_statuses WHERE message_id = $1`,
          [reply],
        );
        const queued = await p.sql(`SELECT 1 FROM ingest.webhook_deliveries WHERE tenant_id = $1`, [tenant.id]);
        return stored.length === 3 && statuses.some((s) => s.status === 'read') && queued.length >= 2;
      },
      60_000,
    );
    if (audienceId) {
      await waitFor(
        'the customers in the ads audience',
        async () => {
          const members = await audienceMembers(audienceId);
          return customers.every((waId) => members.includes(`PHONE:${hashPhone(waId)}`));
        },
        60_000,
      );
    }
    // An auditor reads the consent log (its reads are recorded, append-only) and has it signed.
    const auditor = await auditorToken(tenant);
    expect((await consent('POST', `/v1/audit/logs/${tenant.id}/tree-head`, { token: auditor })).status).toBeLessThan(
      300,
    );
    if (options.ads) {
      const ledger = await ex.request('GET', `/v1/audit/marketing/${tenant.id}/ledger`, { token: auditor });
      expect(ledger.status).toBe(200);
    }
    const sealed = await p.sql<{ message_id: string; content_ciphertext: string }>(
      `SELECT message_id, content_ciphertext FROM tenant_store.messages WHERE message_id = $1`,
      [inbound[0]],
    );
    return { token, customers, audienceId, adAccountId, sealed: sealed[0] };
  }

  async function audienceMembers(audienceId: string): Promise<string[]> {
    return ((await p.sandbox('GET', `/ads/_sandbox/audiences/${audienceId}?limit=1000`)).body.members ?? []).flatMap(
      (m: { identifiers: string[] }) => m.identifiers,
    );
  }

  /** Every base table of every schema of the database, but PostgreSQL's own. */
  async function allTables(): Promise<Array<{ schema: string; name: string }>> {
    return p.sql(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 1, 2`,
    );
  }

  /** Tables whose rows (cast to text) contain any of the needles, with counts. */
  async function rowsMentioning(needles: string[]): Promise<string[]> {
    const hits: string[] = [];
    for (const t of await allTables()) {
      const rows = await p.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${t.schema}"."${t.name}" x WHERE x::text ILIKE ANY($1)`,
        [needles.map((n) => `%${n}%`)],
      );
      if (rows[0].n > 0) {
        hits.push(`${t.schema}.${t.name}: ${rows[0].n}`);
      }
    }
    return hits;
  }

  /** Rows of the tenant per schema and table (tenant_id, or id for tenants). */
  async function tenantRows(tenantId: string): Promise<Record<string, Record<string, number>>> {
    const columns = await p.sql<{ schema: string; name: string }>(
      `SELECT c.table_schema AS schema, c.table_name AS name FROM information_schema.columns c
         JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE' AND c.table_schema = ANY($1)`,
      [[...SCHEMAS]],
    );
    const out: Record<string, Record<string, number>> = {};
    for (const { schema, name } of [...columns, { schema: 'tenant_store', name: 'tenants' }]) {
      const column = schema === 'tenant_store' && name === 'tenants' ? 'id' : 'tenant_id';
      const rows = await p.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${schema}"."${name}" WHERE ${column} = $1`,
        [tenantId],
      );
      if (rows[0].n > 0) {
        (out[schema] ??= {})[name] = rows[0].n;
      }
    }
    return out;
  }

  /** Runs SQL as the schema's service's application role (what it connects as), bound to a tenant. */
  async function asApp(
    schema: (typeof SCHEMAS)[number],
    tenantId: string,
    sql: string,
    params: unknown[],
    removing?: string,
  ): Promise<unknown> {
    const url = process.env[`${schema.toUpperCase()}_DATABASE_URL`] || process.env.DATABASE_URL;
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT ${schema}.custody_enter_tenant($1)`, [tenantId]);
      if (removing) {
        await client.query(`SELECT set_config('custody.removing_tenant', $1, true)`, [removing]);
      }
      const result = await client.query(sql, params);
      await client.query('COMMIT');
      return result.rows;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await client.end();
    }
  }

  /** Runs SQL as the schema's service's platform role (its cross-tenant pool). */
  async function asPlatform(schema: (typeof SCHEMAS)[number], sql: string, params: unknown[]): Promise<unknown> {
    const url = process.env[`${schema.toUpperCase()}_DATABASE_PLATFORM_URL`] || process.env.DATABASE_PLATFORM_URL;
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** Tables whose rows of a tenant do not change while it sits still (no retries, no new reads). */
  const STABLE = new Set([
    'tenant_store.tenants',
    'tenant_store.messages',
    'tenant_store.conversations',
    'tenant_store.phone_numbers',
    'tenant_store.marketing_authorizations',
    'ingest.tenant_numbers',
    'ingest.tenant_webhooks',
    'ingest.service_windows',
    'ingest.idempotency_keys',
    'consent.log_entries',
    'consent.purposes',
    'consent.customer_pseudonyms',
    'consent.consent_state',
    'marketing_export.audience_members',
  ]);

  it('removes every row of the tenant in every service, its audience members and its keys, and reports it; another tenant is untouched', async () => {
    const gone = await p.newTenant({ webhookUrl: 'http://127.0.0.1:9/unreachable' });
    const stay = await p.newTenant({ webhookUrl: 'http://127.0.0.1:9/unreachable' });
    const g = await populate(gone, { ads: true });
    const s = await populate(stay, { ads: false });
    const op = await p.store.operatorToken();

    // The consent log refuses the application role: no DELETE, even naming the tenant as the
    // removal function does, and the function refuses a tenant not recorded as offboarded.
    await expect(
      asApp('consent', stay.id, `DELETE FROM consent.log_entries WHERE tenant_id = $1`, [stay.id], stay.id),
    ).rejects.toThrow(/append-only: DELETE refused/);
    // Only the owner writes the offboarding records, through functions the application roles may
    // not call: a statement in one tenant's transaction cannot mark another tenant offboarded (which
    // would unlock the removal of its consent log and drop its events), nor forge a report.
    const hashOf = `encode(sha256(convert_to('custody.offboarded-tenant.v1:' || $1, 'UTF8')), 'hex')`;
    for (const schema of ['consent', 'ingest', 'marketing_export'] as const) {
      await expect(
        asApp(schema, gone.id, `INSERT INTO ${schema}.offboarded_tenants VALUES (${hashOf}, gen_random_uuid())`, [
          stay.id,
        ]),
      ).rejects.toThrow(/permission denied/);
      await expect(
        asApp(schema, gone.id, `SELECT ${schema}.record_offboarded_tenant($1, gen_random_uuid())`, [stay.id]),
      ).rejects.toThrow(/permission denied/);
    }
    await expect(asApp('consent', stay.id, `SELECT consent.remove_offboarded_tenant($1)`, [stay.id])).rejects.toThrow(
      /permission denied/,
    );
    await expect(
      asApp('marketing_export', stay.id, `SELECT marketing_export.remove_offboarded_audit_reads($1)`, [stay.id]),
    ).rejects.toThrow(/permission denied/);
    // The platform role may call the removals, which refuse a tenant without the owner's record.
    await expect(asPlatform('consent', `SELECT consent.remove_offboarded_tenant($1)`, [stay.id])).rejects.toThrow(
      /not recorded as offboarded/,
    );
    await expect(
      asPlatform('marketing_export', `SELECT marketing_export.remove_offboarded_audit_reads($1)`, [stay.id]),
    ).rejects.toThrow(/not recorded as offboarded/);
    // tenant-store's reports: out of the application role's reach; a new one only for a tenant its
    // transaction is bound to and has deleted.
    await expect(
      asApp('tenant_store', stay.id, `UPDATE tenant_store.offboarding_services SET status = 'removed'`, []),
    ).rejects.toThrow(/permission denied/);
    await expect(
      asApp('tenant_store', stay.id, `SELECT tenant_store.record_offboarding(gen_random_uuid(), $1, 'x', '{}')`, [
        stay.id,
      ]),
    ).rejects.toThrow(/still exists/);
    await expect(
      asApp('tenant_store', stay.id, `SELECT tenant_store.record_offboarding(gen_random_uuid(), $1, 'x', '{}')`, [
        gone.id,
      ]),
    ).rejects.toThrow(/not bound to this tenant/);

    const before = await tenantRows(gone.id);
    const stayBefore = await tenantRows(stay.id);
    for (const schema of SCHEMAS) {
      expect({ schema, rows: Object.keys(before[schema] ?? {}).length > 0 }).toEqual({ schema, rows: true });
    }
    expect(before.marketing_export.audience_members).toBe(2);
    // A copy of its content (as a backup or a Kafka segment holds it) opens while the key exists.
    expect(await openContent(gone.id, g.sealed.message_id, g.sealed.content_ciphertext)).toMatchObject({
      body: expect.stringContaining('hello from'),
    });
    expect((await p.store.request('GET', `/v1/tenants/${gone.id}/offboarding`, { token: op })).status).toBe(404);

    const res = await p.store.request('DELETE', `/v1/tenants/${gone.id}`, {
      token: op,
      body: { confirmBusinessAccountId: gone.businessAccountId },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tenantId: gone.id, dataKeysDestroyed: true });
    expect(res.body.offboarding.services.map((x: any) => x.service)).toEqual([
      'tenant-store',
      'ingest',
      'consent',
      'marketing-export',
    ]);
    expect(res.body.offboarding.services[0]).toMatchObject({ service: 'tenant-store', status: 'removed' });

    const report = await waitFor(
      'every service to report',
      async () => {
        const r = await p.store.request('GET', `/v1/tenants/${gone.id}/offboarding`, { token: op });
        return r.status === 200 && r.body.status === 'completed' ? r.body : undefined;
      },
      120_000,
      500,
    );
    expect(report).toMatchObject({ id: res.body.offboarding.id, completedAt: expect.any(String) });
    const byService = Object.fromEntries(report.services.map((x: any) => [x.service, x]));
    for (const service of ['tenant-store', 'ingest', 'consent', 'marketing-export']) {
      expect({ service, status: byService[service].status }).toEqual({ service, status: 'removed' });
    }

    // The report matches what there was: every table that held rows of the tenant is in its
    // service's report, with the same count where rows do not come and go by themselves (webhook
    // retries add attempts, the export adds its removal records, reads add read records).
    // ingest's and consent's copies of the data keys and the customer index key go at once with
    // the `deleted` tenant event.
    for (const [schema, tables] of Object.entries(before)) {
      for (const [table, n] of Object.entries(tables)) {
        if (schema !== 'tenant_store' && (table === 'data_keys' || table === 'customer_index_keys')) {
          continue;
        }
        // Memberships leave the table as the ads platform confirms each removal: counted as such.
        const reported =
          schema === 'marketing_export' && table === 'audience_members'
            ? byService['marketing-export'].effects.audienceRemovals
            : (byService[SERVICE_OF[schema]].tables[table] ?? 0);
        if (STABLE.has(`${schema}.${table}`)) {
          expect({ schema, table, n: reported }).toEqual({ schema, table, n });
        } else {
          expect({ schema, table, atLeast: reported >= n }).toEqual({ schema, table, atLeast: true });
        }
      }
    }
    expect(byService['tenant-store'].tables).toMatchObject({ tenants: 1, conversations: 2 });
    expect(byService['marketing-export'].effects).toEqual({ audienceRemovals: 2 });
    expect(byService.consent.logHead).toEqual({
      treeSize: expect.any(Number),
      root: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(byService.consent.logHead.treeSize).toBeGreaterThan(0);

    // Its audience members are gone from the ads platform.
    const members = await audienceMembers(g.audienceId!);
    for (const waId of g.customers) {
      expect(members).not.toContain(`PHONE:${hashPhone(waId)}`);
    }

    // No row of any table of any schema mentions the tenant or its customers (the outboxes
    // relay what they hold of it and then drop it).
    const needles = [gone.id, ...g.customers, ...g.customers.map((waId) => hashPhone(waId))];
    let hits: string[] = [];
    await waitFor(
      'no row mentioning the tenant',
      async () => (hits = await rowsMentioning(needles)).length === 0,
      60_000,
      500,
    ).catch((error: Error) => {
      throw new Error(`${error.message} (left: ${hits.join(', ')})`);
    });

    // Events of the tenant that arrive late (a consumer lagging behind the offboarding request)
    // bring nothing back: a tenants event for ingest (and consent), an ads credential for the export.
    const lateTenantEvent = (deleted: boolean) => ({
      eventId: `late:${gone.id}:${deleted}`,
      type: 'tenant.changed',
      tenantId: gone.id,
      occurredAt: new Date().toISOString(),
      businessAccountId: gone.businessAccountId,
      status: 'active',
      phoneNumbers: deleted ? [] : [{ phoneNumberId: gone.phoneNumberId, displayPhoneNumber: '+15550000000' }],
      dataKeys: [],
      retentionDays: 30,
      ...(deleted ? { status: 'suspended', deleted: true } : {}),
    });
    await ex.publisher.publish(Topics.TenantsChanged, gone.id, lateTenantEvent(false) as TenantChangedEvent);
    await ex.credential(gone.id, g.adAccountId!, 'late-token');
    await new Promise((r) => setTimeout(r, 5000));
    expect(await rowsMentioning([gone.id])).toEqual([]);
    // (The compacted tenants topic keeps the `deleted` event as the tenant's last word.)
    await ex.publisher.publish(Topics.TenantsChanged, gone.id, lateTenantEvent(true) as TenantChangedEvent);

    // Its key is gone: the copy of its content no longer opens (a fresh keyring, nothing cached).
    await expect(
      openContent(gone.id, g.sealed.message_id, g.sealed.content_ciphertext, new LocalKeyProvider(TEST_MASTER_KEYS)),
    ).rejects.toThrow();

    // The record of the offboarding is kept, without the tenant's id; the API finds it by the id.
    expect(JSON.stringify(report)).not.toContain(gone.id);
    expect((await p.store.request('GET', `/v1/tenants/${gone.id}`, { token: op })).status).toBe(404);
    expect((await p.store.request('GET', `/v1/tenants/not-a-uuid/offboarding`, { token: op })).status).toBe(404);
    expect((await p.store.request('GET', `/v1/tenants/${stay.id}/offboarding`, { token: op })).status).toBe(404);
    expect((await p.store.request('GET', `/v1/tenants/${gone.id}/offboarding`, { token: s.token })).status).toBe(403);

    // The other tenant is untouched: none of its rows went, its chats, consent and content are readable.
    const stayAfter = await tenantRows(stay.id);
    for (const [schema, tables] of Object.entries(stayBefore)) {
      for (const [table, n] of Object.entries(tables)) {
        const now = stayAfter[schema]?.[table] ?? 0;
        expect({ schema, table, kept: STABLE.has(`${schema}.${table}`) ? now === n : now >= n }).toEqual({
          schema,
          table,
          kept: true,
        });
      }
    }
    expect(await openContent(stay.id, s.sealed.message_id, s.sealed.content_ciphertext)).toMatchObject({
      body: expect.stringContaining('hello from'),
    });
    const conversations = await p.store.request('GET', '/v1/conversations', { token: await stay.token() });
    expect(conversations.body.data).toHaveLength(2);
    const state = await consent('GET', `/v1/consent/customers/${s.customers[0]}`, { token: s.token });
    expect(state.body.purposes[0].status).toBe('granted');
  }, 300_000);
});
