import { HttpStatus, Injectable } from '@nestjs/common';
import { Type, plainToInstance } from 'class-transformer';
import {
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  Matches,
  ArrayMaxSize,
  ArrayMinSize,
  ValidateNested,
  validateSync,
} from 'class-validator';
import {
  conversationIdFor,
  CUSTODY_MARKING,
  fastCheckFor,
  MessageEvent,
  NetworkEvent,
  PRICING_CATEGORIES,
  PRICING_TYPES,
  StatusEvent,
  Topics,
} from '@custody/contracts';
import { CustomerIdentity, FieldCipher, IdentifiedCustomer, messageContentAad } from '@custody/crypto';
import { asTenantId, TenantId } from '@custody/database';
import { EventPublisher, OutgoingEvent } from '@custody/kafka';
import { RoutingRepository } from '../repositories/routing.repository';
import { InboundMessageRepository, InboundRef } from '../repositories/inbound-message.repository';
import { WindowRepository } from '../repositories/window.repository';
import { InboundMediaItem, InboundMediaService } from './inbound-media.service';
import { GraphCodes, GraphError } from './graph-error';

class NetworkEventDto {
  @IsIn(['message', 'status'])
  kind: 'message' | 'status';

  @Matches(/^\d{1,32}$/)
  phoneNumberId: string;

  @IsOptional()
  @IsObject()
  from?: { waId: string; profileName?: string };

  @IsOptional()
  @IsObject()
  message?: Record<string, unknown>;

  @IsOptional()
  @IsObject()
  status?: Record<string, unknown>;
}

class NetworkBatchDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => NetworkEventDto)
  events: NetworkEventDto[];
}

const WAMID = /^wamid\.[A-Za-z0-9_=-]{8,200}$/;
const WA_ID = /^\d{6,20}$/;
const UNIX_SECONDS = /^\d{9,11}$/;
const INBOUND_TYPES = ['text', 'button', 'interactive', 'image', 'document', 'audio', 'video', 'sticker', 'reaction'];
const MEDIA_TYPES: ReadonlySet<string> = new Set(['image', 'document', 'audio', 'video', 'sticker']);
const NETWORK_MEDIA_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * What the network tells Custody (customer messages and statuses), already signature-checked.
 * The whole batch is validated before anything is published or any media fetched: a bad batch
 * publishes and keeps nothing.
 */
@Injectable()
export class NetworkInboundService {
  constructor(
    private readonly routing: RoutingRepository,
    private readonly windows: WindowRepository,
    private readonly inbound: InboundMessageRepository,
    private readonly publisher: EventPublisher,
    private readonly cipher: FieldCipher,
    private readonly inboundMedia: InboundMediaService,
    private readonly identity: CustomerIdentity,
  ) {}

