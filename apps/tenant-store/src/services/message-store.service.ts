import { Injectable } from '@nestjs/common';
import {
  adsPhoneHash,
  CUSTODY_MARKING,
  hostedNoticeMessageId,
  MarketingCandidate,
  MessageEvent,
  StatusEvent,
  StoredEvent,
  Topics,
} from '@custody/contracts';
import { CustomerIdentity, FieldCipher, messageContentAad } from '@custody/crypto';
import { enqueueOutboxDirect, OutboxRecord, TenantId } from '@custody/database';
import { EntityManager } from 'typeorm';
import { ConversationUpsert, MessageRepository } from '../repositories/message.repository';
import { MarketingAuthorizationRepository } from '../repositories/marketing-authorization.repository';
import { OutboxService } from '@custody/kafka';
import { isMediaType, MEDIA_ID_TTL_MS, mediaIdFor } from './media-ids';
import { ConversationFacts, isHostedChat, marketingCandidates, OutboxRow } from './marketing-candidates';

/** What a customer is told on first contact with a hosted business. */
export const HOSTED_NOTICE =
  'This business uses a hosting service (Custody) to manage this chat. Because a third party holds the chat, it is not end-to-end encrypted.';

/**
 * Stores message and status events, exactly once in effect: inserts are keyed by message id
 * (and message id + status), and the `stored` events for ingest's webhooks are written to the
 * outbox in the same transaction. A replay changes nothing and publishes nothing new. Messages of
 * conversations a tenant authorized for its marketing are published as `marketing.candidate`
 * events through the same outbox, in the same transaction.
 */
@Injectable()
export class MessageStoreService {
  constructor(
    private readonly messages: MessageRepository,
    private readonly outbox: OutboxService,
    private readonly cipher: FieldCipher,
    private readonly marketing: MarketingAuthorizationRepository,
    private readonly identity: CustomerIdentity,
  ) {}

  /** Returns false when the tenant is unknown here (its events cannot be stored). */
  async storeMessages(tenantId: TenantId, events: MessageEvent[]): Promise<boolean> {
    // Before any encryption: encrypting would create a data key for a tenant that is not ours.
    if (!(await this.isKnownTenant(tenantId))) {
      return false;
    }
    const unique = [...new Map(events.map((e) => [e.messageId, e])).values()];
    // Content arrives sealed (ingest sealed it at the edge, under its conversation's key, with the
    // tenant and message id as associated data) and is stored as it is: nothing to encrypt here,
    // and a ciphertext moved to another row or tenant still fails to decrypt.
    const ciphertexts = new Map<string, string>(unique.map((e) => [e.messageId, e.contentCiphertext]));
    // The hosted-chat notice is Custody's own text, sealed here like any content.
    const noticeCiphertexts = new Map<string, string>();
    const committed = await this.messages.transaction(tenantId, async (m): Promise<OutboxRecord[] | false> => {
      const { tenantExists, created, facts, inserted } = await this.messages.storeMessageBatch(
        m,
        tenantId,
        conversationsOf(unique),
        unique,
        ciphertexts,
      );
      if (!tenantExists) {
        return false;
      }
      await this.messages.insertMediaRefs(
        m,
        tenantId,
        unique
          .filter((e) => inserted.has(e.messageId) && isMediaType(e.messageType))
          .map((e) => ({
            id: mediaIdFor(e.messageId),
            messageId: e.messageId,
            mediaType: e.messageType,
            expiresAt: new Date(Date.parse(e.networkTimestamp) + MEDIA_ID_TTL_MS).toISOString(),
          })),
      );
      const now = new Date().toISOString();
      const rows = unique
        .filter((e) => inserted.has(e.messageId))
        .map((e) => ({
          topic: Topics.MessagesStored,
          key: `${tenantId}:${e.conversationId}`,
          payload: {
            eventId: `stored:${e.messageId}`,
            type: 'stored.message',
            tenantId,
            occurredAt: now,
            message: e,
          } satisfies StoredEvent,
        }));
      // First contact with a hosted business: tell the customer the chat is not end-to-end encrypted.
      // The notices go under the keys the edge sealed the conversations' first messages with:
      // loaded in one call, in this transaction (no connection, no call per conversation).
      await this.cipher.prefetchConversationKeys(
        tenantId,
        created.map((c) => unique.find((e) => e.conversationId === c)!.contentCiphertext),
        m,
      );
      for (const conversationId of created) {
        const id = hostedNoticeMessageId(conversationId);
        // Under the conversation's key like the customer's messages (a conversation whose first
        // message was sealed otherwise gets its key in a short transaction of its own: a key made
        // here must not depend on this one committing).
        noticeCiphertexts.set(
          id,
          await this.cipher.encryptJson(tenantId, { body: HOSTED_NOTICE }, contentAad(id), { conversationId }),
        );
      }
      const notices = created.map((conversationId) => {
        const first = unique.find((e) => e.conversationId === conversationId)!;
        const id = hostedNoticeMessageId(conversationId);
        const notice: MessageEvent = {
          eventId: id,
          type: 'message.outbound',
          tenantId,
          occurredAt: now,
          messageId: id,
          conversationId,
          phoneNumberId: first.phoneNumberId,
          customer: { ref: first.customer.ref, waIdCiphertext: first.customer.waIdCiphertext },
          origin: 'system',
          messageType: 'system',
          contentCiphertext: noticeCiphertexts.get(id)!,
          networkTimestamp: now,
          custody: { ...CUSTODY_MARKING },
        };
        return { topic: Topics.MessagesOutbound, key: `${tenantId}:${conversationId}`, payload: notice };
      });
      const candidates = await this.marketingCandidates(
        m,
        tenantId,
        unique.filter((e) => inserted.has(e.messageId)),
        facts,
        now,
      );
      return enqueueOutboxDirect(m, [...rows, ...notices, ...candidates]);
    });
    if (committed === false) {
      return false;
    }
    // Published from memory right after the commit (the outbox rows are the fallback).
    void this.outbox.publishCommitted(committed);
    return true;
  }

