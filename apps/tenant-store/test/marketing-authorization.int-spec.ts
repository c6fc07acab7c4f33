import { randomBytes } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { Client } from 'pg';
import { AdReferral, adsPhoneHash, MarketingAuthorizedEvent, MessageEvent, Topics } from '@custody/contracts';
import { testKafka, testTopic, uniqueDigits } from '@custody/testing';
import { startSandbox, SandboxHarness } from '../../../test/support/sandbox.harness';
import { startTenantStore, TenantStoreHarness, TestTenant } from '../../../test/support/tenant-store.harness';
import { inboundMessage, publishInbound } from '../../../test/support/messages';
import { platformSql } from '../../../test/support/sql';
import { waitFor } from '../../../test/support/wait';

const AUDIENCE_USE = 'marketing.advertising.first_party.targeted';
const CONVERSION_USE = 'analytics.reporting.ad_performance';
const SECRET_BODY = 'my order number is 4711 and my address is secret';

describe('tenant marketing authorization (real Kafka and PostgreSQL)', () => {
  let ts: TenantStoreHarness;
  let sandbox: SandboxHarness;
  let consumer: Consumer;
  /** The ad account of the tenant admin token made last (see adminOf). */
  let account = '';
  /** Everything on this file's marketing.authorized topic since its start, read by a fresh group. */
  const seen: Array<{ key: string; event: MarketingAuthorizedEvent }> = [];

  beforeAll(async () => {
    sandbox = await startSandbox();
    ts = await startTenantStore({ adsUrl: `${sandbox.url}/ads` });
    consumer = testKafka().consumer({ groupId: `test-marketing-${randomBytes(6).toString('hex')}` });
    await consumer.connect();
    await consumer.subscribe({ topic: testTopic(Topics.MarketingAuthorized), fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        seen.push({
          key: message.key!.toString(),
          event: JSON.parse(message.value!.toString()) as MarketingAuthorizedEvent,
        });
        return Promise.resolve();
      },
    });
  });
  afterAll(async () => {
    await consumer?.disconnect();
    await ts?.close();
    await sandbox?.close();
  });

  /**
   * A tenant admin token of the tenant, after it registered its own ad account's token (issued by
   * the sandbox's ads platform); `audience()` then uses that account.
   */
  const adminOf = async (tenant: TestTenant): Promise<string> => {
    const token = await tenant.token();
    account = `act_${uniqueDigits(12)}`;
    const registered = await ts.request('PUT', `/v1/marketing/ads-accounts/${account}`, {
      token,
      body: { accessToken: await sandbox.adsTokenFor(account) },
    });
    expect(registered.status).toBe(200);
    return token;
  };

  const eventsOf = (tenantId: string, type?: MarketingAuthorizedEvent['type']) =>
    seen.filter((s) => s.event.tenantId === tenantId && (!type || s.event.type === type));
  const candidateIds = (tenantId: string) =>
    eventsOf(tenantId, 'marketing.candidate')
      .map((s) => s.event.eventId)
      .sort();

  const inbound = (tenant: TestTenant, waId: string, referral?: AdReferral): Promise<MessageEvent> =>
    inboundMessage(tenant, waId, { body: SECRET_BODY, profileName: 'Ann Example', referral });

  /** Sends the messages and waits until tenant-store has stored them. */
  const store = async (tenant: TestTenant, token: string, ...events: MessageEvent[]) => {
    await publishInbound(events);
    for (const e of events) {
      await waitFor(`message ${e.messageId} stored`, async () => {
        const res = await ts.request('GET', `/v1/conversations/${e.conversationId}`, { token });
        return res.status === 200 && (res.body.messages as Array<{ id: string }>).some((m) => m.id === e.messageId);
      });
    }
  };

  const audience = () => ({
    kind: 'customer_list_audience',
    adAccountId: account,
    audienceId: uniqueDigits(17),
  });

  it('publishes nothing by default, then exactly one minimized candidate per message and authorization in scope, and stops on withdrawal', async () => {
    const a = await ts.newTenant();
    const token = await adminOf(a);
    const [ann, bob, cid] = [uniqueDigits(11), uniqueDigits(11), uniqueDigits(11)];

    // Default: nothing authorized, nothing published.
    expect((await ts.request('GET', '/v1/marketing/authorizations', { token })).body).toEqual({ data: [] });
    const before = await inbound(a, ann);
    await store(a, token, before);

    // Version 1 of an audience authorization covering all conversations.
    const body = { destination: audience(), dataUses: [AUDIENCE_USE], scope: 'all' };
    const created = await ts.request('POST', '/v1/marketing/authorizations', { token, body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      version: 1,
      status: 'active',
      destination: {
        kind: 'customer_list_audience',
        adAccountId: body.destination.adAccountId,
        audienceId: body.destination.audienceId,
      },
      dataUses: [AUDIENCE_USE],
      scope: 'all',
      label: null,
      appliesTo: { e2e: false, hostedBy: 'custody' },
    });
    const all = created.body.id as string;
    // Retrying the same request records nothing new; a different one for the same destination is a conflict.
    const retried = await ts.request('POST', '/v1/marketing/authorizations', { token, body });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: all, version: 1 });
    const clash = await ts.request('POST', '/v1/marketing/authorizations', {
      token,
      body: { ...body, scope: 'ad_referral' },
    });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('authorization_exists');

    const v1 = await waitFor('authorization v1 event', async () =>
      eventsOf(a.id, 'marketing.authorization').find((s) => s.event.eventId === `${all}:v1`),
    );
    expect(v1.key).toBe(`${a.id}:authorization:${all}`);
    expect(v1.event.authorization).toEqual({
      authorizationId: all,
      version: 1,
      status: 'active',
      destination: created.body.destination,
      dataUses: [AUDIENCE_USE],
      scope: 'all',
    });

    // A customer arriving from an ad: one candidate, no body, the custody marking, the referral.
    const referral = {
      sourceId: '120210000000000001',
      sourceType: 'ad',
      ctwaClid: `clid-${randomBytes(6).toString('hex')}`,
    };
    const fromAd = await inbound(a, bob, referral);
    await store(a, token, fromAd);
    const candidate = await waitFor('candidate', async () =>
      eventsOf(a.id, 'marketing.candidate').find((s) => s.event.eventId === `${all}:${fromAd.messageId}`),
    );
    expect(candidate.key).toBe(`${a.id}:${fromAd.conversationId}`);
    expect(candidate.event.candidate).toEqual({
      authorizationId: all,
      authorizationVersion: 1,
      destination: created.body.destination,
      dataUses: [AUDIENCE_USE],
      messageId: fromAd.messageId,
      conversationId: fromAd.conversationId,
      phoneNumberId: a.phoneNumberId,
      // By reference and ads match key only: the number is neither in clear nor sealed here.
      customer: { ref: fromAd.customer.ref, memberHash: adsPhoneHash(bob) },
      origin: 'customer',
      networkTimestamp: fromAd.networkTimestamp,
      referral,
      custody: { e2e: false, hostedBy: 'custody' },
    });
    const raw = JSON.stringify(candidate.event);
    expect(raw).not.toContain(SECRET_BODY);
    expect(raw).not.toContain('Ann Example');
    expect(raw).not.toContain(bob);
    // The conversation remembers the referral.
    const conversation = await ts.request('GET', `/v1/conversations/${fromAd.conversationId}`, { token });
    expect(conversation.body.referral).toMatchObject({ ctwaClid: referral.ctwaClid });
    expect(conversation.body.labels).toEqual([]);

    // A replayed message event produces no second candidate.
    await publishInbound([fromAd]);

    // Scoped authorizations: conversions for ad-referral conversations, another audience for label `vip`.
    const adScoped = await ts.request('POST', '/v1/marketing/authorizations', {
      token,
      body: {
        destination: {
          kind: 'conversions_dataset',
          adAccountId: body.destination.adAccountId,
          datasetId: uniqueDigits(16),
        },
        dataUses: [CONVERSION_USE],
        scope: 'ad_referral',
      },
    });
    expect(adScoped.status).toBe(201);
    const vipScoped = await ts.request('POST', '/v1/marketing/authorizations', {
      token,
      body: { destination: audience(), dataUses: [AUDIENCE_USE], scope: 'label', label: 'vip' },
    });
    expect(vipScoped.status).toBe(201);
    const [ads, vip] = [adScoped.body.id as string, vipScoped.body.id as string];

    const annPlain = await inbound(a, ann);
    await store(a, token, annPlain);
    const labelled = await ts.request('PUT', `/v1/conversations/${annPlain.conversationId}/labels`, {
      token,
      body: { labels: ['vip', 'spring'] },
    });
    expect(labelled.status).toBe(200);
    expect(labelled.body).toEqual({ conversationId: annPlain.conversationId, labels: ['spring', 'vip'] });
    const annVip = await inbound(a, ann);
    const bobAgain = await inbound(a, bob);
    await store(a, token, annVip, bobAgain);
    expect(
      (await ts.request('GET', `/v1/conversations?label=vip`, { token })).body.data.map((c: { id: string }) => c.id),
    ).toEqual([annPlain.conversationId]);

    // Withdraw the `all` authorization: version 2, published; withdrawing again records nothing.
    const withdrawn = await ts.request('DELETE', `/v1/marketing/authorizations/${all}`, { token });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({ id: all, version: 2, status: 'withdrawn', scope: 'all' });
    expect((await ts.request('DELETE', `/v1/marketing/authorizations/${all}`, { token })).body).toMatchObject({
      version: 2,
      status: 'withdrawn',
    });
    const v2 = await waitFor('authorization v2 event', async () =>
      eventsOf(a.id, 'marketing.authorization').find((s) => s.event.eventId === `${all}:v2`),
    );
    expect(v2.event.authorization).toMatchObject({ authorizationId: all, version: 2, status: 'withdrawn' });

    const afterWithdrawal = await inbound(a, ann);
    const cidFromAd = await inbound(a, cid, { ctwaClid: 'clid-late' });
    await store(a, token, afterWithdrawal, cidFromAd);
    // Removing the label takes the conversation out of the `vip` scope again.
    const unlabelled = await ts.request('DELETE', `/v1/conversations/${annPlain.conversationId}/labels/vip`, { token });
    expect(unlabelled.body.labels).toEqual(['spring']);
    const unlabelledMessage = await inbound(a, ann);
    await store(a, token, unlabelledMessage);

    const expected = [
      `${all}:${fromAd.messageId}`,
      `${all}:${annPlain.messageId}`,
      `${all}:${annVip.messageId}`,
      `${all}:${bobAgain.messageId}`,
      `${ads}:${bobAgain.messageId}`,
      `${vip}:${annVip.messageId}`,
      `${vip}:${afterWithdrawal.messageId}`,
      `${ads}:${cidFromAd.messageId}`,
    ].sort();
    await waitFor('all expected candidates', async () => candidateIds(a.id).length >= expected.length);
    // Give a stray (wrong) candidate time to show up before asserting the exact set.
    await new Promise((r) => setTimeout(r, 1500));
    expect(candidateIds(a.id)).toEqual(expected);
    expect(
      eventsOf(a.id, 'marketing.candidate').find((s) => s.event.eventId === `${ads}:${cidFromAd.messageId}`)!.event
        .candidate!.referral,
    ).toEqual({ ctwaClid: 'clid-late' });

    // The log: every version, who and when.
    const log = await ts.request('GET', `/v1/marketing/authorizations/${all}/versions`, { token });
    expect(log.status).toBe(200);
    expect(log.body.versions).toEqual([
      expect.objectContaining({
        version: 1,
        status: 'active',
        dataUses: [AUDIENCE_USE],
        scope: 'all',
        label: null,
        actor: `client:${a.clientId}`,
      }),
      expect.objectContaining({ version: 2, status: 'withdrawn', actor: `client:${a.clientId}` }),
    ]);
    expect(Date.parse(log.body.versions[1].createdAt)).toBeGreaterThanOrEqual(
      Date.parse(log.body.versions[0].createdAt),
    );

    // PUT makes a new version (here: re-activates with other terms); the same terms again make none.
    const reactivated = await ts.request('PUT', `/v1/marketing/authorizations/${all}`, {
      token,
      body: { dataUses: [AUDIENCE_USE], scope: 'label', label: 'spring' },
    });
    expect(reactivated.body).toMatchObject({ version: 3, status: 'active', scope: 'label', label: 'spring' });
    const same = await ts.request('PUT', `/v1/marketing/authorizations/${all}`, {
      token,
      body: { dataUses: [AUDIENCE_USE], scope: 'label', label: 'spring' },
    });
    expect(same.body.version).toBe(3);
    const listed = await ts.request('GET', '/v1/marketing/authorizations?status=active', { token });
    expect(listed.body.data.map((x: { id: string }) => x.id).sort()).toEqual([all, ads, vip].sort());
  });

  it("keeps tenants apart: another tenant's authorizations and conversations are not found", async () => {
    const [a, b] = [await ts.newTenant(), await ts.newTenant()];
    const tokenA = await adminOf(a);
    const accountA = account;
    const tokenB = await adminOf(b);
    const accountB = account;
    const created = await ts.request('POST', '/v1/marketing/authorizations', {
      token: tokenA,
      body: {
        destination: { kind: 'customer_list_audience', adAccountId: accountA, audienceId: uniqueDigits(17) },
        dataUses: [AUDIENCE_USE],
        scope: 'all',
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const message = await inbound(a, uniqueDigits(11));
    await store(a, tokenA, message);

    for (const [method, path, body] of [
      ['GET', `/v1/marketing/authorizations/${id}`, undefined],
      ['GET', `/v1/marketing/authorizations/${id}/versions`, undefined],
      ['PUT', `/v1/marketing/authorizations/${id}`, { dataUses: [AUDIENCE_USE], scope: 'all' }],
      ['DELETE', `/v1/marketing/authorizations/${id}`, undefined],
      ['PUT', `/v1/conversations/${message.conversationId}/labels`, { labels: ['vip'] }],
      ['DELETE', `/v1/conversations/${message.conversationId}/labels/vip`, undefined],
    ] as const) {
      const res = await ts.request(method, path, { token: tokenB, body });
      expect({ method, path, status: res.status, code: res.body.error?.code }).toEqual({
        method,
        path,
        status: 404,
        code: 'not_found',
      });
    }
    expect((await ts.request('GET', '/v1/marketing/authorizations', { token: tokenB })).body).toEqual({ data: [] });
    // A's authorization is untouched by B's attempts.
    const still = await ts.request('GET', `/v1/marketing/authorizations/${id}`, { token: tokenA });
    expect(still.body).toMatchObject({ version: 1, status: 'active' });
    // And B cannot target A's audience: not under A's ad account (B has no token for it), not
    // under its own (the ads platform shows the audience as A's), nor at all once A holds it.
    const sameDestination = await ts.request('POST', '/v1/marketing/authorizations', {
      token: tokenB,
      body: { destination: created.body.destination, dataUses: [AUDIENCE_USE], scope: 'all' },
    });
    expect(sameDestination.status).toBe(400); // destinationId is not an input field
    const attempt = (adAccountId: string) =>
      ts.request('POST', '/v1/marketing/authorizations', {
        token: tokenB,
        body: {
          destination: { kind: 'customer_list_audience', adAccountId, audienceId: created.body.destination.audienceId },
          dataUses: [AUDIENCE_USE],
          scope: 'all',
        },
      });
    const underA = await attempt(accountA);
    expect({ status: underA.status, code: underA.body.error?.code }).toEqual({
      status: 403,
      code: 'ads_credential_missing',
    });
    const underB = await attempt(accountB);
    expect({ status: underB.status, code: underB.body.error?.code }).toEqual({
      status: 403,
      code: 'destination_not_owned',
    });
    // B registering a token of A's ad account is refused by the platform (a token of B's account).
    const borrowed = await ts.request('PUT', `/v1/marketing/ads-accounts/${accountA}`, {
      token: tokenB,
      body: { accessToken: await sandbox.adsTokenFor(accountB) },
    });
    expect({ status: borrowed.status, code: borrowed.body.error?.code }).toEqual({
      status: 400,
      code: 'ads_credential_rejected',
    });
    expect(JSON.stringify(borrowed.body)).not.toContain('SBX');
    expect((await ts.request('GET', '/v1/marketing/authorizations', { token: tokenB })).body).toEqual({ data: [] });
  });

  it('keeps ads credentials secret, binds an audience to one tenant even for a shared ad account, and needs a credential', async () => {
    const [a, c] = [await ts.newTenant(), await ts.newTenant()];
    const tokenA = await adminOf(a);
    const shared = account;
    const tokenC = await c.token();
    const accessToken = await sandbox.adsTokenFor(shared);
    const registered = await ts.request('PUT', `/v1/marketing/ads-accounts/${shared}`, {
      token: tokenC,
      body: { accessToken },
    });
    expect(registered.status).toBe(200);
    expect(Object.keys(registered.body).sort()).toEqual(['adAccountId', 'createdAt', 'updatedAt', 'verifiedAt']);
    const listed = await ts.request('GET', '/v1/marketing/ads-accounts', { token: tokenC });
    expect(listed.body.data.map((x: { adAccountId: string }) => x.adAccountId)).toEqual([shared]);
    expect(JSON.stringify(listed.body)).not.toContain(accessToken);
    // Stored encrypted: the token is nowhere in the table in clear.
    const stored = await platformSql<{ token_ciphertext: string }>(
      `SELECT token_ciphertext FROM tenant_store.marketing_ads_credentials WHERE tenant_id = $1`,
      [c.id],
    );
    expect(stored).toHaveLength(1);
    expect(stored[0].token_ciphertext).toMatch(/^v1\./);
    expect(stored[0].token_ciphertext).not.toContain(accessToken);

    const audienceId = uniqueDigits(17);
    const body = {
      destination: { kind: 'customer_list_audience', adAccountId: shared, audienceId },
      dataUses: [AUDIENCE_USE],
      scope: 'all',
    };
    expect((await ts.request('POST', '/v1/marketing/authorizations', { token: tokenA, body })).status).toBe(201);
    // C's token reaches the audience too (same ad account), but in Custody it is A's.
    const taken = await ts.request('POST', '/v1/marketing/authorizations', { token: tokenC, body });
    expect({ status: taken.status, code: taken.body.error?.code }).toEqual({ status: 409, code: 'destination_taken' });

    // Without a credential there is no authorization; a bad token or account answers 400.
    expect((await ts.request('DELETE', `/v1/marketing/ads-accounts/${shared}`, { token: tokenC })).status).toBe(204);
    expect((await ts.request('DELETE', `/v1/marketing/ads-accounts/${shared}`, { token: tokenC })).status).toBe(404);
    const other = { ...body, destination: { ...body.destination, audienceId: uniqueDigits(17) } };
    const missing = await ts.request('POST', '/v1/marketing/authorizations', { token: tokenC, body: other });
    expect({ status: missing.status, code: missing.body.error?.code }).toEqual({
      status: 403,
      code: 'ads_credential_missing',
    });
    const wrong = await ts.request('PUT', `/v1/marketing/ads-accounts/${shared}`, {
      token: tokenC,
      body: { accessToken: 'not-a-token-of-the-platform' },
    });
    expect({ status: wrong.status, code: wrong.body.error?.code }).toEqual({
      status: 400,
      code: 'ads_credential_rejected',
    });
    expect(JSON.stringify(wrong.body)).not.toContain('not-a-token-of-the-platform');
    const badAccount = await ts.request('PUT', '/v1/marketing/ads-accounts/12345', {
      token: tokenC,
      body: { accessToken },
    });
    expect(badAccount.status).toBe(400);
    expect(JSON.stringify(badAccount.body)).not.toContain(accessToken);
  });

  it('offboarding withdraws the active authorizations (published) and deletes every marketing row of the tenant', async () => {
    const a = await ts.newTenant();
    const token = await adminOf(a);
    const created = await ts.request('POST', '/v1/marketing/authorizations', {
      token,
      body: { destination: audience(), dataUses: [AUDIENCE_USE], scope: 'all' },
    });
    const id = created.body.id as string;
    const message = await inbound(a, uniqueDigits(11));
    await store(a, token, message);
    await ts.request('PUT', `/v1/conversations/${message.conversationId}/labels`, { token, body: { labels: ['vip'] } });
    await waitFor('candidate', async () => candidateIds(a.id).includes(`${id}:${message.messageId}`));

    const report = await ts.request('DELETE', `/v1/tenants/${a.id}`, {
      token: await ts.operatorToken(),
      body: { confirmBusinessAccountId: a.businessAccountId },
    });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ conversations: 1, marketingAuthorizations: 1 });
    const withdrawn = await waitFor('withdrawal event', async () =>
      eventsOf(a.id, 'marketing.authorization').find((s) => s.event.eventId === `${id}:v2`),
    );
    expect(withdrawn.event.authorization).toMatchObject({ version: 2, status: 'withdrawn' });

    const db = new Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
    await db.connect();
    try {
      for (const table of [
        'marketing_destinations',
        'marketing_authorizations',
        'marketing_authorization_versions',
        'marketing_ads_credentials',
        'conversations',
      ]) {
        const { rows } = await db.query(`SELECT count(*)::int AS n FROM tenant_store.${table} WHERE tenant_id = $1`, [
          a.id,
        ]);
        expect({ table, n: rows[0].n }).toEqual({ table, n: 0 });
      }
    } finally {
      await db.end();
    }
  });

  it('concurrent identical requests make one authorization and one version; the log cannot be rewritten', async () => {
    const a = await ts.newTenant();
    const token = await adminOf(a);
    const body = { destination: audience(), dataUses: [AUDIENCE_USE], scope: 'all' };
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => ts.request('POST', '/v1/marketing/authorizations', { token, body })),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);
    const id = answers[0].body.id as string;
    const withdrawals = await Promise.all(
      Array.from({ length: 4 }, () => ts.request('DELETE', `/v1/marketing/authorizations/${id}`, { token })),
    );
    expect(withdrawals.every((r) => r.status === 200 && r.body.version === 2)).toBe(true);
    const log = await ts.request('GET', `/v1/marketing/authorizations/${id}/versions`, { token });
    expect(log.body.versions.map((v: { version: number; status: string }) => `${v.version}:${v.status}`)).toEqual([
      '1:active',
      '2:withdrawn',
    ]);
    await waitFor('both versions published', async () => eventsOf(a.id, 'marketing.authorization').length >= 2);
    await new Promise((r) => setTimeout(r, 500));
    expect(
      eventsOf(a.id, 'marketing.authorization')
        .map((s) => s.event.eventId)
        .sort(),
    ).toEqual([`${id}:v1`, `${id}:v2`]);

    // The application's own database role cannot rewrite a recorded version.
    const db = new Client({ connectionString: process.env.TENANT_STORE_DATABASE_URL || process.env.DATABASE_URL });
    await db.connect();
    try {
      await db.query('BEGIN');
      await db.query(`SELECT tenant_store.custody_enter_tenant($1)`, [a.id]);
      await expect(
        db.query(
          `UPDATE tenant_store.marketing_authorization_versions SET status = 'active' WHERE authorization_id = $1`,
          [id],
        ),
      ).rejects.toThrow(/immutable/);
      await db.query('ROLLBACK');
    } finally {
      await db.end();
    }
  });

  it('answers bad input with 400 in the error shape and records nothing; requires a tenant admin token', async () => {
    const a = await ts.newTenant();
    const token = await adminOf(a);
    const post = (body: unknown) => ts.request('POST', '/v1/marketing/authorizations', { token, body });
    const cases: Array<[unknown, RegExp]> = [
      [{ destination: audience(), dataUses: [AUDIENCE_USE], scope: 'label' }, /label is required when scope is label/],
      [
        { destination: audience(), dataUses: [AUDIENCE_USE], scope: 'all', label: 'vip' },
        /label is not allowed when scope is all/,
      ],
      [{ destination: audience(), dataUses: ['Marketing Ads!'], scope: 'all' }, /dataUses must be a data use key/],
      [{ destination: audience(), dataUses: [], scope: 'all' }, /dataUses must contain at least 1/],
      [{ destination: audience(), dataUses: [AUDIENCE_USE], scope: 'everyone' }, /scope must be one of/],
      [
        { destination: { ...audience(), adAccountId: '12345' }, dataUses: [AUDIENCE_USE], scope: 'all' },
        /adAccountId must be act_/,
      ],
      [
        {
          destination: { kind: 'customer_list_audience', adAccountId: 'act_1' },
          dataUses: [AUDIENCE_USE],
          scope: 'all',
        },
        /audienceId is required/,
      ],
      [
        {
          destination: { kind: 'conversions_dataset', adAccountId: 'act_1', datasetId: '1', audienceId: '2' },
          dataUses: [CONVERSION_USE],
          scope: 'all',
        },
        /audienceId is not allowed/,
      ],
      [
        { destination: audience(), dataUses: [AUDIENCE_USE], scope: 'all', extra: true },
        /property extra should not exist/,
      ],
    ];
    for (const [body, detail] of cases) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ status: 400, code: 'validation_failed' });
      expect(res.body.error.details.join('\n')).toMatch(detail);
    }
    expect((await ts.request('GET', '/v1/marketing/authorizations', { token })).body).toEqual({ data: [] });
    const created = await post({ destination: audience(), dataUses: [AUDIENCE_USE], scope: 'all' });
    const badPut = await ts.request('PUT', `/v1/marketing/authorizations/${created.body.id}`, {
      token,
      body: { dataUses: [AUDIENCE_USE], scope: 'label' },
    });
    expect(badPut.status).toBe(400);
    expect(
      (await ts.request('GET', `/v1/marketing/authorizations/${created.body.id}/versions`, { token })).body.versions,
    ).toHaveLength(1);
    expect((await ts.request('GET', '/v1/marketing/authorizations/not-a-uuid', { token })).status).toBe(404);
    expect(
      (await ts.request('GET', '/v1/marketing/authorizations/6f1c1f9e-7a40-4a43-9e8e-3f6a1c2b9d10', { token })).status,
    ).toBe(404);
    const badLabel = await ts.request('PUT', `/v1/conversations/6f1c1f9e-7a40-4a43-9e8e-3f6a1c2b9d10/labels`, {
      token,
      body: { labels: ['no spaces allowed'] },
    });
    expect(badLabel.status).toBe(400);
    expect(badLabel.body.error.details.join('\n')).toMatch(/labels must be 1-64 characters/);

    expect((await ts.request('GET', '/v1/marketing/authorizations')).status).toBe(401);
    expect((await ts.request('GET', '/v1/marketing/authorizations', { token: await ts.operatorToken() })).status).toBe(
      403,
    );
  });
});