  async receive(body: unknown): Promise<{ accepted: number }> {
    // The compiled check answers yes for well-formed batches without building instances; anything
    // else gets class-validator's full verdict.
    const wellFormed =
      typeof body === 'object' &&
      body !== null &&
      (fastCheckFor(NetworkBatchDto)?.(body) === true ||
        validateSync(plainToInstance(NetworkBatchDto, body), { forbidUnknownValues: true }).length === 0);
    if (!wellFormed) {
      throw bad('the body must be {"events": [...]} with 1-1000 events of kind message or status');
    }
    const messages: Array<OutgoingEvent<MessageEvent>> = [];
    const statuses: Array<OutgoingEvent<StatusEvent>> = [];
    const media: Array<{ event: MessageEvent; item: InboundMediaItem }> = [];
    const now = new Date().toISOString();
    for (const [index, raw] of (body as { events: NetworkEvent[] }).events.entries()) {
      const route = await this.routing.routeFor(raw.phoneNumberId);
      if (!route) {
        throw bad(`events[${index}]: unknown phone number id`);
      }
      if (raw.kind === 'message') {
        const m = raw.message;
        if (
          !raw.from ||
          !WA_ID.test(String(raw.from.waId)) ||
          !m ||
          !WAMID.test(String(m.id)) ||
          !UNIX_SECONDS.test(String(m.timestamp)) ||
          !INBOUND_TYPES.includes(String(m.type))
        ) {
          throw bad(
            `events[${index}]: a message needs from.waId, message.id (wamid), message.timestamp (unix seconds) and a known type`,
          );
        }
        const content = (m as unknown as Record<string, unknown>)[m.type];
        if (typeof content !== 'object' || content === null) {
          throw bad(`events[${index}]: message.${m.type} is missing`);
        }
        // The number becomes a reference and a sealed copy here, where it enters Custody.
        const customer = await this.identify(route.tenantId, route.phoneNumberId, String(raw.from.waId));
        // Media is fetched once the whole batch is known valid; its content is sealed then.
        const withMedia = MEDIA_TYPES.has(m.type) && typeof (content as { id?: unknown }).id === 'string';
        if (withMedia && !NETWORK_MEDIA_ID.test(String((content as { id: string }).id))) {
          throw bad(`events[${index}]: message.${m.type}.id is not a media id`);
        }
        const conversationId = conversationIdFor(route.tenantId, route.phoneNumberId, customer.ref);
        const contentCiphertext = withMedia ? '' : await this.seal(route.tenantId, conversationId, m.id, content);
        messages.push({
          key: `${route.tenantId}:${conversationId}`,
          event: {
            eventId: m.id,
            type: 'message.inbound',
            tenantId: route.tenantId,
            occurredAt: now,
            messageId: m.id,
            conversationId,
            phoneNumberId: route.phoneNumberId,
            customer: {
              ref: customer.ref,
              waIdCiphertext: customer.waIdCiphertext,
              ...(raw.from.profileName ? { profileName: String(raw.from.profileName).slice(0, 200) } : {}),
            },
            origin: 'customer',
            messageType: m.type as MessageEvent['messageType'],
            contentCiphertext,
            ...(m.context?.id && WAMID.test(m.context.id) ? { contextMessageId: m.context.id } : {}),
            ...(m.referral
              ? {
                  referral: {
                    sourceId: m.referral.source_id,
                    sourceType: m.referral.source_type,
                    ctwaClid: m.referral.ctwa_clid,
                  },
                }
              : {}),
            networkTimestamp: new Date(Number(m.timestamp) * 1000).toISOString(),
            custody: { ...CUSTODY_MARKING },
          },
        });
        if (withMedia) {
          const { event } = messages[messages.length - 1];
          media.push({
            event,
            item: {
              tenantId: route.tenantId,
              phoneNumberId: route.phoneNumberId,
              customerRef: customer.ref,
              messageId: m.id,
              type: m.type,
              content: content as Record<string, unknown>,
            },
          });
        }
      } else {
        const s = raw.status;
        if (
          !s ||
          !WAMID.test(String(s.id)) ||
          !['sent', 'delivered', 'read', 'failed'].includes(s.status) ||
          !UNIX_SECONDS.test(String(s.timestamp)) ||
          !WA_ID.test(String(s.recipientId))
        ) {
          throw bad(`events[${index}]: a status needs id (wamid), status, timestamp (unix seconds) and recipientId`);
        }
        const recipient = await this.identify(route.tenantId, route.phoneNumberId, String(s.recipientId));
        const conversationId = conversationIdFor(route.tenantId, route.phoneNumberId, recipient.ref);
        const errorsList = Array.isArray(s.errors)
          ? s.errors
              .slice(0, 10)
              .map((e) => ({ code: Number(e.code) || 0, title: String(e.title ?? '').slice(0, 500) }))
          : undefined;
        statuses.push({
          key: `${route.tenantId}:${conversationId}`,
          event: {
            eventId: `${s.id}:${s.status}`,
            type: 'message.status',
            tenantId: route.tenantId,
            occurredAt: now,
            messageId: s.id,
            conversationId,
            phoneNumberId: route.phoneNumberId,
            recipient: { ref: recipient.ref, waIdCiphertext: recipient.waIdCiphertext },
            status: s.status,
            networkTimestamp: new Date(Number(s.timestamp) * 1000).toISOString(),
            ...(errorsList ? { errors: errorsList } : {}),
            ...pricingOf(s),
            custody: { ...CUSTODY_MARKING },
          },
        });
      }
    }
    await this.keepMedia(media);
    // Their ids (for mark-as-read), one statement per tenant of the batch.
    const byTenant = new Map<string, InboundRef[]>();
    for (const { event } of messages) {
      byTenant.set(event.tenantId, [
        ...(byTenant.get(event.tenantId) ?? []),
        {
          messageId: event.messageId,
          phoneNumberId: event.phoneNumberId,
          conversationId: event.conversationId,
          customerRef: event.customer.ref,
          waIdCiphertext: event.customer.waIdCiphertext,
        },
      ]);
    }
    for (const [tenantId, refs] of byTenant) {
      await this.inbound.record(asTenantId(tenantId), refs);
    }
    // The window opens when the customer's message is accepted, before the business can answer.
    for (const { event } of messages) {
      await this.windows.renew(
        event.tenantId as never,
        event.conversationId,
        new Date(Math.min(Date.parse(event.networkTimestamp), Date.now())),
      );
    }
    await Promise.all([
      this.publisher.publishBatch(Topics.MessagesInbound, messages),
      this.publisher.publishBatch(Topics.MessagesStatus, statuses),
    ]);
    return { accepted: messages.length + statuses.length };
  }

