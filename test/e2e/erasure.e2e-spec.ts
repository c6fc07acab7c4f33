import type { INestApplication } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, listen, loadConfig } from '@custody/platform';
import { randomUUID } from 'node:crypto';
import { conversationIdFor, hostedNoticeMessageId, Topics } from '@custody/contracts';
import { httpClient, HttpRequest, uniqueDigits, waitForMessage, waitForStableGroups } from '@custody/testing';
import { AppModule as ConsentModule } from '../../apps/consent/src/app.module';
import { ConsentEnv } from '../../apps/consent/src/config/consent.env';
import { ConsentSettings } from '../../apps/consent/src/config/consent.settings';
import { APP_META as CONSENT_META } from '../../apps/consent/src/meta';
import { LogKeysRepository } from '../../apps/consent/src/repositories/log-keys.repository';
import { hashPhone } from '../../apps/marketing-export/src/domain/identifiers';
import { ExportHarness, startMarketingExport } from '../support/marketing-export.harness';
import { PlatformHarness, startPlatform } from '../support/platform.harness';
import { registerAdsAccount } from '../support/sandbox.harness';
import { customerRef, openContent, openCustomer } from '../support/sealing';
import { LocalKeyProvider } from '@custody/crypto';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_MASTER_KEYS, TestTenant } from '../support/tenant-store.harness';
import { waitFor } from '../support/wait';

const ROOT = join(__dirname, '..', '..');
const AUDIT_CLI = join(ROOT, 'tools', 'custody-audit', 'bin', 'custody-audit.js');

