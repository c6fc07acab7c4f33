import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { TenantId } from '@custody/database';
import { CompactRange, encodeHash, SignedTreeHead } from '@custody/transparency-log';
import { ConsentSettings } from '../config/consent.settings';
import { ConsentLogRepository } from '../repositories/consent-log.repository';
import { LogKeysRepository } from '../repositories/log-keys.repository';
import { TreeHeadRepository } from '../repositories/tree-head.repository';

/** A head signed less than this long ago at the same size is returned instead of signing again. */
const REUSE_WITHIN_MS = 1000;

/**
 * Signed tree heads: on a schedule for every log that grew (and for idle logs once per max age),
 * and on demand. A head commits to (origin, size, root, time) under the log's Ed25519 key.
 */
@Injectable()
export class TreeHeadService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TreeHeadService.name);
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<number>;

  constructor(
    private readonly log: ConsentLogRepository,
    private readonly heads: TreeHeadRepository,
    private readonly keys: LogKeysRepository,
    private readonly settings: ConsentSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (this.settings.runScheduler) {
      this.timer = setInterval(() => {
        this.ticking ??= this.tick().finally(() => (this.ticking = undefined));
      }, this.settings.sthIntervalMs);
      this.timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
  }

  /** One scheduler round (exported for tests): signs what needs signing; returns how many heads it signed. */
  async tick(): Promise<number> {
    let signed = 0;
    try {
      await this.heads.withSchedulerLock(async () => {
        const due = await this.heads.tenantsNeedingHead(Date.now(), this.settings.sthMaxAgeMs, 1000);
        for (const tenantId of due) {
          await this.sign(tenantId);
          signed += 1;
        }
      });
    } catch (error) {
      this.logger.warn({ msg: 'tree head scheduling failed; will retry', err: error });
    }
    return signed;
  }

  /** The newest signed head; when the log has none yet, one is signed now. */
  async latest(tenantId: TenantId): Promise<SignedTreeHead> {
    const [head] = await this.heads.list(tenantId, this.settings.originFor(tenantId), 1);
    return head ?? this.sign(tenantId);
  }

  list(tenantId: TenantId, limit: number): Promise<SignedTreeHead[]> {
    return this.heads.list(tenantId, this.settings.originFor(tenantId), limit);
  }

  /** Signs the log's current head now (on demand). */
  async sign(tenantId: TenantId): Promise<SignedTreeHead> {
    const { size, frontier } = await this.log.head(tenantId);
    const origin = this.settings.originFor(tenantId);
    const [previous] = await this.heads.list(tenantId, origin, 1);
    if (previous && previous.treeSize === size && Date.now() - previous.timestamp < REUSE_WITHIN_MS) {
      return previous;
    }
    const root = CompactRange.fromFrontier(size, frontier).root();
    const head = await this.keys.sign({ origin, treeSize: size, rootHash: encodeHash(root), timestamp: Date.now() });
    await this.heads.save(tenantId, head);
    return head;
  }
}
