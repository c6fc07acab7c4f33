import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { hostedNoticeMessageId, StoredEvent, Topics } from '@custody/contracts';
import { asTenantId, TenantId } from '@custody/database';
import { EventSubscriber } from '@custody/kafka';
import { unknownTenantEvents } from '@custody/observability';
import { RoutingRepository } from '../repositories/routing.repository';
import { NewWebhook, WebhookWorkerService } from '../services/webhook-worker.service';

/** Whether a message id is the conversation's hosted-chat notice (hashing only ids of its length). */
function isHostedNotice(messageId: string, conversationId: string): boolean {
  return messageId.length === HOSTED_NOTICE_ID_LENGTH && messageId === hostedNoticeMessageId(conversationId);
}

const HOSTED_NOTICE_ID_LENGTH = hostedNoticeMessageId('00000000-0000-0000-0000-000000000000').length;

/**
 * Turns what tenant-store has durably stored (customer messages, new statuses) into webhooks:
 * each batch is posted to the tenant at once, and queued for retry if that fails. Offsets are
 * committed only after that, so a crash delivers again (at least once; same event ids).
 */
@Injectable()
export class StoredConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly routing: RoutingRepository,
    private readonly worker: WebhookWorkerService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribeBatch<StoredEvent>({
      groupId: 'ingest-webhooks',
      topics: [Topics.MessagesStored],
      fromBeginning: true,
      handler: async (items) => {
        const byTenant = new Map<TenantId, NewWebhook[]>();
        for (const { event, meta } of items) {
          const kind = event.type === 'stored.message' ? 'message' : 'status';
          const payload = event.message ?? event.status;
          if (!payload || (kind === 'message' && event.message?.origin !== 'customer')) {
            continue;
          }
          // Custody's own hosted-chat notice is not the tenant's message: its statuses are not theirs either.
          if (event.status && isHostedNotice(event.status.messageId, event.status.conversationId)) {
            continue;
          }
          const route = await this.routing.routeFor(payload.phoneNumberId);
          if (!route || route.tenantId !== event.tenantId) {
            // Not a tenant this deployment routes (offboarded since): counted, nothing delivered.
            unknownTenantEvents.labels(meta.topic).inc();
            continue;
          }
          const tenantId = asTenantId(event.tenantId);
          const webhook: NewWebhook = {
            eventId: event.eventId,
            businessAccountId: route.businessAccountId,
            phoneNumberId: payload.phoneNumberId,
            displayPhoneNumber: route.displayPhoneNumber,
            kind,
            payload,
          };
          const list = byTenant.get(tenantId);
          if (list) {
            list.push(webhook);
          } else {
            byTenant.set(tenantId, [webhook]);
          }
        }
        // Tenants at once: each waits at most its direct timeout, then its webhooks are queued.
        await Promise.all([...byTenant].map(([tenantId, webhooks]) => this.worker.deliverNow(tenantId, webhooks)));
      },
    });
  }
}
