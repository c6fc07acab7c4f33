import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CustomerIndexKeys, FieldCipher, isEnvelope, TenantKeyring, WEBHOOK_APP_SECRET_AAD } from '@custody/crypto';
import { TenantId } from '@custody/database';
import { OutboxService } from '@custody/kafka';
import { TenantRepository } from '../repositories/tenant.repository';

const BATCH = 100;
const RETRY_FIRST_MS = 5_000;
const RETRY_MAX_MS = 10 * 60_000;

/**
 * Keeps the services that seal and open a tenant's content (ingest, consent) holding exactly its
 * current data keys: every change of the keys (rotation, a destroyed version, a master key
 * rewrap) publishes the tenant again on the tenants topic, with every version wrapped by the
 * master key. At boot it seals and publishes tenants created before keys were distributed.
 */
@Injectable()
export class KeyDistributionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(KeyDistributionService.name);

  constructor(
    private readonly tenants: TenantRepository,
    private readonly keyring: TenantKeyring,
    private readonly cipher: FieldCipher,
    private readonly indexKeys: CustomerIndexKeys,
    private readonly outbox: OutboxService,
  ) {}

  private retryTimer?: NodeJS.Timeout;

  onApplicationBootstrap(): void {
    this.distributeInBackground(RETRY_FIRST_MS);
  }

  onApplicationShutdown(): void {
    clearTimeout(this.retryTimer);
  }

  /**
   * Runs the boot-time distribution; while tenants are left (the database was away, a tenant's key
   * could not be unwrapped), tries again with backoff: until then ingest cannot seal their content.
   */
  private distributeInBackground(delayMs: number): void {
    void this.distributeOlderTenants()
      .then(({ failed }) => failed === 0)
      .catch((error: unknown) => {
        this.logger.warn({ msg: 'publishing older tenants’ keys failed; retrying', retryMs: delayMs, err: error });
        return false;
      })
      .then((done) => {
        if (!done) {
          this.retryTimer = setTimeout(() => this.distributeInBackground(Math.min(delayMs * 2, RETRY_MAX_MS)), delayMs);
          this.retryTimer.unref();
        }
      });
  }

  /** Publishes the tenant with its current keys (after they changed). */
  async publish(tenantId: TenantId): Promise<void> {
    if (await this.tenants.republish(tenantId)) {
      this.outbox.wake();
    }
  }

  /** Every tenant again (after a master key rewrap changed the wrapping of their keys). */
  async publishAll(): Promise<number> {
    let after: string | null = null;
    let published = 0;
    for (;;) {
      const ids = await this.tenants.idsAfter(after, BATCH);
      for (const id of ids) {
        published += (await this.tenants.republish(id)) ? 1 : 0;
      }
      this.outbox.wake();
      if (ids.length < BATCH) {
        return published;
      }
      after = ids[ids.length - 1];
    }
  }

  /**
   * Tenants from before customer index keys: their key made and the tenant published again (the
   * services that turn numbers into references get it). Failures join `failedIds`.
   */
  private async indexOlderTenants(failedIds: Set<string>): Promise<number> {
    let done = 0;
    for (;;) {
      const ids = (await this.tenants.withoutIndexKey(BATCH + failedIds.size)).filter((id) => !failedIds.has(id));
      for (const id of ids) {
        try {
          await this.indexKeys.ensure(id);
          done += (await this.tenants.republish(id)) ? 1 : 0;
        } catch (error) {
          failedIds.add(id);
          this.logger.warn({
            msg: 'cannot make an older tenant’s customer index key; skipped for now',
            tenantId: id,
            err: error,
          });
        }
      }
      this.outbox.wake();
      if (ids.length < BATCH) {
        return done;
      }
    }
  }

  /**
   * Tenants from before key distribution: their key made, their app secret sealed, both published.
   * One tenant that fails (its key cannot be unwrapped) is logged and skipped, never holding up the
   * others; it is counted in `failed`.
   */
  async distributeOlderTenants(): Promise<{ published: number; failed: number }> {
    let done = 0;
    const failedIds = new Set<string>();
    for (;;) {
      const ids = (await this.tenants.undistributed(BATCH + failedIds.size)).filter((id) => !failedIds.has(id));
      let progressed = 0;
      for (const id of ids) {
        try {
          const secret = await this.tenants.appSecretCiphertext(id);
          if (secret === null) {
            continue;
          }
          const sealed = isEnvelope(secret) ? secret : await this.cipher.encrypt(id, secret, WEBHOOK_APP_SECRET_AAD);
          await this.keyring.activeKey(id);
          if (await this.tenants.markDistributed(id, secret, sealed)) {
            progressed += 1;
          }
        } catch (error) {
          failedIds.add(id);
          this.logger.warn({
            msg: 'cannot seal and publish an older tenant; skipped for now',
            tenantId: id,
            err: error,
          });
        }
      }
      done += progressed;
      this.outbox.wake();
      if (ids.length < BATCH || progressed === 0) {
        done += await this.indexOlderTenants(failedIds);
        if (done > 0) {
          this.logger.log({ msg: 'older tenants’ keys published and app secrets sealed', tenants: done });
        }
        return { published: done, failed: failedIds.size };
      }
    }
  }
}
