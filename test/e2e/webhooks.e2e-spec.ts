import { WhatsAppAPI } from 'whatsapp-api-js';
import { Text } from 'whatsapp-api-js/messages';
import { conversationIdFor, hostedNoticeMessageId } from '@custody/contracts';
import { PlatformHarness, startPlatform } from '../support/platform.harness';
import { customerRef } from '../support/sealing';
import { waitFor } from '../support/wait';
import { WebhookReceiver } from '../support/webhook-receiver';

describe('webhooks to tenants over the real stack', () => {
  let p: PlatformHarness;

  beforeAll(async () => {
    p = await startPlatform();
  });
  afterAll(async () => {
    await p?.close();
  });

  const customerWrites = (waId: string, phoneNumberId: string, body: string) =>
    p
      .sandbox('POST', `/sandbox/v1/customers/${waId}/messages`, { body: { phoneNumberId, text: body } })
      .then((r) => r.body.messageId as string);

  it('sets a webhook URL only after the verification handshake', async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      const tenant = await p.newTenant();
      const token = await tenant.token();
      const wrong = await p.ingest('PUT', '/v1/webhook', {
        token,
        body: { url: receiver.url, verifyToken: 'not-the-token' },
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error.message).toBe('Webhook verification failed');
      expect((await p.ingest('GET', '/v1/webhook', { token })).body.url).toBeNull();

      const ok = await p.ingest('PUT', '/v1/webhook', {
        token,
        body: { url: receiver.url, verifyToken: receiver.verifyToken },
      });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ url: receiver.url, source: 'tenant', verifiedAt: expect.any(String) });
      const id = await customerWrites(p.newCustomer(), tenant.phoneNumberId, 'after the handshake');
      await waitFor('the webhook at the verified URL', async () =>
        receiver.received.some((r) => r.rawBody.includes(id)),
      );
    } finally {
      await receiver.stop();
    }
  });

  it('subscribed_apps: unsubscribing stops webhooks, subscribing again (with a verified override URL) restarts them', async () => {
    const first = await new WebhookReceiver().start();
    const second = await new WebhookReceiver().start();
    try {
      const tenant = await p.newTenant({ webhookUrl: first.url });
      const token = await tenant.token();
      const path = `/v25.0/${tenant.businessAccountId}/subscribed_apps`;
      const listed = await p.ingest('GET', path, { token });
      expect(listed.body).toEqual({
        data: [{ whatsapp_business_api_data: { id: expect.stringMatching(/^\d{15}$/), name: 'Custody' } }],
      });
      expect((await p.ingest('DELETE', path, { token })).body).toEqual({ success: true });
      expect((await p.ingest('GET', path, { token })).body).toEqual({ data: [] });
      expect((await p.ingest('GET', '/v1/webhook', { token })).body).toMatchObject({
        url: first.url,
        subscribed: false,
      });

      // Unsubscribed: the message is stored, and its webhook is not sent.
      const notSent = async () =>
        Number(
          /custody_webhook_events_not_sent_total\{[^}]*reason="unsubscribed"[^}]*\} (\d+)/.exec(
            (await p.ingest('GET', '/metrics')).text,
          )?.[1] ?? 0,
        );
      const before = await notSent();
      const waId = p.newCustomer();
      const quiet = await customerWrites(waId, tenant.phoneNumberId, 'while unsubscribed');
      await waitFor('the webhook left out', async () => (await notSent()) > before, 30_000);

      // A malformed subscription or a failed handshake changes nothing.
      for (const body of [{ override_callback_uri: second.url }, { verify_token: 'x' }, { surprise: 1 }]) {
        const bad = await p.ingest('POST', path, { token, body });
        expect([bad.status, bad.body.error.code]).toEqual([400, 100]);
      }
      const failed = await p.ingest('POST', path, {
        token,
        body: { override_callback_uri: second.url, verify_token: 'not-the-token' },
      });
      expect([failed.status, failed.body.error.message]).toEqual([400, 'Webhook verification failed']);
      expect((await p.ingest('GET', path, { token })).body).toEqual({ data: [] });

      // Subscribed again, to a verified override URL: the next message's webhook goes there.
      const again = await p.ingest('POST', path, {
        token,
        body: { override_callback_uri: second.url, verify_token: second.verifyToken },
      });
      expect([again.status, again.body]).toEqual([200, { success: true }]);
      expect((await p.ingest('GET', path, { token })).body.data).toEqual([
        { whatsapp_business_api_data: expect.any(Object), override_callback_uri: second.url },
      ]);
      const heard = await customerWrites(waId, tenant.phoneNumberId, 'subscribed again');
      await waitFor('the webhook after subscribing again', async () =>
        second.received.some((r) => r.rawBody.includes(heard)),
      );
      expect([...first.received, ...second.received].some((r) => r.rawBody.includes(quiet))).toBe(false);

      // Another tenant's account is unknown.
      const other = await p.newTenant();
      const foreign = await p.ingest('DELETE', path, { token: await other.token() });
      expect([foreign.status, foreign.body.error.code]).toEqual([404, 100]);
      expect((await p.ingest('GET', path, { token })).body.data).toHaveLength(1);
    } finally {
      await first.stop();
      await second.stop();
    }
  });

  it('retries a failing endpoint with backoff, records every attempt, and delivers once it recovers', async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      const tenant = await p.newTenant({ webhookUrl: receiver.url });
      const token = await tenant.token();
      receiver.failuresOnlyFor = tenant.businessAccountId;
      receiver.failuresLeft = 3;
      const id = await customerWrites(p.newCustomer(), tenant.phoneNumberId, 'please retry me');
      await waitFor(
        'delivery after the endpoint recovered',
        async () => receiver.received.some((r) => r.rawBody.includes(id)),
        30_000,
      );
      const mine = await waitFor('the delivery marked delivered', async () => {
        const deliveries = await p.ingest('GET', '/v1/webhook/deliveries', { token });
        const found = deliveries.body.data.find((d: any) => d.eventId === `stored:${id}`);
        return found?.state === 'delivered' ? found : undefined;
      });
      expect(mine).toMatchObject({ state: 'delivered', kind: 'message', lastStatus: 200 });
      // The three failures are shared by every batch in flight (the hosted notice's statuses too).
      expect(mine.attempts).toBeGreaterThanOrEqual(2);
      expect(receiver.failuresLeft).toBe(0);
      const metrics = await p.ingest('GET', '/metrics');
      expect(metrics.text).toMatch(/custody_webhook_deliveries_pending\{[^}]*\} \d+/);
      expect(metrics.text).toMatch(/custody_webhook_posts_total\{[^}]*outcome="failed"[^}]*\} [1-9]/);
      const attempts = await p.sql(`SELECT status_code FROM ingest.webhook_attempts WHERE tenant_id = $1 ORDER BY id`, [
        tenant.id,
      ]);
      expect(attempts.filter((a) => a.status_code === 500).length).toBeGreaterThanOrEqual(1);
      expect(attempts.at(-1)?.status_code).toBe(200);
      expect(receiver.received.filter((r) => r.rawBody.includes(id))).toHaveLength(1);
    } finally {
      await receiver.stop();
    }
  });

  it('a tenant whose endpoint hangs does not hold up another tenant', async () => {
    const stuck = await new WebhookReceiver().start();
    const healthy = await new WebhookReceiver().start();
    try {
      stuck.mode = 'hang';
      const slowTenant = await p.newTenant({ webhookUrl: stuck.url });
      const fastTenant = await p.newTenant({ webhookUrl: healthy.url });
      for (let i = 0; i < 3; i += 1) {
        await customerWrites(p.newCustomer(), slowTenant.phoneNumberId, `stuck ${i}`);
      }
      const started = Date.now();
      const id = await customerWrites(p.newCustomer(), fastTenant.phoneNumberId, 'I should arrive promptly');
      await waitFor(
        'the healthy tenant’s webhook',
        async () => healthy.received.some((r) => r.rawBody.includes(id)),
        10_000,
      );
      // Well under the stuck endpoint's timeout (1.5 s in this harness) times its retries.
      expect(Date.now() - started).toBeLessThan(5000);
      const deliveries = await p.ingest('GET', '/v1/webhook/deliveries?state=pending', {
        token: await slowTenant.token(),
      });
      await waitFor('a recorded timeout', async () => {
        const d = await p.ingest('GET', '/v1/webhook/deliveries', { token: await slowTenant.token() });
        return d.body.data.some((x: any) => x.attempts > 0 && /did not answer in time/.test(x.lastError ?? ''));
      });
      expect(deliveries.status).toBe(200);
    } finally {
      await stuck.stop();
      await healthy.stop();
    }
  });

  it('statuses of Custody’s own hosted-chat notice are stored but never sent to the tenant', async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      const tenant = await p.newTenant({ webhookUrl: receiver.url });
      const waId = p.newCustomer();
      const inboundId = await customerWrites(waId, tenant.phoneNumberId, 'first contact');
      const noticeId = hostedNoticeMessageId(
        conversationIdFor(tenant.id, tenant.phoneNumberId, await customerRef(tenant.id, waId)),
      );
      // The network reports the notice read (sent, delivered, read) and tenant-store has them all.
      await waitFor('the notice’s statuses stored', async () => {
        const rows = await p.sql(
          `SELECT status FROM tenant_store.message_statuses WHERE tenant_id = $1 AND message_id = $2`,
          [tenant.id, noticeId],
        );
        return rows.length === 3;
      });
      // The customer's message reached the tenant after them, and nothing of the notice did.
      const reply = await customerWrites(waId, tenant.phoneNumberId, 'second message');
      await waitFor('the later webhook', async () => receiver.received.some((r) => r.rawBody.includes(reply)));
      expect(receiver.received.some((r) => r.rawBody.includes(inboundId))).toBe(true);
      expect(receiver.received.filter((r) => r.rawBody.includes(noticeId))).toEqual([]);
    } finally {
      await receiver.stop();
    }
  });

  it('works with a published Cloud API client library unchanged but for its base URL, and that library verifies our webhooks', async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      const tenant = await p.newTenant({ webhookUrl: receiver.url });
      const token = await tenant.token();
      // The library's own fetch, pointed at Custody instead of graph.facebook.com.
      const toCustody: typeof fetch = (input, init) =>
        fetch(
          String(input instanceof Request ? input.url : input).replace('https://graph.facebook.com', p.ingestUrl),
          init,
        );
      const received: Array<{ from: string; body: string }> = [];
      const statuses: string[] = [];
      const wa = new WhatsAppAPI({
        token,
        appSecret: tenant.appSecret,
        v: 'v25.0',
        ponyfill: { fetch: toCustody, subtle: globalThis.crypto.subtle },
      });
      wa.on.message = ({ from, message }) => {
        received.push({ from, body: (message as { text?: { body: string } }).text?.body ?? '' });
      };
      wa.on.status = ({ status }) => {
        statuses.push(status);
      };

      const waId = p.newCustomer();
      const inboundId = await customerWrites(waId, tenant.phoneNumberId, 'hi from a customer');
      const webhook = await waitFor('the inbound webhook', async () =>
        receiver.received.find((r) => r.rawBody.includes(inboundId)),
      );
      await wa.post(webhook.body, webhook.rawBody, String(webhook.headers['x-hub-signature-256']));
      expect(received).toEqual([{ from: waId, body: 'hi from a customer' }]);
      await expect(wa.post(webhook.body, webhook.rawBody, 'sha256=' + '0'.repeat(64))).rejects.toBeDefined();

      const response = await wa.sendMessage(
        tenant.phoneNumberId,
        waId,
        new Text('Hello from an unchanged client library'),
      );
      expect('messages' in response && response.messages[0].id).toMatch(/^wamid\./);
      const sentId = (response as { messages: Array<{ id: string }> }).messages[0].id;
      const statusHook = await waitFor('a status webhook for the library’s send', async () =>
        receiver.received.find((r) => r.rawBody.includes(sentId) && r.rawBody.includes('"statuses"')),
      );
      await wa.post(statusHook.body, statusHook.rawBody, String(statusHook.headers['x-hub-signature-256']));
      expect(statuses.length).toBeGreaterThan(0);

      const read = await wa.markAsRead(tenant.phoneNumberId, inboundId);
      expect(read).toEqual({ success: true });
    } finally {
      await receiver.stop();
    }
  });
});
