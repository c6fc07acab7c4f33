import { randomUUID } from 'node:crypto';
import { conversationIdFor, CUSTODY_MARKING, MessageEvent, Topics, validateEvent } from '@custody/contracts';
import { leafHash } from '@custody/transparency-log';
import { replyMessageId, systemMessage } from '../services/chat-consent.service';
import { consentChangedEvent } from './consent-event';
import { ChangeEntry, entryBytes, finalizeEntry } from './log-entry';

/** What consent puts in its outbox must pass the topic schemas, or the relay would stall on it. */
describe('events consent publishes', () => {
  const tenant = randomUUID();

  it('a grant and a revoke make valid consent.events messages keyed tenant:subject:purpose', () => {
    for (const kind of ['consent.granted', 'consent.revoked'] as const) {
      const entry = finalizeEntry(
        {
          kind,
          tenant,
          subject: 'ab'.repeat(32),
          purpose: {
            key: 'ads',
            dataUse: 'marketing.advertising',
            ...(kind === 'consent.granted' ? { version: 2, language: 'pt-BR', wordingHash: 'cd'.repeat(32) } : {}),
          },
          method: 'in_chat_keyword',
          source: { channel: 'chat' },
          occurredAt: new Date().toISOString(),
        },
        41,
        randomUUID(),
        new Date().toISOString(),
      ) as ChangeEntry;
      const { key, event } = consentChangedEvent(entry, 'R'.repeat(43), leafHash(entryBytes(entry)));
      expect(key).toBe(`${tenant}:${'ab'.repeat(32)}:ads`);
      expect(validateEvent(Topics.ConsentEvents, JSON.parse(JSON.stringify(event)))).toMatchObject({ ok: true });
      expect(event).toMatchObject({
        type: kind,
        status: kind === 'consent.granted' ? 'granted' : 'revoked',
        logIndex: 41,
        customer: { ref: 'R'.repeat(43) },
      });
    }
  });

  it('the reply to STOP/START is a valid system message with a deterministic id', () => {
    const inbound: MessageEvent = {
      eventId: 'wamid.inbound12345678',
      type: 'message.inbound',
      tenantId: tenant,
      occurredAt: new Date().toISOString(),
      messageId: 'wamid.inbound12345678',
      conversationId: conversationIdFor(tenant, '1065403522', 'R'.repeat(43)),
      phoneNumberId: '1065403522',
      customer: { ref: 'R'.repeat(43), waIdCiphertext: `v1.1.${'E'.repeat(16)}.${'F'.repeat(40)}` },
      origin: 'customer',
      messageType: 'text',
      contentCiphertext: `v1.1.${'A'.repeat(16)}.${'B'.repeat(40)}`,
      networkTimestamp: new Date().toISOString(),
      custody: { ...CUSTODY_MARKING },
    };
    const id = replyMessageId(tenant, inbound.messageId);
    expect(id).toBe(replyMessageId(tenant, inbound.messageId));
    const reply = systemMessage(inbound, id, `v1.1.${'C'.repeat(16)}.${'D'.repeat(80)}`);
    expect(validateEvent(Topics.MessagesOutbound, JSON.parse(JSON.stringify(reply)))).toMatchObject({ ok: true });
    expect(reply).toMatchObject({
      origin: 'system',
      messageType: 'system',
      contextMessageId: inbound.messageId,
      conversationId: inbound.conversationId,
      customer: inbound.customer,
      custody: { e2e: false },
    });
  });
});
