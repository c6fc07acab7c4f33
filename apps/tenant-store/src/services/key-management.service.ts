import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import {
  ConversationKeyring,
  CustomerIdentity,
  envelopeKeyVersionSql,
  FieldCipher,
  KeyringStateError,
  ReencryptionSource,
  runReencryption,
  TenantKeyring,
} from '@custody/crypto';
import { asTenantId, TenantDb, TenantId } from '@custody/database';
import { DomainError, notFound } from '@custody/platform';
import { KeyStatusDto, ReencryptionJobDto } from '../dtos/keys.dto';
import { TenantRepository } from '../repositories/tenant.repository';
import { adsTokenAad } from './ads-credential.service';
import { KeyDistributionService } from './key-distribution.service';
import { contentAad } from './message-store.service';

interface MessageCipherRow {
  message_id: string;
  content_ciphertext: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A tenant's data keys: rotation, the background re-encryption of older rows (batched,
 * resumable, online: each row is rewritten with compare-and-set), and destruction of versions
 * nothing uses any more. Progress is kept per replica; the durable truth is how many rows each
 * key version still protects, which the status reads from the database.
 */
@Injectable()
export class KeyManagementService {
  private readonly logger = new Logger(KeyManagementService.name);
  private readonly jobs = new Map<TenantId, ReencryptionJobDto>();

  constructor(
    private readonly keyring: TenantKeyring,
    private readonly cipher: FieldCipher,
    private readonly db: TenantDb,
    private readonly tenants: TenantRepository,
    private readonly distribution: KeyDistributionService,
    private readonly identity: CustomerIdentity,
    private readonly conversationKeys: ConversationKeyring,
  ) {}

