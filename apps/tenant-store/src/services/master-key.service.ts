import { Injectable, Logger } from '@nestjs/common';
import { CustomerIndexKeys, TenantKeyring } from '@custody/crypto';
import { TenantDb } from '@custody/database';
import { MasterKeyStatusDto, RewrapJobDto } from '../dtos/keys.dto';
import { KeyDistributionService } from './key-distribution.service';

/**
 * Master key rotation, the operator's step 3 (docs/encryption.md): after the new master key is
 * first in MASTER_KEY_FILE on every replica, rewrap every live data key under it — in the
 * background, batched, compare-and-set per key (safe on several replicas and re-runnable).
 * Ciphertexts are not touched. The status reads from the database how many data keys each
 * master key still wraps, which says when the old one may be removed from the file.
 */
@Injectable()
export class MasterKeyService {
  private readonly logger = new Logger(MasterKeyService.name);
  private job: RewrapJobDto | null = null;

  constructor(
    private readonly keyring: TenantKeyring,
    private readonly indexKeys: CustomerIndexKeys,
    private readonly db: TenantDb,
    private readonly distribution: KeyDistributionService,
  ) {}

  async status(): Promise<MasterKeyStatusDto> {
    const activeMasterKeyId = await this.keyring.activeMasterKeyId();
    const rows: Array<{ master_key_id: string; n: number }> = await this.db.forPlatform((m) =>
      m.query(
        `SELECT master_key_id, count(*)::int AS n FROM (
           SELECT master_key_id FROM data_keys WHERE destroyed_at IS NULL
           UNION ALL SELECT master_key_id FROM customer_index_keys WHERE destroyed_at IS NULL) k
          GROUP BY 1 ORDER BY 1`,
      ),
    );
    return {
      activeMasterKeyId,
      dataKeysByMasterKey: rows.map((r) => ({ masterKeyId: r.master_key_id, dataKeys: r.n })),
      rewrap: this.job,
    };
  }

  /** Starts rewrapping (or joins the run in progress) and answers at once with the status. */
  async rewrap(): Promise<MasterKeyStatusDto> {
    if (this.job?.state !== 'running') {
      const job: RewrapJobDto = {
        state: 'running',
        masterKeyId: null,
        rewrapped: 0,
        failed: 0,
        failures: [],
        startedAt: new Date().toISOString(),
        finishedAt: null,
        error: null,
      };
      this.job = job;
      void this.run(job);
    }
    return this.status();
  }

  private async run(job: RewrapJobDto): Promise<void> {
    try {
      job.masterKeyId = await this.keyring.activeMasterKeyId();
      const result = await this.keyring.rewrapAll({
        onProgress: (p) => {
          job.rewrapped = p.rewrapped;
          job.failed = p.failed;
        },
      });
      // The customer index keys too (one per tenant; counted with the data keys in the status).
      const index = await this.indexKeys.rewrapAll();
      result.rewrapped += index.rewrapped;
      result.failed += index.failed;
      if (result.rewrapped > 0) {
        // ingest and consent hold the keys too: they get the new wrapping before the old master key may go.
        await this.distribution.publishAll();
      }
      Object.assign(job, {
        state: 'done',
        rewrapped: result.rewrapped,
        failed: result.failed,
        failures: result.failures,
        finishedAt: new Date().toISOString(),
      });
      this.logger.log({
        msg: 'data keys rewrapped',
        masterKeyId: result.masterKeyId,
        rewrapped: result.rewrapped,
        failed: result.failed,
      });
    } catch (error) {
      Object.assign(job, {
        state: 'failed',
        finishedAt: new Date().toISOString(),
        error: error instanceof Error ? error.message : String(error),
      });
      this.logger.warn({ msg: 'rewrap failed', err: error });
    }
  }
}
