import type { KafkaMessage } from 'kafkajs';
import { Topics } from '@custody/contracts';
import { uniqueDigits } from '@custody/testing';
import { customerRef, openContent } from '../support/sealing';
import {
  ConsentHarness,
  ConsentTenant,
  eventually,
  startConsent,
  TopicWatch,
  watchTopic,
} from '../support/consent.harness';

/**
 * A tenant and its customer, black-box over HTTP and Kafka: grants recorded through the API,
 * withdrawn in the chat with STOP, given again with START; every change on consent.events and
 * every confirmation on messages.outbound.
 */
describe('consent end to end: API grants, in-chat STOP and START (real Kafka and PostgreSQL)', () => {
  let h: ConsentHarness;
  let consentEvents: TopicWatch;
  let outbound: TopicWatch;
  beforeAll(async () => {
    h = await startConsent();
    [consentEvents, outbound] = await Promise.all([
      watchTopic(Topics.ConsentEvents),
      watchTopic(Topics.MessagesOutbound),
    ]);
  });
  afterAll(async () => {
    await Promise.all([consentEvents?.stop(), outbound?.stop()]);
    await h?.close();
  });

  const json = (m: KafkaMessage) => JSON.parse(m.value!.toString());
  const api = (t: ConsentTenant, method: string, path: string, body?: unknown) =>
    h.request(method, path, { token: t.admin, body });
  const statusOf = async (t: ConsentTenant, waId: string) =>
    Object.fromEntries(
      (await api(t, 'GET', `/v1/consent/customers/${waId}`)).body.purposes.map(
        (p: { purpose: string; status: string }) => [p.purpose, p.status],
      ),
    );
  const replyTo = (event: { messageId: string }) => outbound.next((m) => json(m).contextMessageId === event.messageId);
  /** A reply as it travels (sealed under the tenant's key, never in clear on the topic), with its content opened. */
  const opened = async (m: KafkaMessage) => {
    const event = json(m);
    expect(event.content).toBeUndefined();
    return { ...event, content: await openContent(event.tenantId, event.messageId, event.contentCiphertext) };
  };

  async function shop(): Promise<ConsentTenant> {
    const t = await h.newTenant();
    await api(t, 'POST', '/v1/consent/purposes', {
      key: 'ads',
      dataUse: 'marketing.advertising.first_party.targeted',
      wording: { language: 'en', text: 'Acme may show you ads based on our chats.' },
    });
    await api(t, 'POST', '/v1/consent/purposes', {
      key: 'news',
      dataUse: 'marketing.communications.whatsapp',
      wording: { language: 'en', text: 'Weekly offers from Acme on WhatsApp.' },
    });
    await api(t, 'POST', '/v1/consent/purposes', {
      key: 'service',
      dataUse: 'essential.service.notifications',
      wording: { language: 'en', text: 'Order updates.' },
    });
    return t;
  }

  it('grant → state → revoke via STOP → state, with every change on the compacted consent topic', async () => {
    const t = await shop();
    const waId = uniqueDigits(11);
    const prompt = await api(t, 'POST', '/v1/consent/prompts', {
      customer: { waId },
      language: 'en',
      purposes: ['ads', 'service'],
      messageId: `wamid.optin${uniqueDigits(10)}`,
    });
    const grant = await api(t, 'POST', '/v1/consent/records', {
      customer: { waId },
      purpose: 'ads',
      action: 'grant',
      method: 'api',
      promptId: prompt.body.id,
    });
    await api(t, 'POST', '/v1/consent/records', {
      customer: { waId },
      purpose: 'service',
      action: 'grant',
      method: 'api',
      promptId: prompt.body.id,
    });
    expect(await statusOf(t, waId)).toEqual({ ads: 'granted', news: 'none', service: 'granted' });

    const subject = prompt.body.subject;
    const granted = json(await consentEvents.next((m) => m.key!.toString() === `${t.id}:${subject}:ads`));
    expect(granted).toMatchObject({
      type: 'consent.granted',
      status: 'granted',
      eventId: grant.body.id,
      customer: { ref: await customerRef(t.id, waId) },
      purpose: { key: 'ads', version: 1 },
      logIndex: 1,
    });

    const stop = await h.sendInbound(t, waId, { body: '  Stop ' });
    await eventually(async () => (await statusOf(t, waId)).ads === 'revoked', 20_000, 'STOP to revoke');
    expect(await statusOf(t, waId)).toEqual({ ads: 'revoked', news: 'revoked', service: 'granted' });
    const check = await api(
      t,
      'GET',
      `/v1/consent/check?waId=${waId}&dataUse=marketing.advertising.first_party.targeted`,
    );
    expect(check.body).toMatchObject({ allowed: false, reason: 'revoked' });

    const revoked = json(
      await consentEvents.next(
        (m) => m.key!.toString() === `${t.id}:${subject}:ads` && json(m).type === 'consent.revoked',
      ),
    );
    expect(revoked).toMatchObject({
      status: 'revoked',
      method: 'in_chat_keyword',
      purpose: { key: 'ads', wordingHash: granted.purpose.wordingHash },
    });
    expect(revoked.logIndex).toBeGreaterThan(granted.logIndex);
    const reply = await opened(await replyTo(stop));
    expect(reply).toMatchObject({
      type: 'message.outbound',
      origin: 'system',
      messageType: 'system',
      conversationId: stop.conversationId,
      customer: stop.customer,
      content: { body: expect.stringContaining('no longer receive marketing messages') },
      custody: { e2e: false, hostedBy: 'custody' },
    });
    expect(reply.messageId).toMatch(/^wamid\./);

    const history = (await api(t, 'GET', `/v1/consent/customers/${waId}/history`)).body.entries;
    const stopEntry = history.find(
      (e: { kind: string; entry: { purpose?: { key: string } } }) =>
        e.kind === 'consent.revoked' && e.entry.purpose?.key === 'ads',
    );
    expect(stopEntry.entry).toMatchObject({
      method: 'in_chat_keyword',
      evidence: { messageId: stop.messageId },
      source: { channel: 'chat' },
    });
  });

  it('a redelivered STOP changes nothing and is answered once; localized keywords are answered in their language', async () => {
    const t = await shop();
    const waId = uniqueDigits(11);
    const stop = await h.sendInbound(t, waId, { body: 'ARRÊT' });
    const reply = await opened(await replyTo(stop));
    expect(reply.content.body).toContain('Vous ne recevrez plus');
    const size = async () => (await api(t, 'GET', '/v1/audit/logs')).body.data[0].size;
    const before = await size();
    expect(before).toBe(2); // ads and news revoked (recorded even though never granted: an explicit objection)

    await h.republish(stop);
    const marker = await h.sendInbound(t, uniqueDigits(11), { body: 'hello' });
    await h.sendInbound(t, waId, { body: 'where is my order?' });
    const after = await h.sendInbound(t, uniqueDigits(11), { body: 'basta' });
    await replyTo(after);
    expect(await size()).toBe(before + 2);
    expect(outbound.all().filter((m) => json(m).contextMessageId === stop.messageId)).toHaveLength(1);
    expect(outbound.all().some((m) => json(m).contextMessageId === marker.messageId)).toBe(false);
  });

  it('START grants what the opt-in prompt covers once its wording was shown, and asks to confirm otherwise', async () => {
    const t = await shop();
    expect((await api(t, 'PUT', '/v1/consent/opt-in-prompt', { language: 'en', purposes: ['news'] })).status).toBe(200);

    // A customer who never saw the wording: START shows it (a logged prompt) and asks again.
    const newcomer = uniqueDigits(11);
    const first = await h.sendInbound(t, newcomer, { body: 'START' });
    expect((await opened(await replyTo(first))).content.body).toContain(
      'please confirm: Weekly offers from Acme on WhatsApp.',
    );
    expect((await statusOf(t, newcomer)).news).toBe('none');
    const second = await h.sendInbound(t, newcomer, { body: 'start' });
    expect((await opened(await replyTo(second))).content.body).toContain('You are subscribed to: Weekly offers');
    expect(await statusOf(t, newcomer)).toEqual({ ads: 'none', news: 'granted', service: 'none' });
    const history = (await api(t, 'GET', `/v1/consent/customers/${newcomer}/history`)).body.entries;
    expect(history.map((e: { kind: string }) => e.kind)).toEqual(['consent.prompted', 'consent.granted']);
    expect(history[1].entry.prompt).toBe(history[0].id);

    // STOP shows the opt-in wording, so START afterwards re-grants at once — and only "news", not "ads".
    const regular = uniqueDigits(11);
    const prompt = await api(t, 'POST', '/v1/consent/prompts', {
      customer: { waId: regular },
      language: 'en',
      purposes: ['ads'],
    });
    await api(t, 'POST', '/v1/consent/records', {
      customer: { waId: regular },
      purpose: 'ads',
      action: 'grant',
      method: 'api',
      promptId: prompt.body.id,
    });
    const stop = await h.sendInbound(t, regular, { body: 'STOP' });
    expect((await opened(await replyTo(stop))).content.body).toContain(
      'Reply START to subscribe again to: Weekly offers',
    );
    const start = await h.sendInbound(t, regular, { body: 'START' });
    expect((await opened(await replyTo(start))).content.body).toContain('You are subscribed to');
    expect(await statusOf(t, regular)).toEqual({ ads: 'revoked', news: 'granted', service: 'none' });
  });
});
