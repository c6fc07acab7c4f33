import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { TenantChangedEvent, Topics } from '@custody/contracts';
import { CustomerIndexKeys, DataKeyReceiver } from '@custody/crypto';
import { asTenantId } from '@custody/database';
import { EventSubscriber } from '@custody/kafka';
import { ConsentSettings } from '../config/consent.settings';

/**
 * Keeps consent's copy of the tenants' wrapped data keys in step with tenant-store (compacted
 * tenants topic, read from the start): consent opens customers' messages to find STOP/START and
 * seals its replies; and their customer index keys (consent's API takes customers' numbers and
 * looks them up by reference). An offboarded tenant's keys go.
 */
@Injectable()
export class TenantKeysConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger(TenantKeysConsumer.name);

  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly keys: DataKeyReceiver,
    private readonly indexKeys: CustomerIndexKeys,
    private readonly settings: ConsentSettings,
  ) {}

  onApplicationBootstrap(): void {
    void this.start(1000);
  }

  private async start(retryMs: number): Promise<void> {
    try {
      await this.subscriber.subscribe<TenantChangedEvent>({
        groupId: `${this.settings.consumerGroup}-tenant-keys`,
        topics: [Topics.TenantsChanged],
        fromBeginning: true,
        handler: async (event) => {
          const tenantId = asTenantId(event.tenantId);
          await this.keys.receive(tenantId, event.deleted ? [] : event.dataKeys);
          await this.indexKeys.receive(tenantId, event.deleted ? null : event.customerIndexKey);
        },
      });
    } catch (error) {
      this.logger.warn({ msg: 'cannot subscribe to tenants; retrying', retryMs, err: error });
      setTimeout(() => void this.start(Math.min(retryMs * 2, 30_000)), retryMs).unref();
    }
  }
}
