import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { EventBase, MessageEvent, StatusEvent, Topics } from '@custody/contracts';
import { asTenantId, TenantId } from '@custody/database';
import { EventMeta, EventSubscriber } from '@custody/kafka';
import { unknownTenantEvents } from '@custody/observability';
import { MessageStoreService } from '../services/message-store.service';

/**
 * Persists the message and status topics; offsets are committed after the transaction commits.
 * Events of a tenant this store does not have (offboarded since) are counted in
 * custody_unknown_tenant_events_total and skipped, neither stored nor dead-lettered.
 */
@Injectable()
export class MessagesConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly store: MessageStoreService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.subscriber.subscribeBatch<MessageEvent>({
      groupId: 'tenant-store-messages',
      topics: [Topics.MessagesInbound, Topics.MessagesOutbound],
      fromBeginning: true,
      handler: (items) => perTenant(items, (tenantId, events) => this.store.storeMessages(tenantId, events)),
    });
    await this.subscriber.subscribeBatch<StatusEvent>({
      groupId: 'tenant-store-statuses',
      topics: [Topics.MessagesStatus],
      fromBeginning: true,
      handler: (items) => perTenant(items, (tenantId, events) => this.store.storeStatuses(tenantId, events)),
    });
  }
}

async function perTenant<T extends EventBase>(
  items: Array<{ event: T; meta: EventMeta }>,
  store: (tenantId: TenantId, events: T[]) => Promise<boolean>,
): Promise<void> {
  const groups = new Map<TenantId, Array<{ event: T; meta: EventMeta }>>();
  for (const item of items) {
    const tenantId = asTenantId(item.event.tenantId);
    const group = groups.get(tenantId);
    if (group) {
      group.push(item);
    } else {
      groups.set(tenantId, [item]);
    }
  }
  for (const [tenantId, group] of groups) {
    if (
      !(await store(
        tenantId,
        group.map((g) => g.event),
      ))
    ) {
      for (const { meta } of group) {
        unknownTenantEvents.labels(meta.topic).inc();
      }
    }
  }
}
