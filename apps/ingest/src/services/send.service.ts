import { HttpStatus, Injectable } from '@nestjs/common';
import { conversationIdFor, CUSTODY_MARKING, MessageEvent, Topics } from '@custody/contracts';
import { CustomerIdentity, FieldCipher, IdentifiedCustomer, messageContentAad } from '@custody/crypto';
import { asTenantId, ReplicaRegistry, TenantId } from '@custody/database';
import { EventPublisher, EventSchemaError } from '@custody/kafka';
import { IngestEnv } from '../config/ingest.env';
import { MarkReadResponseDto, parseSendBody, SendMessageDto, SendMessageResponseDto } from '../dtos/send-message.dto';
import { IdempotencyRepository } from '../repositories/idempotency.repository';
import { InboundMessageRepository } from '../repositories/inbound-message.repository';
import { NetworkClient } from '../repositories/network.client';
import { NumberRoute, RoutingRepository } from '../repositories/routing.repository';
import { WindowRepository } from '../repositories/window.repository';
import { GraphCodes, GraphError, invalidParameter } from './graph-error';
import { idempotentMessageId, newMessageId, requestHash, toWaId } from './message-ids';
import { shareOf, TokenBuckets } from './rate-limiter';
import { SendAdmissionService } from './send-admission.service';
import { TemplateService } from './template.service';
import { MediaService } from './media.service';
import { sendableAs } from '../domain/media-types';

const WINDOW_MS = 24 * 60 * 60 * 1000;
const MEDIA_BY_ID: ReadonlySet<string> = new Set(['image', 'document', 'audio', 'video', 'sticker']);

/**
 * The Cloud-API-compatible send. Checks, in order: the body, the number's owner, the idempotency
 * key, the 24-hour window (or, for a template, that it is approved and its parameters), media sent
 * by id, the rate limits; then publishes and answers only once Kafka has
 * the event durably. A rejected request writes and publishes nothing.
 */
/** A keyed send's response as `idempotency_keys.response` holds it (see `sealResponse`). */
type StoredSendResponse = Omit<SendMessageResponseDto, 'contacts'> & {
  customerRef: string;
  contactsCiphertext: string;
};

@Injectable()
export class SendService {
  private readonly buckets = new TokenBuckets();

  constructor(
    private readonly env: IngestEnv,
    private readonly routing: RoutingRepository,
    private readonly windows: WindowRepository,
    private readonly idempotency: IdempotencyRepository,
    private readonly publisher: EventPublisher,
    private readonly replicas: ReplicaRegistry,
    private readonly admission: SendAdmissionService,
    private readonly cipher: FieldCipher,
    private readonly inbound: InboundMessageRepository,
    private readonly network: NetworkClient,
    private readonly templates: TemplateService,
    private readonly media: MediaService,
    private readonly identity: CustomerIdentity,
  ) {}

  async send(
    callerTenantId: string,
    phoneNumberId: string,
    body: unknown,
    idempotencyKey: string | undefined,
  ): Promise<SendMessageResponseDto | MarkReadResponseDto> {
    if (this.admission.refusal()) {
      throw new GraphError(
        HttpStatus.SERVICE_UNAVAILABLE,
        GraphCodes.Temporary,
        'Service temporarily unavailable',
        'Custody is at capacity right now; retry the send after a short delay',
      );
    }
    return this.admission.run(() => this.admitted(callerTenantId, phoneNumberId, body, idempotencyKey));
  }

