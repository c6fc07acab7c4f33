import { HttpStatus, Injectable } from '@nestjs/common';
import { CUSTODY_MARKING, WAMID_PATTERN } from '@custody/contracts';
import { CustomerIdentity, DecryptionError, FieldCipher } from '@custody/crypto';
import { asTenantId } from '@custody/database';
import { DomainError, notFound } from '@custody/platform';
import {
  ConversationDetailDto,
  ConversationDto,
  ConversationLabelsDto,
  ConversationPageDto,
  ListConversationsQueryDto,
  MessageDto,
  StatusHistoryDto,
} from '../dtos/conversation.dto';
import { ConversationRow, MessageRepository, MessageRow } from '../repositories/message.repository';
import { isMediaType, mediaIdFor } from './media-ids';
import { contentAad } from './message-store.service';
import { encodeTimeCursor, parseTimeCursor, TimeCursor, UUID } from './time-cursor';

const WINDOW_MS = 24 * 60 * 60 * 1000;

/** The tenant admin's read API over its hosted conversations. */
@Injectable()
export class ConversationService {
  constructor(
    private readonly messages: MessageRepository,
    private readonly cipher: FieldCipher,
    private readonly identity: CustomerIdentity,
  ) {}

  async list(tenant: string, q: ListConversationsQueryDto): Promise<ConversationPageDto> {
    const limit = q.limit ?? 50;
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    // A customer is looked up by reference: the table holds no number in clear.
    const customer = q.customer ? await this.identity.ref(asTenantId(tenant), q.customer) : undefined;
    const rows = await this.messages.listConversations(asTenantId(tenant), {
      ...q,
      customer,
      limit: limit + 1,
      after,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: await Promise.all(page.map(async (c) => mapConversation(c, await this.customerOf(tenant, c)))),
      nextCursor: rows.length > limit ? encodeTimeCursor(last.last_message_at, last.id) : null,
    };
  }

  async get(tenant: string, id: string, messageLimit = 100): Promise<ConversationDetailDto> {
    if (!UUID.test(id)) {
      throw notFound('Conversation');
    }
    const found = await this.messages.getConversation(asTenantId(tenant), id, messageLimit);
    if (!found) {
      throw notFound('Conversation');
    }
    const messages = await Promise.all(
      found.messages.map(async (m) => mapMessage(m, await this.decryptContent(tenant, m))),
    );
    return { ...mapConversation(found.conversation, await this.customerOf(tenant, found.conversation)), messages };
  }

  /** The customer's number, opened for the tenant (its own customers' numbers). */
  private customerOf(tenant: string, c: ConversationRow): Promise<string> {
    return openCustomer(this.identity, tenant, c);
  }

  /** Decrypts a stored message's content; content that fails authentication is reported, never guessed. */
  private async decryptContent(tenant: string, m: MessageRow): Promise<Record<string, unknown> | null> {
    try {
      const plain = await this.cipher.decryptString(asTenantId(tenant), m.content_ciphertext, contentAad(m.message_id));
      return JSON.parse(plain) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof DecryptionError) {
        return null;
      }
      throw error;
    }
  }

  /** Replaces the conversation's labels. */
  async setLabels(tenant: string, id: string, labels: string[]): Promise<ConversationLabelsDto> {
    const result = UUID.test(id)
      ? await this.messages.setLabels(asTenantId(tenant), id, [...new Set(labels)].sort())
      : null;
    if (!result) {
      throw notFound('Conversation');
    }
    return { conversationId: id.toLowerCase(), labels: result };
  }

  /** Removes one label (removing a label the conversation does not carry changes nothing). */
  async removeLabel(tenant: string, id: string, label: string): Promise<ConversationLabelsDto> {
    const result = UUID.test(id) ? await this.messages.removeLabel(asTenantId(tenant), id, label) : null;
    if (!result) {
      throw notFound('Conversation');
    }
    return { conversationId: id.toLowerCase(), labels: result };
  }

  async statuses(tenant: string, messageId: string): Promise<StatusHistoryDto> {
    if (!WAMID_PATTERN.test(messageId)) {
      throw notFound('Message');
    }
    const found = await this.messages.statusHistory(asTenantId(tenant), messageId);
    if (!found) {
      throw notFound('Message');
    }
    return {
      messageId,
      status: found.message.status,
      history: found.history.map((h) => ({
        status: h.status,
        timestamp: h.network_timestamp.toISOString(),
        receivedAt: h.received_at.toISOString(),
        errors: h.errors ?? null,
      })),
      custody: { ...CUSTODY_MARKING },
    };
  }
}

function decodeCursor(cursor: string): TimeCursor {
  const position = parseTimeCursor(cursor);
  if (!position) {
    throw new DomainError(HttpStatus.BAD_REQUEST, 'bad_request', 'cursor is not valid');
  }
  return position;
}

/** A conversation's customer number, opened from its sealed copy. */
export async function openCustomer(identity: CustomerIdentity, tenant: string, c: ConversationRow): Promise<string> {
  if (!c.customer_ref || !c.customer_wa_id_ciphertext) {
    // Stored before references: tenant-store gives it one when it starts (CustomerRefBackfill).
    throw new DomainError(
      HttpStatus.SERVICE_UNAVAILABLE,
      'customer_reference_pending',
      'A conversation is being moved to its customer reference; retry shortly',
    );
  }
  // Empty when the number's key was destroyed (a message sealed with a key a replica still had
  // cached when the customer was erased): the number is gone.
  return (await identity.openIfKept(asTenantId(tenant), c.customer_ref, c.customer_wa_id_ciphertext)) ?? '';
}

/** `customer`: the number, opened (`openCustomer`). */
export function mapConversation(c: ConversationRow, customer: string): ConversationDto {
  return {
    id: c.id,
    phoneNumberId: c.phone_number_id,
    customer,
    customerName: c.customer_profile_name,
    referral: c.referral,
    createdAt: c.created_at.toISOString(),
    lastMessageAt: c.last_message_at.toISOString(),
    serviceWindowOpenUntil: c.last_customer_message_at
      ? new Date(c.last_customer_message_at.getTime() + WINDOW_MS).toISOString()
      : null,
    hostedNoticeSentAt: c.notice_sent_at?.toISOString() ?? null,
    labels: c.labels ?? [],
    custody: { ...CUSTODY_MARKING },
  };
}

export function mapMessage(m: MessageRow, content: Record<string, unknown> | null): MessageDto {
  return {
    id: m.message_id,
    direction: m.direction,
    origin: m.origin,
    type: m.message_type,
    content,
    mediaId: isMediaType(m.message_type) ? mediaIdFor(m.message_id) : null,
    contextMessageId: m.context_message_id,
    timestamp: m.network_timestamp.toISOString(),
    receivedAt: m.received_at.toISOString(),
    status: m.status,
    custody: { ...CUSTODY_MARKING },
  };
}
