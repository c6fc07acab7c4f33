import { randomBytes } from 'node:crypto';
import { AdReferral, conversationIdFor, CUSTODY_MARKING, MessageEvent, Topics } from '@custody/contracts';
import type { KeyProvider } from '@custody/crypto';
import { testKafka, testTopic } from '@custody/testing';
import { sealContent, testCustomer, UNKNOWN_CUSTOMER_REF, UNOPENABLE_CIPHERTEXT } from './sealing';

/**
 * An inbound customer message as ingest publishes it, in the conversation of `waId` with the
 * tenant's number: its content sealed under the tenant's data key (tenant-store made it when the
 * tenant was created). `unsealed: true` for a tenant that has no key (not ours): a ciphertext no
 * key opens.
 */
export async function inboundMessage(
  tenant: { id: string; phoneNumberId: string },
  waId: string,
  options: {
    /** Text body (default `x`); ignored when `content` is given. */
    body?: string;
    content?: Record<string, unknown>;
    messageType?: MessageEvent['messageType'];
    profileName?: string;
    referral?: AdReferral;
    /** When the network says it happened (default: now). */
    networkTimestamp?: Date;
    /** The master keys the tenant's data key is wrapped with (default: the tests' shared one). */
    masterKeys?: KeyProvider;
    unsealed?: boolean;
  } = {},
): Promise<MessageEvent> {
  const id = `wamid.test${randomBytes(10).toString('hex')}`;
  const content = options.content ?? { body: options.body ?? 'x' };
  const customer = options.unsealed
    ? { ref: UNKNOWN_CUSTOMER_REF, waIdCiphertext: UNOPENABLE_CIPHERTEXT }
    : await testCustomer(tenant.id, waId, options.masterKeys);
  return {
    eventId: id,
    type: 'message.inbound',
    tenantId: tenant.id,
    occurredAt: new Date().toISOString(),
    messageId: id,
    conversationId: conversationIdFor(tenant.id, tenant.phoneNumberId, customer.ref),
    phoneNumberId: tenant.phoneNumberId,
    customer: { ...customer, ...(options.profileName ? { profileName: options.profileName } : {}) },
    origin: 'customer',
    messageType: options.messageType ?? 'text',
    contentCiphertext: options.unsealed
      ? UNOPENABLE_CIPHERTEXT
      : await sealContent(tenant.id, id, content, options.masterKeys),
    ...(options.referral ? { referral: options.referral } : {}),
    networkTimestamp: (options.networkTimestamp ?? new Date()).toISOString(),
    custody: { ...CUSTODY_MARKING },
  };
}

/** Publishes events on the inbound messages topic, keyed by conversation (as ingest does). */
export async function publishInbound(events: MessageEvent[]): Promise<void> {
  const producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({
      topic: testTopic(Topics.MessagesInbound),
      acks: -1,
      messages: events.map((e) => ({ key: `${e.tenantId}:${e.conversationId}`, value: JSON.stringify(e) })),
    });
  } finally {
    await producer.disconnect();
  }
}
