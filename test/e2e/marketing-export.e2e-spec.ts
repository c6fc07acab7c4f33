import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { MarketingAuthorizationState, MarketingDestinationRef, Topics } from '@custody/contracts';
import { uniqueDigits } from '@custody/testing';
import { run as custodyAudit } from '../../tools/custody-audit/src/main';
import { hashPhone } from '../../apps/marketing-export/src/domain/identifiers';
import {
  ConsentHarness,
  ConsentTenant,
  eventually,
  startConsent,
  TopicWatch,
  watchTopic,
} from '../support/consent.harness';
import { registerAdsAccount, SandboxHarness, startSandbox } from '../support/sandbox.harness';
import {
  audienceDestination,
  datasetDestination,
  ExportHarness,
  exportCustomer,
  startMarketingExport,
} from '../support/marketing-export.harness';

const TARGETED = 'marketing.advertising.first_party.targeted';

/** What the test reads from the sandbox's simulated ads platform (its inspection and fault APIs). */
interface AdsProbe {
  members: (audienceId: string) => Promise<string[]>;
  /** Upload and removal batches the audience received. */
  batches: (
    audienceId: string,
  ) => Promise<Array<{ op: string; num_received: number; batch_seq: number; last_batch_flag: boolean }>>;
  events: (datasetId: string) => Promise<Array<Record<string, any>>>;
  setDown: (down: boolean) => Promise<void>;
}

function adsProbe(sandbox: SandboxHarness): AdsProbe {
  const get = async (path: string) => {
    const res = await sandbox.request('GET', `/ads/_sandbox${path}`);
    expect(res.status).toBe(200);
    return res.body;
  };
  return {
    members: async (id) =>
      (await get(`/audiences/${id}?limit=10000`)).members.flatMap((m: { identifiers: string[] }) =>
        m.identifiers.filter((i) => i.startsWith('PHONE:')).map((i) => i.slice('PHONE:'.length)),
      ),
    batches: async (id) => (await get(`/audiences/${id}?limit=10000`)).history,
    events: async (id) => (await get(`/datasets/${id}/events?limit=10000`)).events,
    setDown: async (down) => {
      const res = await sandbox.request('POST', '/ads/_sandbox/faults', {
        body: down ? { mode: 'down', status: 503 } : { mode: 'ok' },
      });
      expect(res.status).toBeLessThan(300);
    },
  };
}

/**
 * The export end to end over the real Kafka and PostgreSQL: consent recorded through the consent
 * service's API (and withdrawn with STOP in the chat), candidates and authorization states
 * published as tenant-store does, the ads destination reached over HTTP. Checked from outside:
 * what the destination holds, the ledger APIs, the result topics, and custody-audit.
 */