  async status(id: string): Promise<KeyStatusDto> {
    const tenantId = await this.tenantOrThrow(id);
    const versions = await this.keyring.versions(tenantId);
    const counts: Array<{ version: number; n: number }> = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT ${envelopeKeyVersionSql('content_ciphertext')} AS version, count(*)::int AS n
           FROM messages WHERE tenant_id = $1 AND left(content_ciphertext, 3) = 'v1.' GROUP BY 1 ORDER BY 1`,
        [tenantId],
      ),
    );
    const wrapping = await this.conversationKeys.countByDataKeyVersion(tenantId);
    return {
      tenantId,
      activeVersion: versions.find((v) => v.active)?.version ?? null,
      versions: versions.map((v) => ({
        version: v.version,
        masterKeyId: v.masterKeyId,
        active: v.active,
        createdAt: v.createdAt.toISOString(),
        retiredAt: v.retiredAt?.toISOString() ?? null,
        destroyedAt: v.destroyedAt?.toISOString() ?? null,
      })),
      messagesByKeyVersion: Object.fromEntries(counts.map((c) => [String(c.version), c.n])),
      conversationKeysByKeyVersion: Object.fromEntries([...wrapping].map(([version, n]) => [String(version), n])),
      job: this.jobs.get(tenantId) ?? null,
    };
  }

  /** New writes use a new data key version at once; older rows are re-encrypted in the background. */
  async rotate(id: string): Promise<KeyStatusDto> {
    const tenantId = await this.tenantOrThrow(id);
    await this.keyring.rotate(tenantId);
    // The edge seals with the new version once the tenants topic has carried it there.
    await this.distribution.publish(tenantId);
    this.startJob(tenantId);
    return this.status(id);
  }

  /** (Re)starts re-encryption, e.g. after a restart interrupted a job. */
  async reencrypt(id: string): Promise<KeyStatusDto> {
    const tenantId = await this.tenantOrThrow(id);
    this.startJob(tenantId);
    return this.status(id);
  }

  async destroyVersion(id: string, version: number): Promise<KeyStatusDto> {
    const tenantId = await this.tenantOrThrow(id);
    const status = await this.status(id);
    if (!status.versions.some((v) => v.version === version)) {
      throw notFound('Key version');
    }
    if ((status.messagesByKeyVersion[String(version)] ?? 0) > 0) {
      throw new DomainError(
        HttpStatus.CONFLICT,
        'conflict',
        `Key version ${version} still protects messages; re-encrypt first`,
      );
    }
    const credentials: Array<{ n: number }> = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT count(*)::int AS n FROM marketing_ads_credentials WHERE tenant_id = $1 AND ${envelopeKeyVersionSql('token_ciphertext')} = $2`,
        [tenantId, version],
      ),
    );
    const numbers: Array<{ n: number }> = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT count(*)::int AS n FROM conversations WHERE tenant_id = $1 AND ${envelopeKeyVersionSql('customer_wa_id_ciphertext')} = $2`,
        [tenantId, version],
      ),
    );
    if ((numbers[0]?.n ?? 0) > 0) {
      throw new DomainError(
        HttpStatus.CONFLICT,
        'conflict',
        `Key version ${version} still protects customers' numbers; re-encrypt first`,
      );
    }
    if ((credentials[0]?.n ?? 0) > 0) {
      throw new DomainError(
        HttpStatus.CONFLICT,
        'conflict',
        `Key version ${version} still protects ads credentials; re-encrypt first`,
      );
    }
    // Messages sealed under conversation keys (v2) depend on the version through their key's wrapping.
    const wrapped = status.conversationKeysByKeyVersion[String(version)] ?? 0;
    if (wrapped > 0) {
      throw new DomainError(
        HttpStatus.CONFLICT,
        'conflict',
        `Key version ${version} still wraps ${wrapped} conversation keys; re-encrypt (which rewraps them) first`,
      );
    }
    try {
      await this.keyring.destroyVersion(tenantId, version);
      await this.distribution.publish(tenantId);
    } catch (error) {
      if (error instanceof KeyringStateError) {
        throw new DomainError(HttpStatus.CONFLICT, 'conflict', error.message);
      }
      throw error;
    }
    return this.status(id);
  }

  /** The tenant's ads tokens under older key versions, rewritten under the active one (a handful of rows). */
  private async reencryptAdsCredentials(tenantId: TenantId, active: number): Promise<number> {
    const rows: Array<{ ad_account_id: string; token_ciphertext: string }> = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT ad_account_id, token_ciphertext FROM marketing_ads_credentials
          WHERE tenant_id = $1 AND ${envelopeKeyVersionSql('token_ciphertext')} <> $2`,
        [tenantId, active],
      ),
    );
    let rewritten = 0;
    for (const row of rows) {
      const aad = adsTokenAad(row.ad_account_id);
      const next = await this.cipher.encrypt(
        tenantId,
        await this.cipher.decrypt(tenantId, row.token_ciphertext, aad),
        aad,
      );
      const [, affected]: [unknown, number] = await this.db.forTenant(tenantId, (m) =>
        m.query(
          `UPDATE marketing_ads_credentials SET token_ciphertext = $3
            WHERE tenant_id = $1 AND ad_account_id = $2 AND token_ciphertext = $4`,
          [tenantId, row.ad_account_id, next, row.token_ciphertext],
        ),
      );
      rewritten += affected;
    }
    return rewritten;
  }

  /** The customers' sealed numbers of the tenant's conversations under older versions, sealed again under the active one. */
  private async reencryptCustomerNumbers(tenantId: TenantId, active: number): Promise<number> {
    let rewritten = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows: Array<{ id: string; customer_ref: string; customer_wa_id_ciphertext: string }> =
        await this.db.forTenant(tenantId, (m) =>
          m.query(
            `SELECT id, customer_ref, customer_wa_id_ciphertext FROM conversations
              WHERE tenant_id = $1 AND ${envelopeKeyVersionSql('customer_wa_id_ciphertext')} <> $2 AND id > $3
              ORDER BY id LIMIT 200`,
            [tenantId, active, after],
          ),
        );
      for (const row of rows) {
        after = row.id;
        const next = await this.identity.reseal(tenantId, row.customer_ref, row.customer_wa_id_ciphertext);
        const [, affected]: [unknown, number] = await this.db.forTenant(tenantId, (m) =>
          m.query(
            `UPDATE conversations SET customer_wa_id_ciphertext = $3 WHERE id = $1 AND customer_wa_id_ciphertext = $2`,
            [row.id, row.customer_wa_id_ciphertext, next],
          ),
        );
        rewritten += affected;
      }
      if (rows.length < 200) {
        return rewritten;
      }
    }
  }

  private async tenantOrThrow(id: string): Promise<TenantId> {
    if (!UUID.test(id) || !(await this.tenants.get(asTenantId(id)))) {
      throw notFound('Tenant');
    }
    return asTenantId(id);
  }

  private startJob(tenantId: TenantId): void {
    const running = this.jobs.get(tenantId);
    if (running?.state === 'running') {
      return;
    }
    const job: ReencryptionJobDto = {
      state: 'running',
      scanned: 0,
      rewritten: 0,
      failed: 0,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      error: null,
    };
    this.jobs.set(tenantId, job);
    void this.run(tenantId, job);
  }

  private async run(tenantId: TenantId, job: ReencryptionJobDto): Promise<void> {
    try {
      const active = (await this.keyring.activeKey(tenantId, { fresh: true })).version;
      const source: ReencryptionSource<MessageCipherRow> = {
        idOf: (row) => row.message_id,
        tenantOf: () => tenantId,
        fieldsOf: (row) => [{ ...contentAad(row.message_id), envelope: row.content_ciphertext }],
        fetchBatch: (afterId, limit) =>
          this.db.forTenant(tenantId, (m) =>
            m.query(
              `SELECT message_id, content_ciphertext FROM messages
                WHERE tenant_id = $1 AND ${envelopeKeyVersionSql('content_ciphertext')} <> $2
                  AND ($3::text IS NULL OR message_id > $3)
                ORDER BY message_id LIMIT $4`,
              [tenantId, active, afterId, limit],
            ),
          ),
        save: (rewrites) =>
          this.db.forTenant(tenantId, async (m) => {
            let written = 0;
            for (const r of rewrites) {
              const f = r.fields[0];
              const [, affected]: [unknown, number] = await m.query(
                `UPDATE messages SET content_ciphertext = $3 WHERE message_id = $1 AND content_ciphertext = $2`,
                [r.id, f.previous, f.next],
              );
              written += affected;
            }
            return written;
          }),
      };
      const credentials =
        (await this.reencryptAdsCredentials(tenantId, active)) +
        (await this.reencryptCustomerNumbers(tenantId, active));
      // Conversation keys are rewrapped under the active version; the messages sealed with them stay as they are.
      const rewrap = await this.conversationKeys.rewrap(tenantId);
      const result = await runReencryption(this.cipher, source, {
        batchSize: 200,
        onProgress: (p) => {
          job.scanned = p.scanned;
          job.rewritten = p.rewritten;
          job.failed = p.failed;
        },
      });
      Object.assign(job, {
        state: 'done',
        scanned: result.scanned + credentials,
        rewritten: result.rewritten + credentials,
        failed: result.failed,
        finishedAt: new Date().toISOString(),
      });
      this.logger.log({
        msg: 're-encryption finished',
        tenantId,
        rewritten: result.rewritten,
        failed: result.failed,
        conversationKeysRewrapped: rewrap.rewrapped,
        conversationKeysFailed: rewrap.failed,
      });
    } catch (error) {
      Object.assign(job, {
        state: 'failed',
        finishedAt: new Date().toISOString(),
        error: error instanceof Error ? error.message : String(error),
      });
      this.logger.error({ msg: 're-encryption failed', tenantId, err: error });
    }
  }
}
