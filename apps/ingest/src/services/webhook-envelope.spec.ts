import { randomUUID } from 'node:crypto';
import { fastCheckFor, MessageEvent, StatusEvent } from '@custody/contracts';
import { buildEnvelope, nextDelayMs, PendingWebhook, webhookMessage, webhookStatus } from './webhook-envelope';

const tenantId = randomUUID();
/** Stand-ins for a customer's reference and sealed number (the worker opens the number). */
const refOf = (waId: string): string => `ref${waId}`.padEnd(43, 'x');
const sealed = `v1.1.${'C'.repeat(16)}.${'D'.repeat(40)}`;
const message = (id: string, waId: string): MessageEvent => ({
  eventId: id,
  type: 'message.inbound',
  tenantId,
  occurredAt: '2026-11-25T10:00:01.000Z',
  messageId: id,
  conversationId: randomUUID(),
  phoneNumberId: '111',
  customer: { ref: refOf(waId), waIdCiphertext: sealed, profileName: 'Ada' },
  origin: 'customer',
  messageType: 'text',
  contentCiphertext: `v1.1.${'A'.repeat(16)}.${'B'.repeat(40)}`,
  networkTimestamp: '2026-11-25T10:00:00.000Z',
  custody: { e2e: false, hostedBy: 'custody' },
});
const status: StatusEvent = {
  eventId: 'wamid.abcdefghij:read',
  type: 'message.status',
  tenantId,
  occurredAt: '2026-11-25T10:00:05.000Z',
  messageId: 'wamid.abcdefghij',
  conversationId: randomUUID(),
  phoneNumberId: '111',
  recipient: { ref: refOf('15550001111'), waIdCiphertext: sealed },
  status: 'read',
  networkTimestamp: '2026-11-25T10:00:04.000Z',
  custody: { e2e: false, hostedBy: 'custody' },
};

describe('webhookMessage', () => {
  it('gives media the network could not give as the Cloud API does: unsupported, the type it had, the message’s errors', () => {
    const error = {
      code: 131052,
      title: 'Media download error',
      message: 'Media download error',
      error_data: { details: 'Unable to download the media sent by the user.' },
    };
    const m = { ...message('wamid.cccccccccc', '15550001111'), messageType: 'unsupported' as const };
    expect(webhookMessage(m, { type: 'image', errors: [error] }, '15550001111')).toEqual({
      from: '15550001111',
      id: 'wamid.cccccccccc',
      timestamp: String(Date.parse('2026-11-25T10:00:00.000Z') / 1000),
      errors: [error],
      type: 'unsupported',
      unsupported: { type: 'image' },
    });
    // Any other type keeps its content whole (an `errors` key in it is the content's own).
    expect(webhookMessage(message('wamid.dddddddddd', '15550001111'), { body: 'hi', errors: 1 }, '1')).toMatchObject({
      type: 'text',
      text: { body: 'hi', errors: 1 },
    });
  });
});

describe('buildEnvelope', () => {
  it('groups messages and statuses into Cloud API changes with metadata, contacts and unix timestamps', () => {
    const base = { businessAccountId: 'waba1', phoneNumberId: '111', displayPhoneNumber: '+15550000011' };
    const items: PendingWebhook[] = [
      { ...base, id: '1', kind: 'message', payload: message('wamid.aaaaaaaaaa', '15550001111') },
      { ...base, id: '2', kind: 'message', payload: message('wamid.bbbbbbbbbb', '15550001111') },
      { ...base, id: '3', kind: 'status', payload: status },
    ];
    // Content travels sealed; the worker opens it and hands it over by message id.
    const contents = new Map([
      ['wamid.aaaaaaaaaa', { body: 'hi' }],
      ['wamid.bbbbbbbbbb', { body: 'there' }],
    ]);
    const numbers = new Map([[refOf('15550001111'), '15550001111']]);
    const envelope = buildEnvelope(items, contents, numbers) as any;
    expect(envelope.object).toBe('whatsapp_business_account');
    expect(envelope.entry).toHaveLength(1);
    const [messages, statuses] = envelope.entry[0].changes;
    expect(messages.field).toBe('messages');
    expect(messages.value.metadata).toEqual({ display_phone_number: '15550000011', phone_number_id: '111' });
    expect(messages.value.contacts).toEqual([{ profile: { name: 'Ada' }, wa_id: '15550001111' }]);
    expect(messages.value.messages[0]).toEqual({
      from: '15550001111',
      id: 'wamid.aaaaaaaaaa',
      timestamp: '1795600800',
      type: 'text',
      text: { body: 'hi' },
    });
    expect(messages.value.messages[1].text).toEqual({ body: 'there' });
    expect(messages.value.custody).toEqual({ e2e: false, hostedBy: 'custody' });
    expect(statuses.value.statuses).toEqual([
      { id: 'wamid.abcdefghij', status: 'read', timestamp: '1795600804', recipient_id: '15550001111' },
    ]);
  });
});