  /**
   * The batch's customer media, fetched from the network and kept (sealed) under a Custody media id
   * the tenant reads with `GET /{media-id}`, as the Cloud API's inbound media ids are; the message
   * carries that id, the MIME type and the hex SHA-256, or arrives as `unsupported` when the
   * network refuses the media for good (InboundMediaService). Anything else is a temporary
   * failure: the network delivers the batch again.
   */
  private async keepMedia(media: Array<{ event: MessageEvent; item: InboundMediaItem }>): Promise<void> {
    if (media.length === 0) {
      return;
    }
    const kept = await this.inboundMedia.keepAll(media.map((x) => x.item));
    if (!kept) {
      throw unavailable();
    }
    for (const [i, { event, item }] of media.entries()) {
      event.messageType = kept[i].messageType;
      event.contentCiphertext = await this.seal(item.tenantId, event.conversationId, event.messageId, kept[i].content);
    }
  }

  /**
   * The customer's reference and its number sealed under the conversation's key (erasing the
   * customer shreds it); a tenant whose keys have not arrived: a temporary failure.
   */
  private async identify(tenantId: TenantId, phoneNumberId: string, waId: string): Promise<IdentifiedCustomer> {
    try {
      return await this.identity.identify(tenantId, waId, (ref) => conversationIdFor(tenantId, phoneNumberId, ref));
    } catch {
      throw unavailable();
    }
  }

  /**
   * A customer's message content, sealed where it enters Custody under its conversation's key
   * (wrapped under the tenant's data key; the whole type-specific object: text, caption, filename,
   * reaction, links…). A tenant whose key has not reached ingest yet gets the batch refused as a
   * temporary failure: the network delivers again.
   */
  private async seal(tenantId: TenantId, conversationId: string, messageId: string, content: unknown): Promise<string> {
    try {
      return await this.cipher.encryptJson(tenantId, content, messageContentAad(messageId), { conversationId });
    } catch {
      throw unavailable();
    }
  }
}

function unavailable(): GraphError {
  return new GraphError(
    HttpStatus.SERVICE_UNAVAILABLE,
    GraphCodes.Temporary,
    'Service temporarily unavailable',
    'The batch could not be accepted right now; deliver it again after a short delay',
  );
}

const PRICING_TYPE_SET: ReadonlySet<string> = new Set(PRICING_TYPES);
const PRICING_CATEGORY_SET: ReadonlySet<string> = new Set(PRICING_CATEGORIES);
const CONVERSATION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The network's `pricing` and `conversation` of a status, carried on when they are well-formed
 * (a malformed one is left out: a status is never refused for its billing details).
 */
function pricingOf(s: {
  pricing?: { billable?: unknown; pricing_model?: unknown; type?: unknown; category?: unknown };
  conversation?: { id?: unknown; expiration_timestamp?: unknown; origin?: { type?: unknown } };
}): Pick<StatusEvent, 'pricing' | 'conversation'> {
  const out: Pick<StatusEvent, 'pricing' | 'conversation'> = {};
  const p = s.pricing;
  if (
    p &&
    typeof p.billable === 'boolean' &&
    (p.pricing_model === 'PMP' || p.pricing_model === 'CBP') &&
    PRICING_TYPE_SET.has(String(p.type)) &&
    PRICING_CATEGORY_SET.has(String(p.category))
  ) {
    out.pricing = {
      billable: p.billable,
      pricingModel: p.pricing_model,
      type: p.type as NonNullable<StatusEvent['pricing']>['type'],
      category: p.category as NonNullable<StatusEvent['pricing']>['category'],
    };
  }
  const c = s.conversation;
  if (c && CONVERSATION_ID.test(String(c.id)) && PRICING_CATEGORY_SET.has(String(c.origin?.type))) {
    out.conversation = {
      id: String(c.id),
      ...(UNIX_SECONDS.test(String(c.expiration_timestamp))
        ? { expirationTimestamp: String(c.expiration_timestamp) }
        : {}),
      originType: c.origin?.type as NonNullable<StatusEvent['conversation']>['originType'],
    };
  }
  return out;
}

function bad(details: string): GraphError {
  return new GraphError(HttpStatus.BAD_REQUEST, GraphCodes.InvalidParameter, '(#100) Invalid parameter', details);
}
