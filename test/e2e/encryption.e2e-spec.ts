import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Topics } from '@custody/contracts';
import { readTopic, testKafka, testTopic, uniqueDigits, waitForMessage } from '@custody/testing';
import { inboundMessage } from '../support/messages';
import { customerRef } from '../support/sealing';
import { PlatformHarness, startPlatform } from '../support/platform.harness';
import { approvedTemplate } from '../support/templates';
import { registerAdsAccount } from '../support/sandbox.harness';
import { TestTenant } from '../support/tenant-store.harness';
import { waitFor } from '../support/wait';
import { WebhookReceiver } from '../support/webhook-receiver';

describe('hosted messages at rest: encrypted per tenant, rotatable (real stack)', () => {
  let p: PlatformHarness;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    p = await startPlatform();
    [a, b] = [await p.newTenant(), await p.newTenant()];
  });
  afterAll(async () => {
    await p?.close();
  });

  const write = async (tenant: TestTenant, waId: string, text: string): Promise<string> => {
    const res = await p.sandbox('POST', `/sandbox/v1/customers/${waId}/messages`, {
      body: { phoneNumberId: tenant.phoneNumberId, text },
    });
    const id = res.body.messageId as string;
    await waitFor(
      'the message stored',
      async () => (await p.sql(`SELECT 1 FROM tenant_store.messages WHERE message_id = $1`, [id])).length === 1,
    );
    return id;
  };
  const conversation = async (tenant: TestTenant, waId: string) => {
    const token = await tenant.token();
    const list = await p.store.request('GET', `/v1/conversations?customer=${waId}`, { token });
    return (await p.store.request('GET', `/v1/conversations/${list.body.data[0].id}`, { token })).body;
  };

  /** tenant-store's count of skipped inbound events of unknown tenants (custody_unknown_tenant_events_total). */
  const unknownInbound = async (): Promise<number> => {
    const res = await p.store.request('GET', '/metrics');
    const line = res.text
      .split('\n')
      .find(
        (l) => l.startsWith('custody_unknown_tenant_events_total{') && l.includes(`topic="${Topics.MessagesInbound}"`),
      );
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };

  it('a message of a tenant that is not ours is skipped before anything is encrypted: counted, no data key, no dead letter', async () => {
    const stranger = { id: randomUUID(), phoneNumberId: a.phoneNumberId };
    const waId = p.newCustomer();
    const before = await unknownInbound();
    const producer = testKafka().producer();
    await producer.connect();
    try {
      const strange = await inboundMessage(stranger, waId, { unsealed: true });
      const ours = await inboundMessage(a, waId);
      for (const event of [strange, ours]) {
        await producer.send({
          topic: testTopic(Topics.MessagesInbound),
          acks: -1,
          messages: [{ key: `${event.tenantId}:${event.conversationId}`, value: JSON.stringify(event) }],
        });
      }
      await waitFor(
        'our message stored',
        async () =>
          (await p.sql(`SELECT 1 FROM tenant_store.messages WHERE message_id = $1`, [ours.messageId])).length === 1,
      );
      // Proof that tenant-store has handled the stranger's message: it counted it as of an unknown tenant.
      await waitFor('the stranger counted', async () => (await unknownInbound()) === before + 1);
      // Neither stored nor dead-lettered (nothing on this environment's dead-letter topic carries it).
      expect(await p.sql(`SELECT 1 FROM tenant_store.messages WHERE message_id = $1`, [strange.messageId])).toEqual([]);
      await expect(
        waitForMessage(Topics.DeadLetter, (m) => m.value?.toString().includes(strange.messageId) === true, 3000),
      ).rejects.toThrow(/no matching message/);
    } finally {
      await producer.disconnect();
    }
    expect(await p.sql(`SELECT 1 FROM tenant_store.data_keys WHERE tenant_id = $1`, [stranger.id])).toEqual([]);
  });

  it('a raw SELECT of stored messages shows no message body', async () => {
    const secret = `the gate code is ${Date.now()}`;
    const waId = p.newCustomer();
    const id = await write(a, waId, secret);
    const rows = await p.sql(`SELECT m::text AS row FROM tenant_store.messages m WHERE message_id = $1`, [id]);
    expect(rows[0].row).not.toContain(secret);
    expect(rows[0].row).not.toContain('gate code');
    // Sealed at the edge under the conversation's key: the envelope names the key, not a version.
    expect(rows[0].row).toMatch(/v2\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/);
    const anywhere = await p.sql(
      `SELECT count(*)::int AS n FROM (SELECT m::text AS t FROM tenant_store.messages m UNION ALL SELECT c::text FROM tenant_store.conversations c
         UNION ALL SELECT s::text FROM tenant_store.message_statuses s UNION ALL SELECT k::text FROM tenant_store.data_keys k) x WHERE t LIKE $1`,
      [`%${secret}%`],
    );
    expect(anywhere[0].n).toBe(0);
    // Custody itself can decrypt: that is why hosted chats are not end-to-end encrypted.
    const c = await conversation(a, waId);
    expect(c.messages.find((m: any) => m.id === id).content).toEqual({ body: secret });
  });

  it('a ciphertext moved to another tenant’s row, or another message, fails to decrypt', async () => {
    const waA = p.newCustomer();
    const waB = p.newCustomer();
    const idA = await write(a, waA, 'for tenant A only');
    const idA2 = await write(a, waA, 'another message of A');
    const idB = await write(b, waB, 'tenant B message');
    await p.sql(
      `UPDATE tenant_store.messages SET content_ciphertext = (SELECT content_ciphertext FROM tenant_store.messages WHERE message_id = $1) WHERE message_id = $2`,
      [idA, idB],
    );
    await p.sql(
      `UPDATE tenant_store.messages SET content_ciphertext = (SELECT content_ciphertext FROM tenant_store.messages WHERE message_id = $1) WHERE message_id = $2`,
      [idA, idA2],
    );
    const cb = await conversation(b, waB);
    const moved = cb.messages.find((m: any) => m.id === idB);
    expect(moved.content).toBeNull();
    expect(JSON.stringify(cb)).not.toContain('for tenant A only');
    const ca = await conversation(a, waA);
    expect(ca.messages.find((m: any) => m.id === idA).content).toEqual({ body: 'for tenant A only' });
    expect(ca.messages.find((m: any) => m.id === idA2).content).toBeNull();
  });

  it('rotation rewraps the conversation keys (and re-encrypts what is under the data key) in the background; the old version is then unused', async () => {
    const c0 = await p.newTenant();
    const waId = p.newCustomer();
    const ids: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      ids.push(await write(c0, waId, `before rotation ${i}`));
    }
    // An ads credential is under the tenant's data key too, and moves to the new version with the messages.
    const adAccountId = await registerAdsAccount(p.store.request, await c0.token(), p.adsTokenFor);
    const op = await p.store.operatorToken();
    const before = await p.store.request('GET', `/v1/tenants/${c0.id}/keys`, { token: op });
    expect(before.body.activeVersion).toBe(1);
    const rotated = await p.store.request('POST', `/v1/tenants/${c0.id}/keys/rotate`, { token: op });
    expect(rotated.status).toBe(202);
    expect(rotated.body.activeVersion).toBe(2);

    const after = await waitFor('re-encryption to finish', async () => {
      const s = await p.store.request('GET', `/v1/tenants/${c0.id}/keys`, { token: op });
      return s.body.job?.state === 'done' ? s.body : undefined;
    });
    // The ads credential is re-encrypted; the twelve messages and the hosted notice are under their
    // conversation's key, which is rewrapped under version 2 (the messages are not rewritten).
    expect(after.job.rewritten).toBeGreaterThanOrEqual(1);
    expect(after.job).toMatchObject({ failed: 0 });
    expect(after.messagesByKeyVersion).toEqual({});
    expect(after.conversationKeysByKeyVersion).toEqual({ '2': 1 });
    expect(after.versions.find((v: any) => v.version === 1)).toMatchObject({
      active: false,
      retiredAt: expect.any(String),
    });
    const credential = await p.sql(
      `SELECT split_part(token_ciphertext, '.', 2) AS v FROM tenant_store.marketing_ads_credentials WHERE tenant_id = $1`,
      [c0.id],
    );
    expect(credential).toEqual([{ v: '2' }]);
    // The customer's sealed number is under the conversation's key too (v2: rewrapped, not
    // rewritten; the reference stays: the index key is not rotated), and the tenant still sees it.
    const sealedNumbers = await p.sql(
      `SELECT split_part(customer_wa_id_ciphertext, '.', 1) AS v, customer_ref FROM tenant_store.conversations WHERE tenant_id = $1`,
      [c0.id],
    );
    expect(sealedNumbers).toEqual([{ v: 'v2', customer_ref: await customerRef(c0.id, waId) }]);
    const authorized = await p.store.request('POST', '/v1/marketing/authorizations', {
      token: await c0.token(),
      body: {
        destination: { kind: 'customer_list_audience', adAccountId, audienceId: uniqueDigits(15) },
        dataUses: ['marketing.advertising.first_party.targeted'],
        scope: 'all',
      },
    });
    expect(authorized.status).toBe(201);

    const newId = await write(c0, waId, 'after rotation');
    const keys = await p.sql(
      `SELECT data_key_version AS v FROM custody_keys.conversation_keys WHERE tenant_id = $1 AND destroyed_at IS NULL`,
      [c0.id],
    );
    expect(keys).toEqual([{ v: 2 }]);
    const c = await conversation(c0, waId);
    expect(c.messages.find((m: any) => m.id === newId).content).toEqual({ body: 'after rotation' });
    expect(
      c.messages
        .filter((m: any) => ids.includes(m.id))
        .map((m: any) => m.content.body)
        .sort(),
    ).toEqual(Array.from({ length: 12 }, (_, i) => `before rotation ${i}`).sort());
    expect(c.customer).toBe(waId);

    // The active version can never be destroyed; a retired one only once no replica may still use it.
    const refusedActive = await p.store.request('DELETE', `/v1/tenants/${c0.id}/keys/2`, { token: op });
    expect(refusedActive.status).toBe(409);
    const tooSoon = await p.store.request('DELETE', `/v1/tenants/${c0.id}/keys/1`, { token: op });
    expect(tooSoon.status).toBe(409);
    expect(tooSoon.body.error.message).toMatch(/retired|active/i);
    const tenantToken = await c0.token();
    expect((await p.store.request('POST', `/v1/tenants/${c0.id}/keys/rotate`, { token: tenantToken })).status).toBe(
      403,
    );
  });

  /**
   * Every row of every table of Custody's schemas that contains `text` (whole rows cast to text):
   * outboxes, webhook queues, key tables and the data itself.
   */
  const rowsContaining = async (text: string): Promise<string[]> => {
    const tables = await p.sql(
      `SELECT table_schema AS s, table_name AS t FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema IN ('tenant_store', 'ingest', 'consent', 'marketing_export')
        ORDER BY 1, 2`,
    );
    const hits: string[] = [];
    for (const { s, t } of tables) {
      const [row] = await p.sql(`SELECT count(*)::int AS n FROM "${s}"."${t}" x WHERE x::text LIKE $1`, [`%${text}%`]);
      if (row.n > 0) {
        hits.push(`${s}.${t} (${row.n})`);
      }
    }
    return hits;
  };

  /**
   * The broker's raw log segment files of this test file's topics (its environment's prefix), as
   * the broker wrote them: events are produced uncompressed, so anything in clear would be found.
   * KAFKA_LOG_DIRS names the local broker's log directory (npm test and `scripts/stack.sh env` set
   * it); against a broker of one's own (KAFKA_BROKERS given) the records are read back instead.
   */
  const segmentFiles = (): string[] => {
    const prefix = `${process.env.KAFKA_TOPIC_PREFIX}.`;
    return (process.env.KAFKA_LOG_DIRS ?? '')
      .split(',')
      .filter(Boolean)
      .flatMap((dir) =>
        readdirSync(dir)
          .filter((d) => d.startsWith(prefix))
          .flatMap((d) =>
            readdirSync(join(dir, d))
              .filter((f) => f.endsWith('.log'))
              .map((f) => join(dir, d, f)),
          ),
      );
  };
  const onBroker = async (text: string): Promise<string[]> => {
    if (process.env.KAFKA_LOG_DIRS) {
      return segmentFiles().filter((f) => readFileSync(f).includes(Buffer.from(text, 'utf8')));
    }
    const hits: string[] = [];
    for (const topic of Object.values(Topics)) {
      if ((await readTopic(testTopic(topic))).some((e) => JSON.stringify(e).includes(text))) {
        hits.push(topic);
      }
    }
    return hits;
  };

  it('content is ciphertext from the edge on: markers in texts, a caption, a filename, a link and template parameters, in and out, are in no raw Kafka segment file, outbox, webhook queue or other table; the tenant and the customer still get them', async () => {
    const marker = `mkr${randomBytes(6).toString('hex')}`;
    const receiver = await new WebhookReceiver().start();
    try {
      // The tenant's endpoint is down at first: its webhooks wait in ingest's queue, payload and all.
      receiver.mode = 'fail';
      const tenant = await p.newTenant({ webhookUrl: receiver.url });
      const token = await tenant.token();
      await approvedTemplate(p.ingestUrl, tenant, {
        name: 'order_update',
        components: [{ type: 'BODY', text: 'Order update: {{1}}', example: { body_text: [['shipped']] } }],
      });
      const waId = p.newCustomer();
      const inbound = await p.sandbox('POST', `/sandbox/v1/customers/${waId}/messages`, {
        body: { phoneNumberId: tenant.phoneNumberId, text: `${marker} inbound text` },
      });
      const inboundId = inbound.body.messageId as string;
      await waitFor(
        'the inbound message stored',
        async () =>
          (await p.sql(`SELECT 1 FROM tenant_store.messages WHERE message_id = $1`, [inboundId])).length === 1,
      );
      const send = async (body: Record<string, unknown>): Promise<string> => {
        const res = await p.ingest('POST', `/v25.0/${tenant.phoneNumberId}/messages`, {
          token,
          body: { messaging_product: 'whatsapp', to: waId, ...body },
        });
        expect(res.status).toBe(200);
        return res.body.messages[0].id as string;
      };
      const sent = [
        await send({ type: 'text', text: { body: `${marker} outbound text` } }),
        await send({
          type: 'document',
          document: {
            link: `https://cdn.example.com/${marker}-link.pdf`,
            caption: `${marker} caption`,
            filename: `${marker}-filename.pdf`,
          },
        }),
        await send({
          type: 'template',
          template: {
            name: 'order_update',
            language: { code: 'en_US' },
            components: [{ type: 'body', parameters: [{ type: 'text', text: `${marker} template parameter` }] }],
          },
        }),
      ];
      // The customer got them (the network's delivery opened them)…
      const inbox = await waitFor(
        'the outbound messages in the customer’s inbox',
        async () => {
          const res = await p.sandbox(
            'GET',
            `/sandbox/v1/customers/${waId}/inbox?phoneNumberId=${tenant.phoneNumberId}`,
          );
          const mine = (res.body as any[]).filter((m) => sent.includes(m.messageId));
          return mine.length === sent.length ? mine : undefined;
        },
        60_000,
      );
      // The customer receives the template's text with the parameter filled in.
      expect(inbox.find((m: any) => m.type === 'template').content.rendered.body).toBe(
        `Order update: ${marker} template parameter`,
      );
      const document = inbox.find((m: any) => m.type === 'document');
      expect(document.content).toEqual({
        link: `https://cdn.example.com/${marker}-link.pdf`,
        caption: `${marker} caption`,
        filename: `${marker}-filename.pdf`,
      });
      // …and the failed webhook of the inbound message waits in the queue, with its payload.
      await waitFor(
        'the failed webhook queued with its payload',
        async () => {
          const rows = await p.sql(
            `SELECT 1 FROM ingest.webhook_deliveries WHERE tenant_id = $1 AND event_id = $2 AND payload IS NOT NULL`,
            [tenant.id, `stored:${inboundId}`],
          );
          return rows.length === 1;
        },
        60_000,
      );
      // Every message and status stored, so every event has been produced and relayed.
      await waitFor(
        'every message stored with a status',
        async () => {
          const rows = await p.sql(
            `SELECT count(*)::int AS n FROM tenant_store.messages WHERE message_id = ANY($1) AND status <> 'accepted'`,
            [sent],
          );
          return rows[0].n === sent.length;
        },
        60_000,
      );

      // Not in clear anywhere at rest: no table (outboxes and the webhook queue included)…
      expect(await rowsContaining(marker)).toEqual([]);
      // …and no segment file of this environment's topics. The control: the same files do hold the
      // messages' ids in clear (they are not content), so the scan reads what the broker wrote.
      expect((await onBroker(inboundId)).length).toBeGreaterThan(0);
      expect((await onBroker(sent[1])).length).toBeGreaterThan(0);
      expect(await onBroker(marker)).toEqual([]);
      // The app secret neither, though the tenants topic carries it to ingest.
      expect(await onBroker(tenant.appSecret)).toEqual([]);
      expect(await rowsContaining(tenant.appSecret)).toEqual([]);
      // Nor the customer's phone number (wa_id): tables, events and Kafka keys name the customer by
      // a keyed reference, and hold the number only sealed. The control: the same scans find the
      // reference and the inbound message's id, so they read the rows and records the number
      // would be in (conversations, received-message ids, queued webhooks, outboxes, every topic).
      const ref = await customerRef(tenant.id, waId);
      expect(await rowsContaining(ref)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^tenant_store\.conversations /),
          expect.stringMatching(/^ingest\.inbound_messages /),
        ]),
      );
      expect((await rowsContaining(inboundId)).length).toBeGreaterThan(0);
      expect((await onBroker(ref)).length).toBeGreaterThan(0);
      expect(await rowsContaining(waId)).toEqual([]);
      expect(await onBroker(waId)).toEqual([]);

      // The tenant reads everything through the API…
      const list = await p.store.request('GET', `/v1/conversations?customer=${waId}`, { token });
      const detail = await p.store.request('GET', `/v1/conversations/${list.body.data[0].id}`, { token });
      const byId = new Map((detail.body.messages as any[]).map((m) => [m.id, m.content]));
      expect(byId.get(inboundId)).toEqual({ body: `${marker} inbound text` });
      expect(byId.get(sent[0])).toEqual({ body: `${marker} outbound text` });
      // The tenant sees its customer's number (opened for it), and looks the customer up by it.
      expect(list.body.data[0].customer).toBe(waId);
      expect(detail.body.customer).toBe(waId);
      expect(JSON.stringify(byId.get(sent[2]))).toContain(`${marker} template parameter`);
      // …and, once its endpoint is back, the queued webhook, opened and signed with its app secret.
      receiver.mode = 'ok';
      const hook = await waitFor(
        'the queued webhook delivered',
        async () => receiver.received.find((r) => r.rawBody.includes(inboundId)),
        120_000,
      );
      expect(WebhookReceiver.verify(tenant.appSecret, hook)).toBe(true);
      expect(receiver.items('messages').find((m) => m.id === inboundId).text).toEqual({
        body: `${marker} inbound text`,
      });
      expect(receiver.items('messages').find((m) => m.id === inboundId).from).toBe(waId);
    } finally {
      await receiver.stop();
    }
  }, 240_000);
});