function audit(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [AUDIT_CLI, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * Erasure of a customer (GDPR Art. 17) over the real stack: tenant-store, ingest, the sandbox
 * (network and ads platform), consent and marketing-export in this process, against the real
 * Kafka and PostgreSQL.
 */
describe('customer erasure across services (real stack)', () => {
  let p: PlatformHarness;
  let consentApp: INestApplication;
  let consent: HttpRequest;
  let ex: ExportHarness;

  beforeAll(async () => {
    p = await startPlatform();
    const logKey = await LogKeysRepository.generatePrivateJwk();
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
        await LogKeysRepository.load(logKey),
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
    // tenant-store 3, ingest 4, consent 2 (inbound messages, erasure requests), marketing-export 3.
    await waitForStableGroups(p.groupPrefix, 12);
  });
  afterAll(async () => {
    await ex?.close();
    await consentApp?.close();
    await p?.close();
  });

  const erase = (token: string, body: unknown, headers?: Record<string, string>) =>
    p.store.request('POST', '/v1/erasure-requests', { token, body, headers });

  /**
   * Waits for completion (and for `erasedBy` to have reported `erased`: on a broker shared with
   * other test runs, their services may report `nothing_found` for this tenant first).
   */
  async function completed(token: string, id: string, erasedBy: string[] = []): Promise<any> {
    return waitFor(
      `erasure request ${id} to complete`,
      async () => {
        const res = await p.store.request('GET', `/v1/erasure-requests/${id}`, { token });
        const erased = erasedBy.every((service) =>
          res.body.services?.some((s: any) => s.service === service && s.status === 'erased'),
        );
        return res.body.status === 'completed' && erased ? res.body : undefined;
      },
      60_000,
    );
  }

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

  /** Every row of these schemas whose text contains the needle (the raw "backup by query"). */
  async function rowsMentioning(needle: string): Promise<string[]> {
    const tables = await p.sql<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
        WHERE table_schema IN ('tenant_store', 'ingest', 'consent', 'marketing_export') AND table_type = 'BASE TABLE'`,
    );
    const hits: string[] = [];
    for (const t of tables) {
      const rows = await p.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${t.schema}"."${t.name}" x WHERE x::text LIKE $1`,
        [`%${needle}%`],
      );
      if (rows[0].n > 0) {
        hits.push(`${t.schema}.${t.name}: ${rows[0].n}`);
      }
    }
    return hits;
  }

  it('erases a customer everywhere; afterwards no API finds the number, and the consent log still verifies offline', async () => {
    const tenant = await p.newTenant({ webhookUrl: 'http://127.0.0.1:9/unreachable' });
    const other = await p.newTenant();
    const token = await tenant.token();
    const waId = p.newCustomer();
    const bystander = p.newCustomer();

    // Consent records a grant; the tenant authorizes its chats for an ads audience; the customer
    // chats (tenant-store stores, ingest queues webhooks, marketing-export adds the customer to the
    // audience); the business answers with an Idempotency-Key (ingest keeps the response).
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
    const prompt = await cApi('POST', '/v1/consent/prompts', { customer: { waId }, language: 'en', purposes: ['ads'] });
    expect(prompt.status).toBe(201);
    expect(
      (
        await cApi('POST', '/v1/consent/records', {
          customer: { waId },
          purpose: 'ads',
          action: 'grant',
          method: 'api',
          promptId: prompt.body.id,
        })
      ).status,
    ).toBe(201);
    const bystanderPrompt = await cApi('POST', '/v1/consent/prompts', {
      customer: { waId: bystander },
      language: 'en',
      purposes: ['ads'],
    });
    const audienceId = uniqueDigits(15);
    const authorization = await p.store.request('POST', '/v1/marketing/authorizations', {
      token,
      body: {
        destination: {
          kind: 'customer_list_audience',
          adAccountId: await registerAdsAccount(p.store.request, token, p.adsTokenFor),
          audienceId,
        },
        dataUses: ['marketing.advertising.first_party.targeted'],
        scope: 'all',
      },
    });
    expect(authorization.status).toBe(201);
    const inbound = [
      await customerWrites(tenant, waId, 'My address is 1 Erasure Lane'),
      await customerWrites(tenant, waId, 'and my card ends 4242'),
    ];
    const bystanderMessage = await customerWrites(tenant, bystander, 'I stay');
    const sent = await p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, {
      token,
      body: { messaging_product: 'whatsapp', to: `+${waId}`, type: 'text', text: { body: 'Noted your address.' } },
      headers: { 'Idempotency-Key': `reply-${waId}` },
    });
    expect(sent.status).toBe(200);
    const reply: string = sent.body.messages[0].id;
    // Wait until the network's statuses of the reply have all come back and reached ingest: an
    // event still in flight after the erasure would be stored anew (see docs/data-lifecycle.md).
    await waitFor(
      'messages stored, webhooks queued, the reply delivered',
      async () => {
        const stored = await p.sql(`SELECT 1 FROM tenant_store.messages WHERE message_id = ANY($1)`, [
          [...inbound, reply, bystanderMessage],
        ]);
        const statuses = await p.sql<{ status: string }>(
          `SELECT status FROM tenant_store.message_statuses WHERE message_id = $1`,
          [reply],
        );
        const queued = await p.sql(
          `SELECT 1 FROM ingest.webhook_deliveries WHERE tenant_id = $1 AND event_id = ANY($2)`,
          [tenant.id, [...inbound.map((id) => `stored:${id}`), ...statuses.map((s) => `stored:${reply}:${s.status}`)]],
        );
        return (
          stored.length === 4 && statuses.some((s) => s.status === 'read') && queued.length === 2 + statuses.length
        );
      },
      45_000,
    );
    const members = async (): Promise<string[]> =>
      ((await p.sandbox('GET', `/ads/_sandbox/audiences/${audienceId}?limit=1000`)).body.members ?? []).flatMap(
        (m: { identifiers: string[] }) => m.identifiers,
      );
    await waitFor(
      'the customer in the ads audience',
      async () => (await members()).includes(`PHONE:${hashPhone(waId)}`),
      45_000,
    );
    expect((await cApi('GET', `/v1/consent/customers/${waId}`)).body.purposes[0].status).toBe('granted');
    expect(await rowsMentioning(waId)).not.toEqual([]);

    // The request: typed as a person would, answered 202; the same customer again while pending → the same request.
    const created = await erase(token, {
      phoneNumber: `+${waId.slice(0, 1)} ${waId.slice(1, 4)}-${waId.slice(4, 7)} ${waId.slice(7)}`,
    });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'pending', outcome: null, completedAt: null });
    expect(created.body.services.map((s: any) => s.service)).toEqual([
      'tenant-store',
      'ingest',
      'consent',
      'marketing-export',
    ]);
    expect(JSON.stringify(created.body)).not.toContain(waId);
    const again = await erase(token, { waId });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(created.body.id);

    const done = await completed(token, created.body.id, ['tenant-store', 'ingest', 'consent', 'marketing-export']);
    expect(done).toMatchObject({ status: 'completed', outcome: 'erased', completedAt: expect.any(String) });
    const byService = Object.fromEntries(done.services.map((s: any) => [s.service, s]));
    expect(byService['tenant-store']).toMatchObject({ status: 'erased', counts: { conversations: 1, messages: 4 } }); // 2 inbound, the reply, the hosted notice
    expect(byService.consent).toMatchObject({ status: 'erased', counts: { pseudonyms: 1, consentEvents: 1 } });
    // ingest reports too (the request waited for it): the stored response of the Idempotency-Key send.
    expect(byService.ingest).toMatchObject({ status: 'erased', counts: { idempotencyKeys: 1 } });
    // (Counts are not compared for marketing-export: on a broker shared with other running stacks,
    // another deployment's marketing-export may have answered first; the audience is the proof.)
    expect(byService['marketing-export'].status).toBe('erased');
    await waitFor(
      'the customer to leave the ads audience',
      async () => !(await members()).includes(`PHONE:${hashPhone(waId)}`),
      45_000,
    );
    const listed = await p.store.request('GET', '/v1/erasure-requests?status=completed', { token });
    expect(listed.body.data.map((r: any) => r.id)).toContain(created.body.id);

    // tenant-store: conversations, a conversation's messages, the export.
    expect((await p.store.request('GET', `/v1/conversations?customer=${waId}`, { token })).body.data).toEqual([]);
    const exported = await p.store.request('GET', '/v1/exports/conversations', { token });
    expect(exported.status).toBe(200);
    expect(exported.text).not.toContain(waId);
    expect(exported.text).not.toContain('Erasure Lane');
    expect(exported.text).toContain('I stay');
    expect((await p.store.request('GET', `/v1/messages/${inbound[0]}/statuses`, { token })).status).toBe(404);
    // consent: no pseudonym any more, so nothing by number; a check fails closed.
    expect((await cApi('GET', `/v1/consent/customers/${waId}`)).body).toEqual({
      subject: null,
      purposes: [expect.objectContaining({ purpose: 'ads', status: 'none' })],
    });
    expect((await cApi('GET', `/v1/consent/customers/${waId}/history`)).body).toEqual({
      subject: null,
      entries: [],
      nextCursor: null,
    });
    expect((await cApi('GET', `/v1/consent/check?waId=${waId}&dataUse=marketing.advertising`)).body).toMatchObject({
      allowed: false,
      reason: 'no_consent',
    });
    expect((await cApi('GET', `/v1/consent/customers/${bystander}/history`)).body.subject).toBe(
      bystanderPrompt.body.subject,
    );
    // ingest: the customer's webhook deliveries are gone (ingest reported before completion).
    await waitFor('ingest to drop the customer’s webhook deliveries', async () => {
      const deliveries = await p.ingest('GET', '/v1/webhook/deliveries?limit=200', { token });
      return !deliveries.body.data.some((d: any) => inbound.some((id) => d.eventId === `stored:${id}`));
    });
    // And no row of any service's schema contains the number any more.
    await waitFor('no row mentioning the number', async () => (await rowsMentioning(waId)).length === 0, 45_000);
    expect(await rowsMentioning('Erasure Lane')).toEqual([]);
    expect(await rowsMentioning(hashPhone(waId))).toEqual([]);

    // The consent log is intact: the auditor's offline verifier accepts it, erased customer's entries included.
    const auditor = await auditorToken(tenant);
    const dir = mkdtempSync(join(tmpdir(), 'custody-erasure-'));
    const save = async (name: string, method: string, path: string) => {
      const res = await consent(method, path, { token: auditor });
      expect(res.status).toBeLessThan(300);
      writeFileSync(join(dir, name), res.text);
      return join(dir, name);
    };
    const keys = await save('keys.json', 'GET', '/v1/audit/log-keys');
    const sth = await save('sth.json', 'POST', `/v1/audit/logs/${tenant.id}/tree-head`);
    const entries = await save('export.jsonl', 'GET', `/v1/audit/logs/${tenant.id}/entries`);
    const verified = await audit([
      'verify-export',
      '--origin',
      `consent.custody.local/${tenant.id}`,
      '--export',
      entries,
      '--sth',
      sth,
      '--keys',
      keys,
    ]);
    expect(verified).toMatchObject({ code: 0 });
    expect(verified.stdout).toContain('VERIFIED');
    expect(verified.stdout).toContain('3 entries read');

    // Another tenant cannot see the request.
    expect(
      (await p.store.request('GET', `/v1/erasure-requests/${created.body.id}`, { token: await other.token() })).status,
    ).toBe(404);
    // After completion, asking again is a new request (anything new of the customer is erased too).
    const repeat = await erase(token, { waId });
    expect(repeat.status).toBe(202);
    expect(repeat.body.id).not.toBe(created.body.id);
    expect(await completed(token, repeat.body.id)).toMatchObject({ outcome: 'nothing_found' });
  }, 180_000);

  it("crypto-shreds: the customer's conversation keys are destroyed, so copies of their messages on the broker no longer open; another customer's still do", async () => {
    const tenant = await p.newTenant();
    const token = await tenant.token();
    const waId = p.newCustomer();
    const bystander = p.newCustomer();
    const marker = `shred-${randomUUID()}`;
    const erasedMessage = await customerWrites(tenant, waId, `${marker} erase me`);
    const keptMessage = await customerWrites(tenant, bystander, `${marker} keep me`);
    await waitFor(
      'both messages stored',
      async () =>
        (await p.sql(`SELECT 1 FROM tenant_store.messages WHERE message_id = ANY($1)`, [[erasedMessage, keptMessage]]))
          .length === 2,
      45_000,
    );
    // The network reports the hosted notice's statuses; they are in before the erasure (a status
    // arriving after it names the customer again: a new conversation key, as a new message would).
    const conversation = conversationIdFor(tenant.id, tenant.phoneNumberId, await customerRef(tenant.id, waId));
    await waitFor(
      'the notice’s statuses stored',
      async () =>
        (
          await p.sql(`SELECT 1 FROM tenant_store.message_statuses WHERE tenant_id = $1 AND message_id = $2`, [
            tenant.id,
            hostedNoticeMessageId(conversation),
          ])
        ).length === 3,
      45_000,
    );
    // The copies that cannot be deleted in place: the events as the broker holds them.
    const rawEvent = async (messageId: string) => {
      const message = await waitForMessage(
        Topics.MessagesInbound,
        (m) => m.value?.toString().includes(messageId) === true,
        30_000,
      );
      return JSON.parse(message.value!.toString()) as {
        contentCiphertext: string;
        customer: { ref: string; waIdCiphertext: string };
      };
    };
    const rawEnvelope = async (messageId: string): Promise<string> => (await rawEvent(messageId)).contentCiphertext;
    // The customer's number travels sealed under the same conversation key.
    const erasedCustomer = (await rawEvent(erasedMessage)).customer;
    expect(erasedCustomer.waIdCiphertext).toMatch(/^v2\./);
    expect(await openCustomer(tenant.id, erasedCustomer)).toBe(waId);
    const erasedEnvelope = await rawEnvelope(erasedMessage);
    const keptEnvelope = await rawEnvelope(keptMessage);
    expect(erasedEnvelope).toMatch(/^v2\./);
    expect(erasedEnvelope).not.toContain(marker);
    expect(await openContent(tenant.id, erasedMessage, erasedEnvelope)).toEqual({ body: `${marker} erase me` });

    const keys = () =>
      p.sql<{ generation: number; live: boolean; material: boolean }>(
        `SELECT generation, destroyed_at IS NULL AS live, wrapped_key IS NOT NULL AS material
           FROM custody_keys.conversation_keys WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY generation`,
        [tenant.id, conversation],
      );
    expect(await keys()).toEqual([{ generation: 1, live: true, material: true }]);

    const created = await erase(token, { waId });
    expect(created.status).toBe(202);
    const done = await completed(token, created.body.id, ['tenant-store', 'ingest']);
    expect(done.status).toBe('completed');
    // The key is destroyed in the store (its tombstone keeps the generation, without key material)…
    expect(await keys()).toEqual([{ generation: 1, live: false, material: false }]);
    // …so the broker's copy opens with no key Custody holds (the tenant's data keys, the key store,
    // the master key), while the other customer's message of the same tenant still opens.
    await expect(openContent(tenant.id, erasedMessage, erasedEnvelope)).rejects.toMatchObject({
      name: 'DecryptionError',
      reason: 'key-destroyed',
    });
    expect(await openContent(tenant.id, keptMessage, keptEnvelope)).toEqual({ body: `${marker} keep me` });
    // The number in the broker's copy is shredded with it.
    await expect(openCustomer(tenant.id, erasedCustomer)).rejects.toMatchObject({
      name: 'DecryptionError',
      reason: 'key-destroyed',
    });

    // The customer writes again: a new conversation key (a new generation), never the destroyed one.
    const later = await customerWrites(tenant, waId, `${marker} hello again`);
    const laterEnvelope = await rawEnvelope(later);
    expect(laterEnvelope.split('.')[1]).not.toBe(erasedEnvelope.split('.')[1]);
    expect(await openContent(tenant.id, later, laterEnvelope)).toEqual({ body: `${marker} hello again` });
    expect(await keys()).toEqual([
      { generation: 1, live: false, material: false },
      { generation: 2, live: true, material: true },
    ]);
  }, 180_000);

  it('a number the tenant never saw completes with nothing found and reveals nothing of another tenant’s customer', async () => {
    const a = await p.newTenant();
    const b = await p.newTenant();
    const waId = p.newCustomer();
    const id = await customerWrites(a, waId, 'I am A’s customer');
    await waitFor(
      'A to store the message',
      async () => (await p.sql(`SELECT 1 FROM tenant_store.messages WHERE message_id = $1`, [id])).length === 1,
      45_000,
    );
    const bToken = await b.token();
    const res = await erase(bToken, { waId });
    expect(res.status).toBe(202);
    const done = await completed(bToken, res.body.id);
    expect(done.outcome).toBe('nothing_found');
    expect(done.services.map((s: any) => [s.service, s.status])).toEqual([
      ['tenant-store', 'nothing_found'],
      ['ingest', 'nothing_found'],
      ['consent', 'nothing_found'],
      ['marketing-export', 'nothing_found'],
    ]);
    expect(done.services[0].counts).toEqual({
      conversations: 0,
      messages: 0,
      statuses: 0,
      outboxEvents: 0,
      conversationKeys: 0,
    });
    // A's customer is untouched.
    const aConversations = await p.store.request('GET', `/v1/conversations?customer=${waId}`, {
      token: await a.token(),
    });
    expect(aConversations.body.data).toHaveLength(1);
  });

  it('refuses malformed numbers with a clear 400 that does not repeat them, needs a tenant admin, and honours Idempotency-Key', async () => {
    const tenant = await p.newTenant();
    const token = await tenant.token();
    for (const body of [
      { phoneNumber: '+1 555 CALL-NOW' },
      { phoneNumber: '12345' },
      { waId: '+15550001111' },
      {},
      { phoneNumber: '+15550001111', waId: '15550001111' },
      { phoneNumber: 15550001111 },
    ]) {
      const res = await erase(token, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body.error).toMatchObject({
        status: 400,
        code: 'validation_failed',
        details: expect.arrayContaining([expect.any(String)]),
      });
      expect(JSON.stringify(res.body.error.details)).not.toMatch(/555|12345/);
    }
    expect((await erase(token, { waId: '15550001111', extra: 1 })).status).toBe(400);
    expect((await p.store.request('POST', '/v1/erasure-requests', { body: { waId: '15550001111' } })).status).toBe(401);
    expect((await p.store.request('GET', '/v1/erasure-requests/not-a-uuid', { token })).status).toBe(404);
    expect((await erase(token, { waId: '15550001111' }, { 'Idempotency-Key': 'bad key!' })).status).toBe(400);

    const [first, second] = [p.newCustomer(), p.newCustomer()];
    const keyed = await erase(token, { waId: first }, { 'Idempotency-Key': `erase-${first}` });
    expect(keyed.status).toBe(202);
    const retried = await erase(token, { phoneNumber: `+${first}` }, { 'Idempotency-Key': `erase-${first}` });
    expect(retried).toMatchObject({ status: 200, body: { id: keyed.body.id } });
    const reusedAt = Date.now();
    const reused = await erase(token, { waId: second }, { 'Idempotency-Key': `erase-${first}` });
    const done = await completed(token, keyed.body.id);
    if (reused.status === 200) {
      // Documented: a completed request no longer holds the number, so its key answers with it
      // unchecked. That is only allowed when the request had completed before the reuse was sent
      // (a request for a customer with no data can complete within a few milliseconds).
      expect(reused.body.id).toBe(keyed.body.id);
      expect(Date.parse(done.completedAt)).toBeLessThanOrEqual(reusedAt);
    } else {
      expect({ status: reused.status, code: reused.body.error?.code }).toEqual({
        status: 409,
        code: 'idempotency_key_reused',
      });
    }
  }, 120_000);
});
