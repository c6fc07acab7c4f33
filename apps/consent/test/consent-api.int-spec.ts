import { uniqueDigits } from '@custody/testing';
import { ConsentHarness, ConsentTenant, startConsent } from '../../../test/support/consent.harness';

describe('consent API: purposes, wordings, prompts and records (real PostgreSQL and Kafka)', () => {
  let h: ConsentHarness;
  beforeAll(async () => {
    h = await startConsent();
  });
  afterAll(async () => {
    await h?.close();
  });

  const post = (t: ConsentTenant, path: string, body: unknown, headers?: Record<string, string>) =>
    h.request('POST', path, { token: t.admin, body, headers });
  const get = (t: ConsentTenant, path: string) => h.request('GET', path, { token: t.admin });
  const logSize = async (t: ConsentTenant): Promise<number> => (await get(t, '/v1/audit/logs')).body.data[0].size;

  async function tenantWithPurposes(): Promise<ConsentTenant> {
    const t = await h.newTenant();
    const ads = await post(t, '/v1/consent/purposes', {
      key: 'ads',
      dataUse: 'marketing.advertising',
      wording: { language: 'en', text: 'We may use our chats with you to show you our ads.' },
    });
    expect(ads.status).toBe(201);
    expect(
      (
        await post(t, '/v1/consent/purposes', {
          key: 'support-analytics',
          dataUse: 'analytics.reporting',
          wording: { language: 'en', text: 'We analyse chats to improve support.' },
        })
      ).status,
    ).toBe(201);
    return t;
  }

  async function promptAndGrant(t: ConsentTenant, waId: string, purposes = ['ads']) {
    const prompt = await post(t, '/v1/consent/prompts', {
      customer: { waId },
      language: 'en',
      purposes,
      messageId: `wamid.optin${uniqueDigits(12)}`,
    });
    expect(prompt.status).toBe(201);
    const grant = await post(t, '/v1/consent/records', {
      customer: { waId },
      purpose: purposes[0],
      action: 'grant',
      method: 'in_chat_button',
      promptId: prompt.body.id,
      evidence: { messageId: `wamid.tap${uniqueDigits(12)}` },
    });
    expect(grant.status).toBe(201);
    return { prompt: prompt.body, grant: grant.body };
  }

  it('defines purposes with immutable, content-addressed wording versions', async () => {
    const t = await tenantWithPurposes();
    const purpose = (await get(t, '/v1/consent/purposes/ads')).body;
    expect(purpose).toMatchObject({
      key: 'ads',
      dataUse: 'marketing.advertising',
      current: [{ language: 'en', version: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) }],
    });

    const same = await post(t, '/v1/consent/purposes/ads/wordings', {
      language: 'en',
      text: 'We may use our chats with you to show you our ads.',
    });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ version: 1, hash: purpose.current[0].hash });

    const changed = await post(t, '/v1/consent/purposes/ads/wordings', {
      language: 'en',
      text: 'We may use our chats to show you our ads on Facebook.',
    });
    expect(changed.status).toBe(201);
    expect(changed.body.version).toBe(2);
    expect(changed.body.hash).not.toBe(purpose.current[0].hash);
    const french = await post(t, '/v1/consent/purposes/ads/wordings', {
      language: 'fr',
      text: 'Nous pouvons utiliser nos échanges pour vous montrer nos publicités.',
    });
    expect(french.body).toMatchObject({ language: 'fr', version: 1 });

    const all = (await get(t, '/v1/consent/purposes/ads')).body;
    expect(all.wordings.map((w: { language: string; version: number }) => `${w.language}${w.version}`)).toEqual([
      'en1',
      'en2',
      'fr1',
    ]);
    expect(all.current.map((w: { version: number }) => w.version).sort()).toEqual([1, 2]);

    expect((await post(t, '/v1/consent/purposes', { key: 'ads', dataUse: 'marketing' })).status).toBe(409);
    const bad = await post(t, '/v1/consent/purposes', { key: 'Bad Key', dataUse: 'Marketing', extra: true });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual(
      expect.arrayContaining([
        expect.stringContaining('key'),
        expect.stringContaining('dataUse'),
        expect.stringContaining('extra'),
      ]),
    );
    expect((await get(t, '/v1/consent/purposes/nope')).status).toBe(404);
  });

  it('grant → state → check covers descendants only; nothing recorded means no consent (fail closed)', async () => {
    const t = await tenantWithPurposes();
    const waId = uniqueDigits(11);
    const before = await get(t, `/v1/consent/check?waId=${waId}&dataUse=marketing.advertising.first_party.targeted`);
    expect(before.body).toEqual({ allowed: false, reason: 'no_consent' });
    const none = (await get(t, `/v1/consent/customers/${waId}`)).body;
    expect(none.purposes.map((p: { status: string }) => p.status)).toEqual(['none', 'none']);

    const { prompt, grant } = await promptAndGrant(t, waId);
    expect(grant).toMatchObject({ kind: 'consent.granted', leafIndex: prompt.leafIndex + 1, subject: prompt.subject });
    expect(grant.entry).toMatchObject({
      method: 'in_chat_button',
      prompt: prompt.id,
      purpose: { key: 'ads', version: 1 },
    });
    expect(JSON.stringify(grant)).not.toContain(waId);

    const state = (await get(t, `/v1/consent/customers/${waId}`)).body;
    expect(state.purposes).toEqual([
      expect.objectContaining({
        purpose: 'ads',
        status: 'granted',
        wordingHash: prompt.entry.purposes[0].wordingHash,
        eventId: grant.id,
      }),
      expect.objectContaining({ purpose: 'support-analytics', status: 'none' }),
    ]);
    const check = (dataUse: string) => get(t, `/v1/consent/check?waId=${waId}&dataUse=${dataUse}`).then((r) => r.body);
    expect(await check('marketing.advertising.first_party.targeted')).toMatchObject({
      allowed: true,
      reason: 'granted',
      basis: { purpose: 'ads', eventId: grant.id },
    });
    expect(await check('marketing.advertising')).toMatchObject({ allowed: true });
    expect(await check('marketing')).toMatchObject({ allowed: false, reason: 'no_consent' });
    expect(await check('analytics.reporting.ad_performance')).toMatchObject({ allowed: false });

    const revoke = await post(t, '/v1/consent/records', {
      customer: { waId },
      purpose: 'ads',
      action: 'revoke',
      method: 'api',
    });
    expect(revoke.status).toBe(201);
    expect(revoke.body.entry.purpose.wordingHash).toBe(prompt.entry.purposes[0].wordingHash);
    expect(await check('marketing.advertising.first_party.targeted')).toMatchObject({
      allowed: false,
      reason: 'revoked',
    });
    const history = (await get(t, `/v1/consent/customers/${waId}/history`)).body;
    expect(history.entries.map((e: { kind: string }) => e.kind)).toEqual([
      'consent.prompted',
      'consent.granted',
      'consent.revoked',
    ]);
  });

  it('a wording change makes a new version; consents given before keep pointing at the old one', async () => {
    const t = await tenantWithPurposes();
    const early = uniqueDigits(11);
    const { prompt: oldPrompt } = await promptAndGrant(t, early);
    const oldHash = oldPrompt.entry.purposes[0].wordingHash;

    const v2 = await post(t, '/v1/consent/purposes/ads/wordings', {
      language: 'en',
      text: 'New wording: we show you our ads on Instagram too.',
    });
    expect(v2.body.version).toBe(2);
    const late = uniqueDigits(11);
    const { grant: newGrant } = await promptAndGrant(t, late);
    expect(newGrant.entry.purpose).toMatchObject({ version: 2, wordingHash: v2.body.hash });

    const earlyState = (await get(t, `/v1/consent/customers/${early}`)).body.purposes[0];
    expect(earlyState).toMatchObject({ status: 'granted', wordingHash: oldHash });
    const earlyHistory = (await get(t, `/v1/consent/customers/${early}/history`)).body.entries;
    expect(earlyHistory[1].entry.purpose).toMatchObject({ version: 1, wordingHash: oldHash });
    // The old version is still there, unchanged, to be shown to an auditor.
    const wordings = (await get(t, `/v1/audit/logs/${t.id}/wordings`)).body.data.filter(
      (w: { purpose: string }) => w.purpose === 'ads',
    );
    expect(wordings.map((w: { hash: string }) => w.hash)).toEqual([oldHash, v2.body.hash]);
  });

  it('refuses bad input with a clear 4xx and appends nothing', async () => {
    const t = await tenantWithPurposes();
    const other = await tenantWithPurposes();
    const waId = uniqueDigits(11);
    const { prompt } = await promptAndGrant(t, waId);
    const { prompt: foreignPrompt } = await promptAndGrant(other, waId);
    const analyticsOnly = await post(t, '/v1/consent/prompts', {
      customer: { waId },
      language: 'en',
      purposes: ['support-analytics'],
    });
    const size = await logSize(t);
    const base = { customer: { waId }, purpose: 'ads', action: 'grant', method: 'api', promptId: prompt.id };

    const cases: Array<[string, unknown, number, string]> = [
      ['unknown purpose', { ...base, purpose: 'nope' }, 400, 'unknown_purpose'],
      ['unknown prompt', { ...base, promptId: '00000000-0000-4000-8000-000000000000' }, 400, 'unknown_prompt'],
      ['another tenant’s prompt', { ...base, promptId: foreignPrompt.id }, 400, 'unknown_prompt'],
      ['another customer’s prompt', { ...base, customer: { waId: uniqueDigits(11) } }, 400, 'prompt_mismatch'],
      ['a grant without a prompt', { ...base, promptId: undefined }, 400, 'prompt_required'],
      ['a wording never shown', { ...base, promptId: analyticsOnly.body.id }, 400, 'wording_not_shown'],
      ['tenant_recorded without evidence', { ...base, method: 'tenant_recorded' }, 400, 'invalid_evidence'],
      ['button without its message id', { ...base, method: 'in_chat_button', evidence: {} }, 400, 'invalid_evidence'],
      [
        'malformed evidence',
        { ...base, method: 'tenant_recorded', evidence: { type: 'fax', reference: 'has spaces', sha256: 'xyz' } },
        400,
        'validation_failed',
      ],
      ['a keyword method via the API', { ...base, method: 'in_chat_keyword' }, 400, 'validation_failed'],
      ['a future time', { ...base, occurredAt: '2999-01-01T00:00:00Z' }, 400, 'validation_failed'],
      ['a time before the prompt', { ...base, occurredAt: '2001-01-01T00:00:00Z' }, 400, 'validation_failed'],
      ['a malformed customer', { ...base, customer: { waId: '+1 555' } }, 400, 'validation_failed'],
      ['a prompt for an unknown purpose', null, 400, 'unknown_purpose'],
      ['a prompt in a language without wording', null, 400, 'no_wording'],
    ];
    for (const [what, body, status, code] of cases) {
      let res;
      if (what === 'a prompt for an unknown purpose') {
        res = await post(t, '/v1/consent/prompts', { customer: { waId }, language: 'en', purposes: ['ads', 'nope'] });
      } else if (what === 'a prompt in a language without wording') {
        res = await post(t, '/v1/consent/prompts', { customer: { waId }, language: 'de', purposes: ['ads'] });
      } else {
        res = await post(t, '/v1/consent/records', body);
      }
      expect({ what, status: res.status, code: res.body.error?.code }).toEqual({ what, status, code });
      expect(res.body.error.message).toEqual(expect.any(String));
    }
    expect(await logSize(t)).toBe(size);
    expect((await get(t, `/v1/consent/customers/${waId}`)).body.purposes[0]).toMatchObject({ status: 'granted' });
  });

  it('a request repeated with the same Idempotency-Key appends once; another body with that key is a 409', async () => {
    const t = await tenantWithPurposes();
    const waId = uniqueDigits(11);
    const { prompt } = await promptAndGrant(t, waId);
    const body = {
      customer: { waId },
      purpose: 'ads',
      action: 'revoke',
      method: 'tenant_recorded',
      evidence: { type: 'email', reference: 'ticket-991' },
    };
    const size = await logSize(t);
    const first = await post(t, '/v1/consent/records', body, { 'idempotency-key': 'revoke-991' });
    const [again, concurrent] = await Promise.all([
      post(t, '/v1/consent/records', body, { 'idempotency-key': 'revoke-991' }),
      post(t, '/v1/consent/records', body, { 'idempotency-key': 'revoke-991' }),
    ]);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(concurrent.body.id).toBe(first.body.id);
    expect(await logSize(t)).toBe(size + 1);

    const conflict = await post(
      t,
      '/v1/consent/records',
      { ...body, purpose: 'support-analytics' },
      { 'idempotency-key': 'revoke-991' },
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency_key_reused');
    const badKey = await post(
      t,
      '/v1/consent/prompts',
      { customer: { waId }, language: 'en', purposes: ['ads'] },
      { 'idempotency-key': 'no spaces allowed' },
    );
    expect(badKey.status).toBe(400);
    expect(await logSize(t)).toBe(size + 1);
    expect(prompt.id).toEqual(expect.any(String));
  });

  it('needs a token and the right role; tenants and auditors only see their own tenant', async () => {
    const t = await tenantWithPurposes();
    const other = await h.newTenant();
    expect((await h.request('GET', '/v1/consent/purposes')).status).toBe(401);
    const auditor = await t.auditorToken();
    const asAuditor = await h.request('POST', '/v1/consent/purposes', {
      token: auditor,
      body: { key: 'x', dataUse: 'marketing' },
    });
    expect(asAuditor.status).toBe(403);
    expect((await h.request('GET', `/v1/audit/logs/${t.id}/tree-head`, { token: auditor })).status).toBe(200);
    const foreign = await h.request('GET', `/v1/audit/logs/${other.id}/tree-head`, { token: auditor });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('forbidden');
    expect((await h.request('GET', `/v1/audit/logs/${t.id}/tree-head`, { token: other.admin })).status).toBe(403);
    const operator = await h.ts.operatorToken();
    expect((await h.request('GET', '/v1/consent/purposes', { token: operator })).status).toBe(403);
    expect((await h.request('GET', `/v1/audit/logs/${t.id}/tree-head`, { token: operator })).status).toBe(403);
  });

  it('gives the operator a platform-wide view of every tenant’s log', async () => {
    const t = await tenantWithPurposes();
    await promptAndGrant(t, uniqueDigits(11));
    const operator = await h.ts.operatorToken();
    let cursor: string | null = null;
    let row: Record<string, unknown> | undefined;
    do {
      const page: { body: { data: Array<Record<string, unknown>>; nextCursor: string | null } } = await h.request(
        'GET',
        `/v1/operator/consent/logs?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
        { token: operator },
      );
      row = page.body.data.find((r) => r.tenantId === t.id);
      cursor = page.body.nextCursor;
    } while (!row && cursor);
    expect(row).toMatchObject({
      tenantId: t.id,
      logSize: 2,
      purposes: 2,
      granted: 1,
      revoked: 0,
      origin: expect.stringContaining(t.id),
    });
    expect((await h.request('GET', '/v1/operator/consent/logs', { token: t.admin })).status).toBe(403);
  });
});