describe('marketing export: consent-gated, exactly once, removable, auditable (real Kafka and PostgreSQL)', () => {
  let consent: ConsentHarness;
  let ex: ExportHarness;
  let sandbox: SandboxHarness;
  let ads: AdsProbe;
  let results: TopicWatch;
  let erasures: TopicWatch;

  beforeAll(async () => {
    sandbox = await startSandbox();
    consent = await startConsent({ adsUrl: `${sandbox.url}/ads` });
    ads = adsProbe(sandbox);
    ex = await startMarketingExport({
      jwksUrl: `${consent.ts.url}/.well-known/jwks.json`,
      adsUrl: `${sandbox.url}/ads`,
      adsTokenFor: sandbox.adsTokenFor,
    });
    [results, erasures] = await Promise.all([watchTopic(Topics.ExportResults), watchTopic(Topics.ErasureResults)]);
  });
  afterAll(async () => {
    await Promise.all([results?.stop(), erasures?.stop()]);
    await ex?.close();
    await consent?.close();
    await sandbox?.close();
  });

  const json = (m: KafkaMessage) => JSON.parse(m.value!.toString());
  const api = (t: ConsentTenant, method: string, path: string, body?: unknown) =>
    consent.request(method, path, { token: t.admin, body });

  async function shop(): Promise<ConsentTenant> {
    const t = await consent.newTenant();
    await api(t, 'POST', '/v1/consent/purposes', {
      key: 'ads',
      dataUse: 'marketing.advertising',
      wording: { language: 'en', text: 'Acme may use our chats to show you ads.' },
    });
    return t;
  }

  async function grant(t: ConsentTenant, waId: string): Promise<string> {
    const prompt = await api(t, 'POST', '/v1/consent/prompts', {
      customer: { waId },
      language: 'en',
      purposes: ['ads'],
    });
    const granted = await api(t, 'POST', '/v1/consent/records', {
      customer: { waId },
      purpose: 'ads',
      action: 'grant',
      method: 'api',
      promptId: prompt.body.id,
    });
    expect(granted.status).toBe(201);
    return granted.body.id as string;
  }

  async function authorize(
    t: ConsentTenant,
    destination: MarketingDestinationRef,
    over: Partial<MarketingAuthorizationState> = {},
  ): Promise<MarketingAuthorizationState> {
    const state: MarketingAuthorizationState = {
      authorizationId: randomUUID(),
      version: 1,
      status: 'active',
      destination,
      dataUses: [destination.kind === 'customer_list_audience' ? TARGETED : 'analytics.reporting.ad_performance'],
      scope: 'all',
      ...over,
    };
    await ex.authorize(t.id, state);
    return state;
  }

  const ledger = async (t: ConsentTenant, query = '') => {
    const res = await ex.request('GET', `/v1/marketing/ledger${query}`, { token: t.admin });
    expect(res.status).toBe(200);
    return res.body.data as Array<Record<string, any>>;
  };
  const settled = (t: ConsentTenant, destinationId: string, count: number) =>
    eventually(
      async () => {
        const rows = await ledger(t, `?destinationId=${destinationId}`);
        return rows.filter((r) => !['pending', 'sending'].includes(r.status)).length >= count ? rows : null;
      },
      20_000,
      `${count} settled ledger entries`,
    );

  it("calls each destination with its own tenant's token: another tenant's audience is refused by the ads platform and left untouched", async () => {
    const [a, b] = [await shop(), await shop()];
    const [waA, waB] = [uniqueDigits(11), uniqueDigits(11)];
    await grant(a, waA);
    await grant(b, waB);
    const destB = audienceDestination();
    const authB = await authorize(b, destB);
    await ex.candidate(b.id, { authorizationId: authB.authorizationId, destination: destB, customer: { waId: waB } });
    await settled(b, destB.destinationId, 1);
    expect(await ads.members(destB.audienceId!)).toEqual([hashPhone(waB)]);

    // A names B's audience id under its own ad account (as if tenant-store had let it through):
    // the export calls with A's token, which the platform refuses for B's audience.
    const destA: MarketingDestinationRef = { ...audienceDestination(), audienceId: destB.audienceId };
    const authA = await authorize(a, destA);
    await ex.candidate(a.id, { authorizationId: authA.authorizationId, destination: destA, customer: { waId: waA } });
    const [row] = await settled(a, destA.destinationId, 1);
    expect(row).toMatchObject({ status: 'rejected' });
    expect(await ads.members(destB.audienceId!)).toEqual([hashPhone(waB)]);
  });

  it('a consented customer is added to the audience once; the ledger names the grant it was checked against', async () => {
    const t = await shop();
    const waId = uniqueDigits(11);
    const grantId = await grant(t, waId);
    const dest = audienceDestination();
    const auth = await authorize(t, dest);
    // Two messages of one conversation (same key, so they arrive in order).
    const phoneNumberId = uniqueDigits(12);
    const first = await ex.candidate(t.id, {
      authorizationId: auth.authorizationId,
      destination: dest,
      customer: { waId },
      phoneNumberId,
    });
    const second = await ex.candidate(t.id, {
      authorizationId: auth.authorizationId,
      destination: dest,
      customer: { waId },
      phoneNumberId,
    });

    const rows = await settled(t, dest.destinationId, 2);
    expect(await ads.members(dest.audienceId!)).toEqual([hashPhone(waId)]);
    expect(await ads.batches(dest.audienceId!)).toEqual([
      expect.objectContaining({ op: 'add', num_received: 1, batch_seq: 1, last_batch_flag: true, replayed: false }),
    ]);
    const sent = rows.find((r) => r.messageId === first.messageId)!;
    expect(sent).toMatchObject({
      operation: 'add',
      status: 'sent',
      reason: null,
      consent: [{ eventId: grantId, purposeKey: 'ads', dataUse: 'marketing.advertising', requestedDataUse: TARGETED }],
    });
    expect(sent.batch).toMatchObject({ batchSeq: 1, lastBatch: true });
    expect(rows.find((r) => r.messageId !== first.messageId)).toMatchObject({
      status: 'sent',
      reason: 'already_member',
    });
    const event = json(await results.next((m) => json(m).ledgerId === sent.id));
    expect(event).toMatchObject({ type: 'export.sent', tenantId: t.id, destinationId: dest.destinationId });

    // The same events again (a replay of the topic from the start): nothing new reaches the destination or the ledger.
    await ex.authorize(t.id, auth);
    await ex.replay(t.id, first);
    await ex.replay(t.id, second);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await ads.batches(dest.audienceId!)).toHaveLength(1);
    expect(await ledger(t, `?destinationId=${dest.destinationId}`)).toHaveLength(2);
  });

  it('through tenant-store: the tenant authorizes an audience, a consented customer writes, and is added to it', async () => {
    const t = await shop();
    const waId = uniqueDigits(11);
    const grantId = await grant(t, waId);
    const audienceId = uniqueDigits(15);
    const created = await consent.ts.request('POST', '/v1/marketing/authorizations', {
      token: t.admin,
      body: {
        destination: {
          kind: 'customer_list_audience',
          adAccountId: await registerAdsAccount(consent.ts.request, t.admin, sandbox.adsTokenFor),
          audienceId,
        },
        dataUses: [TARGETED],
        scope: 'all',
      },
    });
    expect(created.status).toBe(201);
    const hello = await consent.sendInbound(t, waId, { body: 'Hello, do you have the red sneakers?' });
    const [row] = await eventually(
      async () => {
        const rows = await ledger(t, '?status=sent');
        return rows.length > 0 ? rows : null;
      },
      30_000,
      'the export of the customer',
    );
    expect(row).toMatchObject({
      messageId: hello.messageId,
      operation: 'add',
      targetId: audienceId,
      consent: [{ eventId: grantId }],
    });
    expect(await ads.members(audienceId)).toEqual([hashPhone(waId)]);
  });

  it('an unconsented customer is suppressed with the reason, and nothing is sent', async () => {
    const t = await shop();
    const dest = audienceDestination();
    const auth = await authorize(t, dest);
    const waId = uniqueDigits(11);
    const c = await ex.candidate(t.id, {
      authorizationId: auth.authorizationId,
      destination: dest,
      customer: { waId },
    });
    const [row] = await settled(t, dest.destinationId, 1);
    expect(row).toMatchObject({ messageId: c.messageId, status: 'suppressed', reason: 'no_consent', consent: [] });
    expect(await ads.members(dest.audienceId!)).toEqual([]);
    expect(json(await results.next((m) => json(m).ledgerId === row.id))).toMatchObject({
      type: 'export.suppressed',
      reason: 'no_consent',
    });
    // Filters of the ledger API.
    expect(await ledger(t, `?destinationId=${dest.destinationId}&status=sent`)).toEqual([]);
    expect((await ex.request('GET', '/v1/marketing/ledger?status=bogus', { token: t.admin })).status).toBe(400);
    expect((await ex.request('GET', '/v1/marketing/ledger')).status).toBe(401);
  });

  it('STOP in the chat removes the customer from the audience, recorded with the revoke', async () => {
    const t = await shop();
    const waId = uniqueDigits(11);
    await grant(t, waId);
    const dest = audienceDestination();
    const auth = await authorize(t, dest);
    await ex.candidate(t.id, { authorizationId: auth.authorizationId, destination: dest, customer: { waId } });
    await settled(t, dest.destinationId, 1);
    expect(await ads.members(dest.audienceId!)).toEqual([hashPhone(waId)]);

    await consent.sendInbound(t, waId, { body: 'STOP' });
    await eventually(
      async () => (await ads.members(dest.audienceId!)).length === 0,
      20_000,
      'removal at the destination',
    );
    const removal = (await settled(t, dest.destinationId, 2)).find((r) => r.operation === 'remove')!;
    expect(removal).toMatchObject({
      status: 'removed',
      reason: 'revoked',
      consent: [{ purposeKey: 'ads', requestedDataUse: TARGETED }],
    });
    const history = (await api(t, 'GET', `/v1/consent/customers/${waId}/history`)).body.entries;
    const revoke = history.find((e: { kind: string }) => e.kind === 'consent.revoked');
    expect(removal.consent[0].eventId).toBe(revoke.entry.id);
    expect(json(await results.next((m) => json(m).ledgerId === removal.id))).toMatchObject({ type: 'export.removed' });

    // A later candidate of the same customer is suppressed as revoked.
    await ex.candidate(t.id, { authorizationId: auth.authorizationId, destination: dest, customer: { waId } });
    const rows = await settled(t, dest.destinationId, 3);
    expect(rows[2]).toMatchObject({ status: 'suppressed', reason: 'revoked' });
    expect(await ads.members(dest.audienceId!)).toEqual([]);
  });

  it('after the tenant withdraws its authorization nothing more is exported', async () => {
    const t = await shop();
    const [a, b] = [uniqueDigits(11), uniqueDigits(11)];
    await grant(t, a);
    await grant(t, b);
    const dest = audienceDestination();
    const auth = await authorize(t, dest);
    await ex.candidate(t.id, { authorizationId: auth.authorizationId, destination: dest, customer: { waId: a } });
    await settled(t, dest.destinationId, 1);
    await authorize(t, dest, { authorizationId: auth.authorizationId, version: 2, status: 'withdrawn' });
    await eventually(
      async () =>
        (
          await ex.sql(
            `SELECT 1 FROM marketing_export.authorizations WHERE authorization_id = $1 AND status = 'withdrawn'`,
            [auth.authorizationId],
          )
        ).length > 0,
    );
    await ex.candidate(t.id, { authorizationId: auth.authorizationId, destination: dest, customer: { waId: b } });
    const rows = await settled(t, dest.destinationId, 2);
    expect(rows[1]).toMatchObject({ status: 'suppressed', reason: 'authorization_withdrawn' });
    expect(await ads.members(dest.audienceId!)).toEqual([hashPhone(a)]);
  });

  it('conversion events: business_messaging with the ad click id, deduplicated, too old never sent, one bad event isolated', async () => {
    const t = await shop();
    await api(t, 'POST', '/v1/consent/purposes', {
      key: 'measure',
      dataUse: 'analytics.reporting',
      wording: { language: 'en', text: 'Acme measures its ads.' },
    });
    const dest = datasetDestination();
    const auth = await authorize(t, dest);
    const customers = Array.from({ length: 4 }, () => uniqueDigits(11));
    for (const waId of customers) {
      const prompt = await api(t, 'POST', '/v1/consent/prompts', {
        customer: { waId },
        language: 'en',
        purposes: ['measure'],
      });
      await api(t, 'POST', '/v1/consent/records', {
        customer: { waId },
        purpose: 'measure',
        action: 'grant',
        method: 'api',
        promptId: prompt.body.id,
      });
    }
    const dataUses = ['analytics.reporting.ad_performance'];
    const base = { authorizationId: auth.authorizationId, destination: dest, dataUses };
    const withClick = await ex.candidate(t.id, {
      ...base,
      customer: { waId: customers[0] },
      referral: {
        sourceType: 'ad',
        sourceId: '1203',
        ctwaClid: 'ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMv-_zfUQ2a',
      },
    });
    await ex.candidate(t.id, { ...base, customer: { waId: customers[1] } });
    const old = await ex.candidate(t.id, {
      ...base,
      customer: { waId: customers[2] },
      networkTimestamp: new Date(Date.now() - 8 * 86400_000).toISOString(),
    });
    // Accepted by the export (not too old), refused by the destination: it must not take the others down.
    const future = await ex.candidate(t.id, {
      ...base,
      customer: { waId: customers[3] },
      networkTimestamp: new Date(Date.now() + 3600_000).toISOString(),
    });
    await ex.candidate(t.id, { ...base, customer: { waId: customers[0] }, origin: 'business' });

    const rows = await settled(t, dest.destinationId, 4);
    expect(rows).toHaveLength(4);
    const by = (id: string) => rows.find((r) => r.messageId === id)!;
    expect(by(old.messageId)).toMatchObject({ status: 'suppressed', reason: 'too_old' });
    expect(by(future.messageId)).toMatchObject({
      status: 'rejected',
      reason: 'destination_rejected',
      error: { status: 400 },
    });
    expect(by(withClick.messageId)).toMatchObject({ status: 'sent', operation: 'event' });
    const received = await ads.events(dest.datasetId!);
    expect(received).toHaveLength(2);
    const clicked = received.find((e) => e.user_data.ctwa_clid)!;
    expect(clicked).toMatchObject({
      event_name: 'LeadSubmitted',
      action_source: 'business_messaging',
      messaging_channel: 'whatsapp',
      user_data: { ph: [hashPhone(customers[0])], ctwa_clid: withClick.referral!.ctwaClid },
      event_time: Math.floor(Date.parse(withClick.networkTimestamp) / 1000),
    });
    expect(clicked.event_id).toMatch(/^[0-9a-f]{40}$/);
  });

  it('a destination outage is ridden out: everything arrives once when it is back', async () => {
    const t = await shop();
    const dest = audienceDestination();
    const auth = await authorize(t, dest);
    const customers = Array.from({ length: 5 }, () => uniqueDigits(11));
    for (const waId of customers) {
      await grant(t, waId);
    }
    await ads.setDown(true);
    try {
      for (const waId of customers) {
        await ex.candidate(t.id, { authorizationId: auth.authorizationId, destination: dest, customer: { waId } });
      }
      await eventually(
        async () => (await ledger(t, `?destinationId=${dest.destinationId}`)).some((r) => r.attempts >= 2),
        20_000,
        'retries',
      );
      const during = await ledger(t, `?destinationId=${dest.destinationId}`);
      expect(during.every((r) => r.status === 'pending' || r.status === 'sending')).toBe(true);
      expect(during.some((r) => r.error?.status === 503)).toBe(true);
    } finally {
      await ads.setDown(false);
    }
    const rows = await settled(t, dest.destinationId, 5);
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
    expect((await ads.members(dest.audienceId!)).sort()).toEqual(customers.map((w) => hashPhone(w)).sort());
  });

  it('an erasure request removes the customer from every audience, reports completion, and leaves nothing that links to them', async () => {
    const t = await shop();
    const waId = uniqueDigits(11);
    await grant(t, waId);
    const [d1, d2] = [audienceDestination(), audienceDestination()];
    const [a1, a2] = [await authorize(t, d1), await authorize(t, d2)];
    await ex.candidate(t.id, { authorizationId: a1.authorizationId, destination: d1, customer: { waId } });
    await ex.candidate(t.id, { authorizationId: a2.authorizationId, destination: d2, customer: { waId } });
    await settled(t, d1.destinationId, 1);
    await settled(t, d2.destinationId, 1);
    expect([...(await ads.members(d1.audienceId!)), ...(await ads.members(d2.audienceId!))]).toEqual([
      hashPhone(waId),
      hashPhone(waId),
    ]);

    const requestId = await ex.requestErasure(t.id, waId);
    const result = json(
      await erasures.next((m) => json(m).requestId === requestId && json(m).service === 'marketing-export'),
    );
    expect(result).toMatchObject({
      type: 'erasure.completed',
      service: 'marketing-export',
      outcome: 'erased',
      counts: { audienceRemovals: 2, consentStates: 1 },
    });
    expect([...(await ads.members(d1.audienceId!)), ...(await ads.members(d2.audienceId!))]).toEqual([]);
    const linked = await ex.sql(
      `SELECT 'record' AS t FROM marketing_export.export_records WHERE tenant_id = $1 AND (customer_ref = $2 OR member_hash = $3 OR message_id IS NOT NULL OR conversation_id IS NOT NULL)
       UNION ALL SELECT 'member' FROM marketing_export.audience_members WHERE tenant_id = $1
       UNION ALL SELECT 'consent' FROM marketing_export.consent_states WHERE tenant_id = $1`,
      [t.id, (await exportCustomer(t.id, waId)).ref, hashPhone(waId)],
    );
    expect(linked).toEqual([]);
    const rows = await ledger(t);
    expect(rows.filter((r) => r.operation === 'remove')).toHaveLength(2);
    expect(rows.every((r) => r.messageId === null)).toBe(true);
    expect(rows.find((r) => r.operation === 'add')!.consent[0].subject).toMatch(/^[0-9a-f]{64}$/);

    // Repeated: answered again, same outcome; an unknown customer: nothing found.
    await ex
      .requestErasure(t.id, uniqueDigits(11))
      .then((id) => erasures.next((m) => json(m).requestId === id && json(m).service === 'marketing-export'))
      .then((m) => expect(json(m)).toMatchObject({ outcome: 'nothing_found' }));
  });

  it('an auditor proves each exported person had consented, with custody-audit against the consent log', async () => {
    const t = await shop();
    const dest = audienceDestination();
    const auth = await authorize(t, dest);
    const customers = Array.from({ length: 3 }, () => uniqueDigits(11));
    for (const waId of customers) {
      await grant(t, waId);
      await ex.candidate(t.id, { authorizationId: auth.authorizationId, destination: dest, customer: { waId } });
    }
    await settled(t, dest.destinationId, 3);
    const auditor = await t.auditorToken();
    const audited = await ex.request('GET', `/v1/audit/marketing/${t.id}/ledger?status=sent`, { token: auditor });
    expect(audited.status).toBe(200);
    expect(audited.body.data).toHaveLength(3);
    expect((await ex.request('GET', `/v1/audit/marketing/${randomUUID()}/ledger`, { token: auditor })).status).toBe(
      403,
    );

    const dir = mkdtempSync(join(tmpdir(), 'export-audit-'));
    const get = async (method: string, path: string) => {
      const res = await consent.request(method, path, { token: auditor });
      expect(res.status).toBeLessThan(300);
      return res;
    };
    writeFileSync(join(dir, 'keys.json'), (await get('GET', '/v1/audit/log-keys')).text);
    const sth = await get('POST', `/v1/audit/logs/${t.id}/tree-head`);
    writeFileSync(join(dir, 'sth.json'), sth.text);
    for (const entry of audited.body.data as Array<{ consent: Array<Record<string, any>>; checkedAt: string }>) {
      const ref = entry.consent[0];
      expect(sth.body.treeSize).toBeGreaterThanOrEqual(ref.treeSize);
      const proof = await get(
        'GET',
        `/v1/audit/logs/${t.id}/proofs/inclusion?eventId=${ref.eventId}&treeSize=${sth.body.treeSize}`,
      );
      writeFileSync(join(dir, 'proof.json'), proof.text);
      const out: string[] = [];
      const code = await custodyAudit(
        [
          'verify-inclusion',
          '--origin',
          sth.body.origin,
          '--proof',
          join(dir, 'proof.json'),
          '--sth',
          join(dir, 'sth.json'),
          '--keys',
          join(dir, 'keys.json'),
        ],
        (l) => out.push(l),
        (l) => out.push(l),
      );
      expect({ code, out }).toMatchObject({ code: 0 });
      // The proven leaf is the one the ledger cites, and it is a grant of this subject covering the export's data use, logged before the check.
      expect(proof.body.leafHash).toBe(ref.leafHash);
      expect(proof.body.leafIndex).toBe(ref.logIndex);
      expect(proof.body.entry).toMatchObject({
        kind: 'consent.granted',
        subject: ref.subject,
        purpose: { key: 'ads', dataUse: 'marketing.advertising' },
      });
      expect(Date.parse(proof.body.entry.recordedAt)).toBeLessThanOrEqual(Date.parse(entry.checkedAt));
    }

    // Still in force when checked, proven offline by custody-audit check-ledger from the ledger and
    // the log export verified against the signed head.
    const exported = await get('GET', `/v1/audit/logs/${t.id}/entries?to=${sth.body.treeSize}`);
    writeFileSync(join(dir, 'export.jsonl'), exported.text);
    // The ledger cites, for each consent entry, the first checkpoint of the log that contains it:
    // here the one just signed, which the export learnt from custody.consent.checkpoints.v1.
    const cited = await eventually(
      async () => {
        const res = await ex.request('GET', `/v1/audit/marketing/${t.id}/ledger?status=sent`, { token: auditor });
        return res.body.data.every((r: { consent: Array<{ checkpoint: unknown }> }) => r.consent[0].checkpoint)
          ? res
          : null;
      },
      20_000,
      'the ledger citing the checkpoint',
    );
    for (const r of cited.body.data as Array<{ consent: Array<{ checkpoint: unknown }> }>) {
      expect(r.consent[0].checkpoint).toEqual({ treeSize: sth.body.treeSize, rootHash: sth.body.rootHash });
    }
    writeFileSync(join(dir, 'ledger.json'), cited.text);

    // Every read the auditor made of the ledger is recorded, and the tenant sees them.
    const reads = await ex.request('GET', `/v1/audit/marketing/${t.id}/reads`, { token: t.admin });
    expect(reads.status).toBe(200);
    expect(reads.body.data.length).toBeGreaterThanOrEqual(2);
    expect(reads.body.data[0]).toMatchObject({
      reader: expect.stringMatching(/^client:/),
      method: 'GET',
      route: '/v1/audit/marketing/:tenantId/ledger',
      query: { status: 'sent' },
    });
    expect((await ex.request('GET', `/v1/audit/marketing/${randomUUID()}/reads`, { token: t.admin })).status).toBe(403);
    const checkLedger = async (ledgerFile: string) => {
      const out: string[] = [];
      const code = await custodyAudit(
        [
          'check-ledger',
          '--origin',
          sth.body.origin,
          '--ledger',
          ledgerFile,
          '--export',
          join(dir, 'export.jsonl'),
          '--sth',
          join(dir, 'sth.json'),
          '--keys',
          join(dir, 'keys.json'),
          '--no-progress',
        ],
        (l) => out.push(l),
        (l) => out.push(l),
      );
      return { code, out: out.join('\n') };
    };
    const passed = await checkLedger(join(dir, 'ledger.json'));
    expect(passed).toMatchObject({ code: 0 });
    expect(passed.out).toMatch(
      /^VERIFIED: 3 exports and 0 removals .*each export was checked against a grant in force/,
    );

    // A ledger that cites a consent revoked before the export: the first customer revokes, and the
    // ledger (forged, as an operator could) claims the export was checked after that.
    await api(t, 'POST', '/v1/consent/records', {
      customer: { waId: customers[0] },
      purpose: 'ads',
      action: 'revoke',
      method: 'api',
    });
    const later = await get('POST', `/v1/audit/logs/${t.id}/tree-head`);
    writeFileSync(join(dir, 'sth.json'), later.text);
    writeFileSync(
      join(dir, 'export.jsonl'),
      (await get('GET', `/v1/audit/logs/${t.id}/entries?to=${later.body.treeSize}`)).text,
    );
    const forged = structuredClone(cited.body) as {
      data: Array<{ id: string; consent: Array<{ subject: string }>; checkedAt: string }>;
    };
    const subject = (await api(t, 'GET', `/v1/consent/customers/${customers[0]}`)).body.subject as string;
    const record = forged.data.find((r) => r.consent[0].subject === subject)!;
    record.checkedAt = new Date(Date.now() + 1000).toISOString();
    writeFileSync(join(dir, 'forged-ledger.json'), JSON.stringify(forged));
    const caught = await checkLedger(join(dir, 'forged-ledger.json'));
    expect(caught.code).toBe(1);
    expect(caught.out).toContain('FAILED: 1 claim of the ledger does not hold up');
    expect(caught.out).toMatch(
      new RegExp(
        `record ${record.id}: was exported at .* on the grant at entry \\d+, but that consent was revoked by entry \\d+, logged at .*, before the export`,
      ),
    );

    // A ledger whose cited checkpoint is not the log's: the root at that size differs.
    const wrongRoot = structuredClone(cited.body) as {
      data: Array<{ id: string; consent: Array<{ checkpoint: { rootHash: string } }> }>;
    };
    wrongRoot.data[1].consent[0].checkpoint.rootHash = Buffer.alloc(32, 7).toString('base64');
    writeFileSync(join(dir, 'wrong-root.json'), JSON.stringify(wrongRoot));
    const mismatch = await checkLedger(join(dir, 'wrong-root.json'));
    expect(mismatch.code).toBe(1);
    expect(mismatch.out).toContain(
      `record ${wrongRoot.data[1].id}: cites a checkpoint of size ${sth.body.treeSize} with root`,
    );
  });

  it('a pending removal survives a restart of the export and completes once the destination is back', async () => {
    const t = await shop();
    const waId = uniqueDigits(11);
    await grant(t, waId);
    const dest = audienceDestination();
    const auth = await authorize(t, dest);
    await ex.candidate(t.id, { authorizationId: auth.authorizationId, destination: dest, customer: { waId } });
    await settled(t, dest.destinationId, 1);
    await ads.setDown(true);
    try {
      await api(t, 'POST', '/v1/consent/records', {
        customer: { waId },
        purpose: 'ads',
        action: 'revoke',
        method: 'api',
      });
      await eventually(
        async () => {
          const removal = (await ledger(t, `?destinationId=${dest.destinationId}&operation=remove`))[0];
          return removal?.status === 'pending' && removal.attempts >= 1 && removal.error?.status === 503;
        },
        20_000,
        'a removal waiting for the destination',
      );
      // The export goes away with the removal pending; a new instance takes over.
      await ex.close();
      ex = await startMarketingExport({
        jwksUrl: `${consent.ts.url}/.well-known/jwks.json`,
        adsUrl: `${sandbox.url}/ads`,
        adsTokenFor: sandbox.adsTokenFor,
      });
      expect(await ads.members(dest.audienceId!)).toEqual([hashPhone(waId)]);
    } finally {
      await ads.setDown(false);
    }
    await eventually(
      async () => (await ads.members(dest.audienceId!)).length === 0,
      30_000,
      'the removal after the restart',
    );
    const removal = (await ledger(t, `?destinationId=${dest.destinationId}&operation=remove`))[0];
    expect(removal).toMatchObject({ status: 'removed', reason: 'revoked' });
    expect(removal.attempts).toBeGreaterThanOrEqual(2);
  });
});