  private async admitted(
    callerTenantId: string,
    phoneNumberId: string,
    body: unknown,
    idempotencyKey: string | undefined,
  ): Promise<SendMessageResponseDto | MarkReadResponseDto> {
    const parsed = parseSendBody(body);
    if (!parsed.ok) {
      throw invalidParameter(parsed.details);
    }
    const tenantId = asTenantId(callerTenantId);
    const route = await this.routing.routeFor(phoneNumberId);
    if (!route || route.tenantId !== tenantId) {
      // Same answer whether the number is unknown or another tenant's: nothing about it leaks.
      throw new GraphError(
        HttpStatus.NOT_FOUND,
        GraphCodes.InvalidParameter,
        `Unsupported post request. Object with ID '${phoneNumberId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
        undefined,
        'GraphMethodException',
      );
    }
    if (route.status !== 'active') {
      throw new GraphError(
        HttpStatus.FORBIDDEN,
        GraphCodes.AccountLocked,
        'Account has been locked',
        'The tenant is suspended',
      );
    }
    const dto = parsed.dto;
    if (dto.status === 'read') {
      return this.markRead(tenantId, route.phoneNumberId, dto.message_id ?? '');
    }
    return this.sendMessage(tenantId, route, dto, body, idempotencyKey);
  }

  /**
   * Mark-as-read: the message must be one this number of this tenant received (else 100, the same
   * answer for another tenant's message and an unknown one); the read state is kept (the first
   * read wins) and the read receipt goes to the network. A receipt the network does not take is a
   * 503: the call may be repeated (the read state does not change).
   */
  private async markRead(tenantId: TenantId, phoneNumberId: string, messageId: string): Promise<MarkReadResponseDto> {
    if (!/^wamid\.[A-Za-z0-9_=-]{8,200}$/.test(messageId)) {
      throw invalidParameter('message_id must be a wamid of a received message');
    }
    const read = await this.inbound.markRead(tenantId, phoneNumberId, messageId);
    if (!read) {
      throw invalidParameter(`message_id ${messageId} is not a message this phone number received`);
    }
    try {
      const to = await this.identity.open(tenantId, read.customerRef, read.waIdCiphertext);
      await this.network.readReceipt({ messageId, phoneNumberId, to, readAt: read.readAt.toISOString() });
    } catch {
      throw new GraphError(
        HttpStatus.SERVICE_UNAVAILABLE,
        GraphCodes.Temporary,
        'Service temporarily unavailable',
        'The read receipt could not be handed to the network; retry (the message stays marked read)',
      );
    }
    return { success: true };
  }

  /**
   * Media sent by id must be an upload of the caller tenant (not expired) of a type the message
   * type takes; the message then carries its MIME type and hash, as the Cloud API's media objects do.
   */
  private async uploadedMedia(
    tenantId: TenantId,
    type: string,
    mediaId: string,
  ): Promise<{ mime_type: string; sha256: string }> {
    const found = await this.media.forSend(tenantId, mediaId);
    if (!found) {
      // The same answer for another tenant's media and an unknown or expired id.
      throw invalidParameter(`Param ${type}['id'] is not a valid whatsapp business account media attachment ID`);
    }
    if (!sendableAs(type, found.mimeType)) {
      throw new GraphError(
        HttpStatus.BAD_REQUEST,
        GraphCodes.MediaUpload,
        '(#131053) Media upload error',
        `Media of type ${found.mimeType} cannot be sent as ${type}`,
      );
    }
    return { mime_type: found.mimeType, sha256: found.sha256 };
  }

  private async sendMessage(
    tenantId: TenantId,
    route: NumberRoute,
    dto: SendMessageDto,
    body: unknown,
    idempotencyKey: string | undefined,
  ): Promise<SendMessageResponseDto> {
    const { phoneNumberId, messagesPerSecond } = route;
    const waId = toWaId(dto.to ?? '');
    if (waId.length < 6 || waId.length > 20) {
      throw invalidParameter('to must be a phone number with 6 to 20 digits');
    }
    // Only a keyed send is compared with an earlier one (hashing every body costs for nothing).
    const hash = idempotencyKey !== undefined ? requestHash(phoneNumberId, body) : '';
    if (idempotencyKey !== undefined) {
      if (!/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) {
        throw invalidParameter('Idempotency-Key must be 1-200 visible ASCII characters');
      }
      const previous = await this.idempotency.find(tenantId, idempotencyKey);
      if (previous) {
        if (previous.requestHash !== hash) {
          throw new GraphError(
            HttpStatus.UNPROCESSABLE_ENTITY,
            GraphCodes.InvalidParameter,
            '(#100) Invalid parameter',
            'Idempotency-Key was already used for a different request',
          );
        }
        return this.openResponse(tenantId, previous.response);
      }
    }
    const type = dto.type ?? 'text';
    // The number becomes a reference and a sealed copy here, where it enters Custody.
    let customer: IdentifiedCustomer;
    try {
      customer = await this.identity.identify(tenantId, waId, (ref) => conversationIdFor(tenantId, phoneNumberId, ref));
    } catch {
      throw new GraphError(
        HttpStatus.SERVICE_UNAVAILABLE,
        GraphCodes.Temporary,
        'Service temporarily unavailable',
        'The message could not be sealed right now and was not accepted; retry after a short delay',
      );
    }
    const conversationId = conversationIdFor(tenantId, phoneNumberId, customer.ref);
    let content = contentOf(dto, type);
    if (type === 'template' && dto.template) {
      // Only approved templates go out, with the parameters they expect; the customer receives
      // (and the conversation keeps, sealed) the rendered text. From memory: no read per message.
      const { category, rendered } = await this.templates.checkSend(tenantId, route.businessAccountId, dto.template);
      content = { ...dto.template, category, rendered };
    } else {
      const last = await this.windows.lastCustomerMessageAt(tenantId, conversationId);
      if (!last || Date.now() - last.getTime() > WINDOW_MS) {
        throw new GraphError(
          HttpStatus.BAD_REQUEST,
          GraphCodes.ReEngagement,
          'Re-engagement message',
          'More than 24 hours have passed since the customer last replied to this number; send a template instead',
        );
      }
    }
    const mediaId = (content as { id?: unknown }).id;
    if (MEDIA_BY_ID.has(type) && typeof mediaId === 'string') {
      content = { ...(content as Record<string, unknown>), ...(await this.uploadedMedia(tenantId, type, mediaId)) };
    }
    // Each replica enforces its share, so the limits hold for the platform, not per replica.
    const replicas = this.replicas.live();
    const numberLimit = shareOf(messagesPerSecond, messagesPerSecond, replicas);
    const pairLimit = shareOf(1000 / this.env.PAIR_RATE_INTERVAL_MS, this.env.PAIR_RATE_BURST, replicas);
    const numberKey = `n:${phoneNumberId}`;
    if (!this.buckets.take(numberKey, numberLimit.capacity, numberLimit.refillPerSecond)) {
      throw new GraphError(
        HttpStatus.TOO_MANY_REQUESTS,
        GraphCodes.Throughput,
        '(#130429) Rate limit hit',
        `Throughput of ${messagesPerSecond} messages/s for this number exceeded`,
      );
    }
    const pairKey = `p:${phoneNumberId}:${customer.ref}`;
    if (!this.buckets.take(pairKey, pairLimit.capacity, pairLimit.refillPerSecond)) {
      this.buckets.refund(numberKey);
      throw new GraphError(
        HttpStatus.TOO_MANY_REQUESTS,
        GraphCodes.PairRate,
        '(#131056) (Business Account, Consumer Account) pair rate limit hit',
        'Too many messages to this customer; retry later',
      );
    }
    const messageId = idempotencyKey !== undefined ? idempotentMessageId(tenantId, idempotencyKey) : newMessageId();
    let contentCiphertext: string;
    try {
      // Sealed here, where it enters Custody: from now on the content is ciphertext (Kafka,
      // tenant-store, outboxes, queues) until the network's delivery opens it. Under the
      // conversation's key, so that erasing the customer shreds every copy.
      contentCiphertext = await this.cipher.encryptJson(tenantId, content, messageContentAad(messageId), {
        conversationId,
      });
    } catch {
      // The tenant's key has not reached ingest yet (or is gone): nothing was accepted.
      this.buckets.refund(numberKey);
      this.buckets.refund(pairKey);
      throw new GraphError(
        HttpStatus.SERVICE_UNAVAILABLE,
        GraphCodes.Temporary,
        'Service temporarily unavailable',
        'The message could not be sealed right now and was not accepted; retry after a short delay',
      );
    }
    const now = new Date().toISOString();
    const event: MessageEvent = {
      eventId: messageId,
      type: 'message.outbound',
      tenantId,
      occurredAt: now,
      messageId,
      conversationId,
      phoneNumberId,
      customer: { ref: customer.ref, waIdCiphertext: customer.waIdCiphertext },
      origin: 'business',
      messageType: type,
      contentCiphertext,
      ...(dto.context ? { contextMessageId: dto.context.message_id } : {}),
      networkTimestamp: now,
      custody: { ...CUSTODY_MARKING },
    };
    try {
      await withinSendTimeout(
        this.publisher.publish(Topics.MessagesOutbound, `${tenantId}:${conversationId}`, event),
        this.env.SEND_TIMEOUT_MS,
      );
    } catch (error) {
      this.buckets.refund(numberKey);
      this.buckets.refund(pairKey);
      throw error instanceof EventSchemaError ? error : brokerUnavailable();
    }
    const response: SendMessageResponseDto = {
      messaging_product: 'whatsapp',
      contacts: [{ input: dto.to ?? waId, wa_id: waId }],
      messages: [{ id: messageId }],
      custody: { ...CUSTODY_MARKING },
    };
    if (idempotencyKey !== undefined) {
      await this.idempotency.save(
        tenantId,
        idempotencyKey,
        hash,
        await this.sealResponse(tenantId, customer, response),
      );
    }
    return response;
  }

  /**
   * A keyed send's response as it is kept for replays: its `contacts` (the number as given and as
   * wa_id) sealed under the tenant's data key, bound to the customer's reference, which is kept
   * beside it in clear for erasure.
   */
  private async sealResponse(
    tenantId: TenantId,
    customer: IdentifiedCustomer,
    response: SendMessageResponseDto,
  ): Promise<StoredSendResponse> {
    const { contacts, ...rest } = response;
    return {
      ...rest,
      customerRef: customer.ref,
      contactsCiphertext: await this.identity.sealJson(tenantId, customer.ref, contacts),
    };
  }

  private async openResponse(tenantId: TenantId, stored: unknown): Promise<SendMessageResponseDto> {
    const { customerRef, contactsCiphertext, ...rest } = stored as StoredSendResponse;
    if (contactsCiphertext === undefined) {
      // Kept before responses were sealed (idempotency keys expire within a day).
      return stored as SendMessageResponseDto;
    }
    const contacts = await this.identity.openJson<SendMessageResponseDto['contacts']>(
      tenantId,
      customerRef,
      contactsCiphertext,
    );
    return { ...(rest as Omit<SendMessageResponseDto, 'contacts'>), contacts };
  }
}

/**
 * The publish, bounded: past the timeout the caller gets 503 and the publish goes on (it may still
 * land, once the broker is back: an at-least-once edge; a retry with the same Idempotency-Key
 * carries the same message id, which every consumer deduplicates).
 */
async function withinSendTimeout(publish: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not durable within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([publish, timedOut]);
  } finally {
    clearTimeout(timer);
    publish.catch(() => undefined);
  }
}

/** The Cloud API's answer while a service it depends on is unavailable: never 200 for what is not durable. */
function brokerUnavailable(): GraphError {
  return new GraphError(
    HttpStatus.SERVICE_UNAVAILABLE,
    GraphCodes.ServiceUnavailable,
    '(#131016) Service unavailable',
    'The message could not be made durable in time and was not accepted; it may still go out once the service recovers, so retry with the same Idempotency-Key (same message id, no duplicate)',
  );
}

/** The type-specific object of the send, whatever the type: it is sealed as one value. */
function contentOf(dto: SendMessageDto, type: string): unknown {
  return (dto as unknown as Record<string, unknown>)[type] ?? {};
}
