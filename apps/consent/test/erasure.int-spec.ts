import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { consentEventKey, Topics } from '@custody/contracts';
import { uniqueDigits } from '@custody/testing';
import {
  ConsentHarness,
  ConsentTenant,
  startConsent,
  TopicWatch,
  watchTopic,
} from '../../../test/support/consent.harness';
import { testCustomer } from '../../../test/support/sealing';
import { legacySubject, lookupOf } from '../src/repositories/pseudonym.repository';
import { ConsentErasureService } from '../src/services/erasure.service';

/** As the database owner (RLS-exempt platform scope), for setting up and inspecting rows. */
async function asOwner<T>(work: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
  await db.connect();
  try {
    await db.query('BEGIN');
    await db.query(`SELECT set_config('custody.platform', 'on', true)`);
    const result = await work(db);
    await db.query('COMMIT');
    return result;
  } finally {
    await db.end();
  }
}

describe('consent: erasing a customer unlinks the number from the log (real PostgreSQL and Kafka)', () => {
  let h: ConsentHarness;
  let consentEvents: TopicWatch;
  let erasure: ConsentErasureService;
  beforeAll(async () => {
    h = await startConsent();
    erasure = h.app.get(ConsentErasureService);
    consentEvents = await watchTopic(Topics.ConsentEvents);
  });
  afterAll(async () => {
    await consentEvents?.stop();
    await h?.close();
  });

  const post = (t: ConsentTenant, path: string, body: unknown) => h.request('POST', path, { token: t.admin, body });
  const get = (t: ConsentTenant, path: string) => h.request('GET', path, { token: t.admin }).then((r) => r.body);
  const requestErasure = async (t: ConsentTenant, waId: string) =>
    erasure.handle({
      eventId: randomUUID(),
      type: 'erasure.requested',
      tenantId: t.id,
      occurredAt: new Date().toISOString(),
      requestId: randomUUID(),
      customer: await testCustomer(t.id, waId),
    });

  async function tenantWithAds(): Promise<ConsentTenant> {
    const t = await h.newTenant();
    expect(
      (
        await post(t, '/v1/consent/purposes', {
          key: 'ads',
          dataUse: 'marketing.advertising',
          wording: { language: 'en', text: 'Ads from our chats.' },
        })
      ).status,
    ).toBe(201);
    return t;
  }

  async function grant(t: ConsentTenant, waId: string): Promise<string> {
    const prompt = await post(t, '/v1/consent/prompts', { customer: { waId }, language: 'en', purposes: ['ads'] });
    expect(
      (
        await post(t, '/v1/consent/records', {
          customer: { waId },
          purpose: 'ads',
          action: 'grant',
          method: 'api',
          promptId: prompt.body.id,
        })
      ).status,
    ).toBe(201);
    return prompt.body.subject as string;
  }

  it('a new customer gets a random pseudonym; erasure deletes its row, tombstones its consent events, and a later contact is a new identity', async () => {
    const t = await tenantWithAds();
    const waId = uniqueDigits(11);
    const subject = await grant(t, waId);
    const key = await asOwner(
      async (db) =>
        (await db.query('SELECT key FROM consent.pseudonym_keys WHERE tenant_id = $1', [t.id])).rows[0].key as Buffer,
    );
    expect(subject).not.toBe(legacySubject(key, waId));
    expect((await get(t, `/v1/consent/customers/${waId}`)).subject).toBe(subject);

    await requestErasure(t, waId);
    const tombstone = await consentEvents.next(
      (m) => m.key?.toString() === consentEventKey(t.id, subject, 'ads') && m.value === null,
    );
    expect(tombstone.value).toBeNull();
    const rows = await asOwner(
      async (db) =>
        (
          await db.query(
            'SELECT count(*)::int AS n FROM consent.customer_pseudonyms WHERE tenant_id = $1 AND lookup = $2',
            [t.id, lookupOf(key, waId)],
          )
        ).rows[0].n,
    );
    expect(rows).toBe(0);
    expect(await get(t, `/v1/consent/customers/${waId}`)).toEqual({
      subject: null,
      purposes: [expect.objectContaining({ status: 'none' })],
    });
    // The log still holds the entries, under the pseudonym nobody can link any more.
    const entries = await asOwner(
      async (db) =>
        (
          await db.query('SELECT count(*)::int AS n FROM consent.log_entries WHERE tenant_id = $1 AND subject = $2', [
            t.id,
            subject,
          ])
        ).rows[0].n,
    );
    expect(entries).toBe(2);

    const again = await grant(t, waId);
    expect(again).not.toBe(subject);
    expect((await get(t, `/v1/consent/customers/${waId}/history`)).entries).toHaveLength(2);
  });

  it('a pseudonym from before per-customer rows (HMAC of the number) is adopted, and after erasure never again', async () => {
    const t = await tenantWithAds();
    const waId = uniqueDigits(11);
    // Recreate the old state: the customer's entries under the HMAC pseudonym, and no row.
    await get(t, `/v1/consent/customers/${uniqueDigits(11)}`); // creates the tenant's key
    const key = await asOwner(
      async (db) =>
        (await db.query('SELECT key FROM consent.pseudonym_keys WHERE tenant_id = $1', [t.id])).rows[0].key as Buffer,
    );
    const legacy = legacySubject(key, waId);
    await asOwner((db) =>
      db.query('INSERT INTO consent.customer_pseudonyms (tenant_id, lookup, subject) VALUES ($1, $2, $3)', [
        t.id,
        lookupOf(key, waId),
        legacy,
      ]),
    );
    expect(await grant(t, waId)).toBe(legacy);
    await asOwner((db) => db.query('DELETE FROM consent.customer_pseudonyms WHERE tenant_id = $1', [t.id]));

    expect((await get(t, `/v1/consent/customers/${waId}`)).purposes[0]).toMatchObject({ status: 'granted' });
    await requestErasure(t, waId);
    expect(await get(t, `/v1/consent/customers/${waId}`)).toMatchObject({
      subject: null,
      purposes: [{ status: 'none' }],
    });
    const marker = await asOwner(
      async (db) =>
        (await db.query('SELECT subject, legacy FROM consent.customer_pseudonyms WHERE tenant_id = $1', [t.id])).rows,
    );
    expect(marker).toEqual([{ subject: null, legacy: true }]);
    const fresh = await grant(t, waId);
    expect(fresh).not.toBe(legacy);
    expect((await get(t, `/v1/consent/customers/${waId}/history`)).entries).toHaveLength(2);
  });

  it('a number the tenant never recorded is nothing found, and nothing is created for it', async () => {
    const t = await tenantWithAds();
    const waId = uniqueDigits(11);
    const results = await watchTopic(Topics.ErasureResults);
    try {
      await requestErasure(t, waId);
      const report = await results.next((m) => JSON.parse(m.value!.toString()).tenantId === t.id);
      expect(JSON.parse(report.value!.toString())).toMatchObject({
        service: 'consent',
        outcome: 'nothing_found',
        counts: { pseudonyms: 0, consentEvents: 0, pendingEvents: 0 },
      });
    } finally {
      await results.stop();
    }
    const rows = await asOwner(
      async (db) =>
        (await db.query('SELECT count(*)::int AS n FROM consent.customer_pseudonyms WHERE tenant_id = $1', [t.id]))
          .rows[0].n,
    );
    expect(rows).toBe(0);
  });
});