  /** Tenants seen to exist (offboarding still meets the check inside each transaction). */
  private readonly knownTenants = new Set<TenantId>();

  private async isKnownTenant(tenantId: TenantId): Promise<boolean> {
    if (this.knownTenants.has(tenantId)) {
      return true;
    }
    const exists = await this.messages.transaction(tenantId, (m) => this.messages.tenantExists(m, tenantId));
    if (exists && this.knownTenants.size < 100_000) {
      this.knownTenants.add(tenantId);
    }
    return exists;
  }

  /**
   * The candidates of newly stored messages under the tenant's active authorizations: one indexed
   * query per batch for the authorizations; the conversations' labels and referrals come from the
   * upsert that already touched them.
   */
  private async marketingCandidates(
    m: EntityManager,
    tenantId: TenantId,
    fresh: MessageEvent[],
    conversations: ReadonlyMap<string, ConversationFacts>,
    now: string,
  ): Promise<OutboxRow[]> {
    const eligible = fresh.filter((e) => e.origin !== 'system' && isHostedChat(e.custody));
    if (eligible.length === 0) {
      return [];
    }
    const authorizations = await this.marketing.activeForMessages(m, tenantId);
    if (authorizations.length === 0) {
      return [];
    }
    const rows = marketingCandidates(tenantId, authorizations, eligible, conversations, now);
    // The ads platforms' match key of each candidate's customer (SHA-256 of the normalized
    // number): marketing-export holds no keys, so the number is opened here, once per customer,
    // and only for messages an authorization takes.
    const hashes = new Map<string, string | null>();
    for (const row of rows) {
      const candidate = (row.payload as { candidate?: MarketingCandidate }).candidate;
      if (!candidate) {
        continue;
      }
      const ref = candidate.customer.ref;
      if (!hashes.has(ref)) {
        const message = eligible.find((e) => e.customer.ref === ref)!;
        // A number whose key was destroyed (its customer erased): no candidate for the ads.
        const waId = await this.identity.openIfKept(tenantId, ref, message.customer.waIdCiphertext);
        hashes.set(ref, waId === null ? null : adsPhoneHash(waId));
      }
      const hash = hashes.get(ref);
      if (hash) {
        candidate.customer.memberHash = hash;
      }
    }
    return rows;
  }

  async storeStatuses(tenantId: TenantId, events: StatusEvent[]): Promise<boolean> {
    const committed = await this.messages.transaction(tenantId, async (m): Promise<OutboxRecord[] | false> => {
      const { tenantExists, fresh, current } = await this.messages.storeStatusBatch(m, tenantId, events);
      if (!tenantExists) {
        return false;
      }
      const now = new Date().toISOString();
      const seen = new Set<string>();
      const rows = events
        .filter((e) => {
          const key = `${e.messageId}:${e.status}`;
          if (!fresh.has(key) || seen.has(key)) {
            return false;
          }
          seen.add(key);
          return true;
        })
        .map((e) => ({
          topic: Topics.MessagesStored,
          key: `${tenantId}:${e.conversationId}`,
          payload: {
            eventId: `stored:${e.messageId}:${e.status}`,
            type: 'stored.status',
            tenantId,
            occurredAt: now,
            status: e,
            advanced: current.get(e.messageId) === e.status,
          } satisfies StoredEvent,
        }));
      return enqueueOutboxDirect(m, rows);
    });
    if (committed === false) {
      return false;
    }
    void this.outbox.publishCommitted(committed);
    return true;
  }
}

/** The associated data of a message's encrypted content (the same wherever it is sealed or opened). */
export const contentAad = messageContentAad;

function conversationsOf(events: MessageEvent[]): ConversationUpsert[] {
  const byId = new Map<string, ConversationUpsert>();
  for (const e of events) {
    const c = byId.get(e.conversationId) ?? {
      id: e.conversationId,
      phoneNumberId: e.phoneNumberId,
      customerRef: e.customer.ref,
      waIdCiphertext: e.customer.waIdCiphertext,
      profileName: null,
      referral: null,
      lastMessageAt: e.networkTimestamp,
      lastCustomerMessageAt: null,
    };
    if (e.networkTimestamp > c.lastMessageAt) {
      c.lastMessageAt = e.networkTimestamp;
    }
    if (e.origin === 'customer') {
      c.lastCustomerMessageAt =
        !c.lastCustomerMessageAt || e.networkTimestamp > c.lastCustomerMessageAt
          ? e.networkTimestamp
          : c.lastCustomerMessageAt;
      c.profileName = e.customer.profileName ?? c.profileName;
      c.referral = c.referral ?? e.referral ?? null;
    }
    byId.set(e.conversationId, c);
  }
  return [...byId.values()];
}