describe('nextDelayMs', () => {
  it('doubles per attempt within jitter bounds and caps at one hour', () => {
    expect(nextDelayMs(1, 1000, () => 0)).toBe(500);
    expect(nextDelayMs(1, 1000, () => 1)).toBe(1000);
    expect(nextDelayMs(4, 1000, () => 1)).toBe(8000);
    expect(nextDelayMs(40, 1000, () => 1)).toBe(3_600_000);
  });
});

describe('webhookStatus: pricing and conversation', () => {
  const sent: StatusEvent = {
    ...status,
    eventId: 'wamid.abcdefghij:sent',
    status: 'sent',
    pricing: { billable: false, pricingModel: 'PMP', type: 'free_customer_service', category: 'service' },
    conversation: { id: 'c0ffee', expirationTimestamp: '1764151200', originType: 'service' },
  };

  it('renders pricing in the Cloud API shape, and conversation only for a free entry point (v24.0+)', () => {
    expect(webhookStatus(sent, '15550001111')).toEqual({
      id: 'wamid.abcdefghij',
      status: 'sent',
      timestamp: String(Date.parse('2026-11-25T10:00:04.000Z') / 1000),
      recipient_id: '15550001111',
      pricing: { billable: false, pricing_model: 'PMP', type: 'free_customer_service', category: 'service' },
    });
    const entryPoint = {
      ...sent,
      pricing: { ...sent.pricing!, type: 'free_entry_point' as const },
      conversation: { id: 'c0ffee', originType: 'service' as const },
    };
    expect(webhookStatus(entryPoint, '15550001111').conversation).toEqual({
      id: 'c0ffee',
      origin: { type: 'service' },
    });
    expect(
      webhookStatus(
        { ...entryPoint, conversation: { ...entryPoint.conversation, expirationTimestamp: '1764151200' } },
        '15550001111',
      ).conversation,
    ).toEqual({ id: 'c0ffee', expiration_timestamp: '1764151200', origin: { type: 'service' } });
  });

  it('leaves them out when the status has none, and the event keeps its compiled check', () => {
    expect(webhookStatus(status, '15550001111')).not.toHaveProperty('pricing');
    expect(webhookStatus(status, '15550001111')).not.toHaveProperty('conversation');
    const check = fastCheckFor(StatusEvent);
    expect(check?.(sent)).toBe(true);
    expect(check?.({ ...sent, pricing: { ...sent.pricing, category: 'gift' } })).toBe(false);
  });
});

describe('message_template_status_update', () => {
  it('is a change of its own with the Cloud API value (a numeric template id), beside message changes', () => {
    const base = { businessAccountId: 'waba1', phoneNumberId: '', displayPhoneNumber: '' };
    const template = (id: string, event: string): PendingWebhook => ({
      ...base,
      id,
      kind: 'template',
      payload: {
        templateId: '594425479261596',
        name: 'order_update',
        language: 'en_US',
        category: 'UTILITY',
        event,
        reason: 'NONE',
        at: '2026-11-25T10:00:00.000Z',
      },
    });
    const envelope = buildEnvelope([
      template('t1', 'APPROVED'),
      template('t2', 'DISABLED'),
      { ...base, phoneNumberId: '111', displayPhoneNumber: '+15550000011', id: '3', kind: 'status', payload: status },
    ]) as any;
    const changes = envelope.entry[0].changes;
    expect(envelope.entry[0].time).toEqual(expect.any(Number));
    expect(changes.map((c: any) => c.field)).toEqual([
      'message_template_status_update',
      'message_template_status_update',
      'messages',
    ]);
    expect(changes[0].value).toEqual({
      event: 'APPROVED',
      message_template_id: 594425479261596,
      message_template_name: 'order_update',
      message_template_language: 'en_US',
      message_template_category: 'UTILITY',
      reason: 'NONE',
    });
    expect(changes[1].value.disable_info).toEqual({
      disable_date: String(Date.parse('2026-11-25T10:00:00.000Z') / 1000),
    });
  });
});
