import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  ERASURE_SERVICES,
  ErasureRequestedEvent,
  erasureEventKey,
  ErasureResultEvent,
  Topics,
} from '@custody/contracts';
import { ConversationKeyring, CustomerIdentity, DecryptionError, FieldCipher } from '@custody/crypto';
import { asTenantId, enqueueOutbox, TenantId } from '@custody/database';
import { OutboxService } from '@custody/kafka';
import { DomainError, notFound } from '@custody/platform';
import {
  CreateErasureRequestDto,
  ErasureRequestDto,
  ErasureRequestPageDto,
  ListErasureRequestsQueryDto,
} from '../dtos/erasure.dto';
import { ErasureRepository, ErasureWithServices } from '../repositories/erasure.repository';
import { normalizeCustomerNumber } from './customer-number';
import { encodeTimeCursor, parseTimeCursor, TimeCursor, UUID } from './time-cursor';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

/** The associated data of a pending request's encrypted customer number. */
export function erasureCustomerAad(requestId: string): { messageId: string; field: string } {
  return { messageId: `erasure:${requestId}`, field: 'customer' };
}

const invalid = (problem: string): DomainError =>
  new DomainError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', [problem]);

/**
 * Erasure requests (GDPR Art. 17): one request per customer while it is pending, published to
 * every service through the outbox in the transaction that creates it; each service's report
 * (`erasure.results`) updates its status, and the request completes when all have succeeded.
 */
@Injectable()
export class ErasureService {
  private readonly logger = new Logger(ErasureService.name);

  constructor(
    private readonly erasures: ErasureRepository,
    private readonly cipher: FieldCipher,
    private readonly outbox: OutboxService,
    private readonly identity: CustomerIdentity,
    private readonly conversationKeys: ConversationKeyring,
  ) {}

  /**
   * Creates a request, or returns the pending one for the same customer (or the one made with the
   * same Idempotency-Key). `created` tells which.
   */
  async request(
    tenant: string,
    dto: CreateErasureRequestDto,
    actor: string,
    idempotencyKey?: string,
  ): Promise<{ created: boolean; request: ErasureRequestDto }> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw invalid('Idempotency-Key must be 1-200 characters of A-Z a-z 0-9 . _ : -');
    }
    const number = normalizeCustomerNumber(dto);
    if (!number.ok) {
      throw invalid(number.problem);
    }
    const tenantId = asTenantId(tenant);
    const id = randomUUID();
    const ciphertext = await this.cipher.encrypt(tenantId, number.waId, erasureCustomerAad(id));
    // Every service finds the customer by reference; the number travels only sealed.
    const customer = await this.identity.identify(tenantId, number.waId);
    const result = await this.erasures.transaction(tenantId, async (m) => {
      await this.erasures.lockTenant(m, tenantId);
      if (idempotencyKey !== undefined) {
        const earlier = await this.erasures.byIdempotencyKey(m, tenantId, idempotencyKey);
        if (earlier) {
          // A completed request no longer holds the number: its key answers with it, unchecked.
          if (
            earlier.customer_ciphertext !== null &&
            (await this.customerOf(tenantId, earlier.id, earlier.customer_ciphertext)) !== number.waId
          ) {
            throw new DomainError(
              HttpStatus.CONFLICT,
              'idempotency_key_reused',
              'This Idempotency-Key was already used for another customer',
            );
          }
          return { created: false, id: earlier.id };
        }
      }
      for (const open of await this.erasures.pending(m, tenantId)) {
        if (
          open.customer_ciphertext !== null &&
          (await this.customerOf(tenantId, open.id, open.customer_ciphertext)) === number.waId
        ) {
          return { created: false, id: open.id };
        }
      }
      await this.erasures.insert(m, tenantId, {
        id,
        customerCiphertext: ciphertext,
        idempotencyKey: idempotencyKey ?? null,
        requestedBy: actor,
      });
      const event: ErasureRequestedEvent = {
        eventId: id,
        type: 'erasure.requested',
        tenantId,
        occurredAt: new Date().toISOString(),
        requestId: id,
        customer: { ref: customer.ref, waIdCiphertext: customer.waIdCiphertext },
      };
      // Crypto-shredding first: the customer's conversation keys are destroyed in the transaction
      // that publishes the request, so that every service, when it handles it, already finds them
      // gone (a later message gets a new key). tenant-store destroys again when it erases the rows.
      await this.conversationKeys.destroy(
        tenantId,
        await this.erasures.conversationIdsOf(m, tenantId, customer.ref),
        m,
      );
      await enqueueOutbox(m, Topics.ErasureRequests, erasureEventKey(tenantId, id), event);
      return { created: true, id };
    });
    if (result.created) {
      this.outbox.wake();
      this.logger.log({ msg: 'erasure requested', tenantId, requestId: result.id });
    }
    return { created: result.created, request: await this.get(tenant, result.id) };
  }

  async get(tenant: string, id: string): Promise<ErasureRequestDto> {
    const found = UUID.test(id) ? await this.erasures.get(asTenantId(tenant), id.toLowerCase()) : null;
    if (!found) {
      throw notFound('Erasure request');
    }
    return mapErasure(found);
  }

  async list(tenant: string, q: ListErasureRequestsQueryDto): Promise<ErasureRequestPageDto> {
    const limit = q.limit ?? 50;
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const rows = await this.erasures.list(asTenantId(tenant), { status: q.status, limit: limit + 1, after });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1]?.request;
    return {
      data: page.map(mapErasure),
      nextCursor: rows.length > limit && last ? encodeTimeCursor(last.created_at, last.id) : null,
    };
  }

  /** One service's report (consumed from `erasure.results`). */
  async applyResult(result: ErasureResultEvent): Promise<void> {
    const completed = await this.erasures.applyResult(asTenantId(result.tenantId), result);
    if (completed) {
      this.logger.log({ msg: 'erasure completed', tenantId: result.tenantId, requestId: result.requestId });
    }
  }

  private async customerOf(tenantId: TenantId, requestId: string, ciphertext: string): Promise<string | null> {
    try {
      return await this.cipher.decryptString(tenantId, ciphertext, erasureCustomerAad(requestId));
    } catch (error) {
      if (error instanceof DecryptionError) {
        return null;
      }
      throw error;
    }
  }
}

export function mapErasure({ request, services }: ErasureWithServices): ErasureRequestDto {
  const order: readonly string[] = ERASURE_SERVICES;
  const done = request.status === 'completed';
  return {
    id: request.id,
    status: request.status,
    outcome: done ? (services.some((s) => s.status === 'erased') ? 'erased' : 'nothing_found') : null,
    services: [...services]
      .sort((a, b) => order.indexOf(a.service) - order.indexOf(b.service))
      .map((s) => ({
        service: s.service,
        status: s.status,
        counts: s.counts,
        error: s.error,
        updatedAt: s.updated_at.toISOString(),
      })),
    createdAt: request.created_at.toISOString(),
    completedAt: request.completed_at?.toISOString() ?? null,
  };
}

function decodeCursor(cursor: string): TimeCursor {
  const position = parseTimeCursor(cursor);
  if (!position) {
    throw invalid('cursor must be the nextCursor of a previous page');
  }
  return position;
}
