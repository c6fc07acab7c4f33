// Events the benchmark and fault scripts publish as the platform would, and their flag parsing.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { conversationIdFor } = require('../../libs/contracts/dist/index.js');

/** `--name N` from the command line as a number, else `fallback`. */
export function numberFlag(args, name, fallback) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** A customer's text message as ingest publishes it on the inbound topic (a Kafka message). */
export function inboundTextMessage({ tenantId, phoneNumberId, waId, messageId, text, at = new Date() }) {
  const conversationId = conversationIdFor(tenantId, phoneNumberId, waId);
  return {
    key: `${tenantId}:${conversationId}`,
    value: JSON.stringify({
      eventId: messageId,
      type: 'message.inbound',
      tenantId,
      occurredAt: at.toISOString(),
      messageId,
      conversationId,
      phoneNumberId,
      customer: { waId },
      origin: 'customer',
      messageType: 'text',
      content: { body: text },
      networkTimestamp: at.toISOString(),
      custody: { e2e: false, hostedBy: 'custody' },
    }),
    headers: { 'custody-event-type': 'message.inbound', 'custody-tenant-id': tenantId },
  };
}
