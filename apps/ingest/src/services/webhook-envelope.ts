import { MessageEvent, StatusEvent } from '@custody/contracts';

/** A template's status change, due to the tenant as a `message_template_status_update` webhook. */
export interface TemplateStatusUpdate {
  templateId: string;
  name: string;
  language: string;
  category: string;
  /** The Cloud API's `event`: APPROVED, REJECTED, PAUSED, DISABLED… */
  event: string;
  /** The rejection reason (`NONE` when there is none). */
  reason: string;
  /** When the status changed (ISO). */
  at: string;
}

export interface PendingWebhook {
  id: string;
  businessAccountId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
  kind: 'message' | 'status' | 'template';
  payload: MessageEvent | StatusEvent | TemplateStatusUpdate;
}

/** The conversation a webhook is about (none for a template's status). */
export const conversationOf = (payload: PendingWebhook['payload']): string | null =>
  'conversationId' in payload ? payload.conversationId : null;

/** A template status change as the Cloud API's `message_template_status_update` value. */
export function webhookTemplateStatus(t: TemplateStatusUpdate): Record<string, unknown> {
  return {
    event: t.event,
    // A JSON number, as the Cloud API sends it (template ids have 15 digits: exact in a double).
    message_template_id: Number(t.templateId),
    message_template_name: t.name,
    message_template_language: t.language,
    message_template_category: t.category,
    reason: t.reason,
    ...(t.event === 'DISABLED' ? { disable_info: { disable_date: unix(t.at) } } : {}),
    ...(t.event === 'PAUSED'
      ? { other_info: { title: 'FIRST_PAUSE', description: 'The template was paused because of its quality rating' } }
      : {}),
  };
}

const unix = (iso: string): string => String(Math.floor(Date.parse(iso) / 1000));

/** The opened numbers of a batch's customers, by customer reference. */
export type OpenedNumbers = ReadonlyMap<string, string>;

/**
 * A stored customer message, with its opened content and number, as the Cloud API's webhook
 * `messages[]` item.
 */
export function webhookMessage(
  m: MessageEvent,
  content: Record<string, unknown>,
  waId: string,
): Record<string, unknown> {
  // An unsupported message's errors are the message's own, as the Cloud API puts them.
  const { errors, ...unsupported } = m.messageType === 'unsupported' ? content : { errors: undefined };
  return {
    from: waId,
    id: m.messageId,
    timestamp: unix(m.networkTimestamp),
    ...(m.messageType === 'unsupported' && Array.isArray(errors) ? { errors } : {}),
    type: m.messageType,
    [m.messageType]: m.messageType === 'unsupported' ? unsupported : content,
    ...(m.contextMessageId ? { context: { id: m.contextMessageId } } : {}),
    ...(m.referral
      ? {
          referral: {
            source_id: m.referral.sourceId,
            source_type: m.referral.sourceType,
            ctwa_clid: m.referral.ctwaClid,
          },
        }
      : {}),
  };
}

/**
 * A status as the Cloud API's webhook `statuses[]` item. Under per-message pricing (v24.0 and
 * later, the model the network reports) the `conversation` object is left out, except for a free
 * entry point conversation; ingest keeps what the network reported either way.
 */
export function webhookStatus(s: StatusEvent, recipientWaId: string): Record<string, unknown> {
  return {
    id: s.messageId,
    status: s.status,
    timestamp: unix(s.networkTimestamp),
    recipient_id: recipientWaId,
    ...(s.errors ? { errors: s.errors.map((e) => ({ code: e.code, title: e.title, message: e.title })) } : {}),
    ...(s.conversation && s.pricing?.type === 'free_entry_point'
      ? {
          conversation: {
            id: s.conversation.id,
            ...(s.conversation.expirationTimestamp ? { expiration_timestamp: s.conversation.expirationTimestamp } : {}),
            origin: { type: s.conversation.originType },
          },
        }
      : {}),
    ...(s.pricing
      ? {
          pricing: {
            billable: s.pricing.billable,
            pricing_model: s.pricing.pricingModel,
            type: s.pricing.type,
            category: s.pricing.category,
          },
        }
      : {}),
  };
}

/**
 * Batches webhooks into the Cloud API envelope: one entry per business account, one change per
 * phone number and kind (messages or statuses). Every value carries Custody's marking. Message
 * content travels sealed; `contents` holds the opened content of each message by message id, and
 * `numbers` the opened number of each customer by reference.
 */
export function buildEnvelope(
  items: PendingWebhook[],
  contents: ReadonlyMap<string, Record<string, unknown>> = new Map(),
  numbers: OpenedNumbers = new Map(),
): Record<string, unknown> {
  const entries = new Map<string, Map<string, PendingWebhook[]>>();
  for (const item of items) {
    const changes = entries.get(item.businessAccountId) ?? new Map<string, PendingWebhook[]>();
    // A template's status change is a change of its own (as the Cloud API sends them).
    const key = item.kind === 'template' ? `template|${item.id}` : `${item.phoneNumberId}|${item.kind}`;
    changes.set(key, [...(changes.get(key) ?? []), item]);
    entries.set(item.businessAccountId, changes);
  }
  return {
    object: 'whatsapp_business_account',
    entry: [...entries].map(([wabaId, changes]) => ({
      id: wabaId,
      time: Math.floor(Date.now() / 1000),
      changes: [...changes.values()].map((group) => {
        const first = group[0];
        if (first.kind === 'template') {
          return {
            field: 'message_template_status_update',
            value: webhookTemplateStatus(first.payload as TemplateStatusUpdate),
          };
        }
        const value: Record<string, unknown> = {
          messaging_product: 'whatsapp',
          metadata: {
            display_phone_number: first.displayPhoneNumber.replace(/^\+/, ''),
            phone_number_id: first.phoneNumberId,
          },
          custody: { e2e: false, hostedBy: 'custody' },
        };
        if (first.kind === 'message') {
          const messages = group.map((g) => g.payload as MessageEvent);
          const contacts = new Map<string, Record<string, unknown>>();
          for (const m of messages) {
            const waId = numbers.get(m.customer.ref) ?? '';
            contacts.set(m.customer.ref, { profile: { name: m.customer.profileName ?? '' }, wa_id: waId });
          }
          value.contacts = [...contacts.values()];
          value.messages = messages.map((m) =>
            webhookMessage(m, contents.get(m.messageId) ?? {}, numbers.get(m.customer.ref) ?? ''),
          );
        } else {
          value.statuses = group.map((g) => {
            const s = g.payload as StatusEvent;
            return webhookStatus(s, numbers.get(s.recipient.ref) ?? '');
          });
        }
        return { field: 'messages', value };
      }),
    })),
  };
}

/** Exponential backoff with jitter (between half and all of the doubled delay), capped at one hour. */
export function nextDelayMs(attempts: number, baseMs: number, random: () => number = Math.random): number {
  const exp = Math.min(3_600_000, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
