import { randomBytes } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { adsPhoneHash, MarketingAuthorizedEvent, Topics } from '@custody/contracts';
import { testKafka, testTopic, uniqueDigits } from '@custody/testing';
import { PlatformHarness, startPlatform } from '../support/platform.harness';
import { registerAdsAccount } from '../support/sandbox.harness';
import { customerRef } from '../support/sealing';
import { waitFor } from '../support/wait';

/**
 * The whole path of a tenant's marketing authorization, as a tenant would use it: a customer
 * writes from a click-to-chat ad on the (simulated) network, ingest takes it in, tenant-store
 * stores it and publishes a candidate for the authorized destination.
 */
describe('marketing candidates from the network (real stack)', () => {
  let p: PlatformHarness;
  let consumer: Consumer;
  const seen: MarketingAuthorizedEvent[] = [];

  beforeAll(async () => {
    p = await startPlatform();
    consumer = testKafka().consumer({ groupId: `test-marketing-e2e-${randomBytes(6).toString('hex')}` });
    await consumer.connect();
    await consumer.subscribe({ topic: testTopic(Topics.MarketingAuthorized), fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        seen.push(JSON.parse(message.value!.toString()) as MarketingAuthorizedEvent);
        return Promise.resolve();
      },
    });
  });
  afterAll(async () => {
    await consumer?.disconnect();
    await p?.close();
  });

  it('an ad-referral conversation yields candidates for the customer’s and the business’s messages; others yield none', async () => {
    const tenant = await p.newTenant();
    const token = await tenant.token();
    const created = await p.store.request('POST', '/v1/marketing/authorizations', {
      token,
      body: {
        destination: {
          kind: 'conversions_dataset',
          adAccountId: await registerAdsAccount(p.store.request, token, p.adsTokenFor),
          datasetId: uniqueDigits(16),
        },
        dataUses: ['analytics.reporting.ad_performance'],
        scope: 'ad_referral',
      },
    });
    expect(created.status).toBe(201);
    const authorizationId = created.body.id as string;

    const [fromAd, organic] = [p.newCustomer(), p.newCustomer()];
    const ctwaClid = `ARAkLk${randomBytes(12).toString('hex')}`;
    const adMessage = await p.sandbox('POST', `/sandbox/v1/customers/${fromAd}/messages`, {
      body: {
        phoneNumberId: tenant.phoneNumberId,
        text: 'I saw your ad for the red sneakers',
        referral: { source_id: '120210000000000042', source_type: 'ad', ctwa_clid: ctwaClid },
      },
    });
    expect(adMessage.body.ingestStatus).toBe(200);
    const organicMessage = await p.sandbox('POST', `/sandbox/v1/customers/${organic}/messages`, {
      body: { phoneNumberId: tenant.phoneNumberId, text: 'Hello' },
    });
    expect(organicMessage.body.ingestStatus).toBe(200);

    const candidate = await waitFor('the candidate of the ad-referral message', async () =>
      seen.find((e) => e.type === 'marketing.candidate' && e.candidate?.messageId === adMessage.body.messageId),
    );
    expect(candidate).toMatchObject({
      eventId: `${authorizationId}:${adMessage.body.messageId}`,
      tenantId: tenant.id,
      candidate: {
        authorizationId,
        authorizationVersion: 1,
        // The customer by reference and ads match key only: the number is not on the topic.
        customer: { ref: await customerRef(tenant.id, fromAd), memberHash: adsPhoneHash(fromAd) },
        origin: 'customer',
        referral: { sourceId: '120210000000000042', sourceType: 'ad', ctwaClid },
        custody: { e2e: false, hostedBy: 'custody' },
      },
    });
    expect(JSON.stringify(candidate)).not.toContain('red sneakers');
    expect(JSON.stringify(candidate)).not.toContain(fromAd);

    // The business answers through the Cloud-API-compatible send: the conversation came from an ad,
    // so the reply is a candidate too, carrying the conversation's click id.
    const reply = await p.ingest('POST', `/v23.0/${tenant.phoneNumberId}/messages`, {
      token,
      body: {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: fromAd,
        type: 'text',
        text: { body: 'They are back!' },
      },
    });
    expect(reply.status).toBe(200);
    const replyId = reply.body.messages[0].id as string;
    const replyCandidate = await waitFor('the candidate of the reply', async () =>
      seen.find((e) => e.type === 'marketing.candidate' && e.candidate?.messageId === replyId),
    );
    expect(replyCandidate.candidate).toMatchObject({
      origin: 'business',
      customer: { ref: await customerRef(tenant.id, fromAd), memberHash: adsPhoneHash(fromAd) },
      referral: { ctwaClid },
    });

    // The organic conversation and Custody's hosted-chat notices are never candidates.
    await waitFor('the organic message stored', async () => {
      const rows = await p.sql(`SELECT 1 FROM tenant_store.messages WHERE message_id = $1`, [
        organicMessage.body.messageId,
      ]);
      return rows.length > 0;
    });
    await new Promise((r) => setTimeout(r, 1500));
    const candidates = seen.filter((e) => e.tenantId === tenant.id && e.type === 'marketing.candidate');
    expect(candidates.map((e) => e.candidate!.messageId).sort()).toEqual([adMessage.body.messageId, replyId].sort());
  });
});
