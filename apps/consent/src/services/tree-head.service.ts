import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { TenantId } from '@custody/database';
import { OutboxService } from '@custody/kafka';
import {
  assembleProof,
  CompactRange,
  encodeHash,
  formatCheckpoint,
  NoteError,
  nodeKey,
  openNote,
  parseVerifierKey,
  planConsistencyProof,
  planNodes,
} from '@custody/transparency-log';
import { ConsentSettings } from '../config/consent.settings';
import { ConsentLogRepository } from '../repositories/consent-log.repository';
import { LogKeysRepository } from '../repositories/log-keys.repository';
import { Cosignature, StoredHead, TreeHeadRepository } from '../repositories/tree-head.repository';
import { WitnessConfig, WitnessRepository } from '../repositories/witness.repository';

/** A head signed less than this long ago at the same size is returned instead of signing again. */
const REUSE_WITHIN_MS = 1000;
/** Logs whose new checkpoints are submitted to witnesses at the same time. */
const WITNESS_CONCURRENCY = 8;
/** A witness that could not be reached is skipped for this long. */
const WITNESS_RETRY_MS = 30_000;

/**
 * Signed tree heads: on a schedule for every log that grew (and for idle logs once per max age),
 * and on demand. A head commits to (origin, size, root, time) under the log's Ed25519 key, twice:
 * as the JSON head and as a C2SP checkpoint, which is then submitted to the configured witnesses
 * for their cosignatures. Nothing here runs per appended entry.
 */
@Injectable()
export class TreeHeadService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TreeHeadService.name);
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<number>;
  private readonly unreachableUntil = new Map<string, number>();

  constructor(
    private readonly log: ConsentLogRepository,
    private readonly heads: TreeHeadRepository,
    private readonly keys: LogKeysRepository,
    private readonly witnesses: WitnessRepository,
    private readonly outbox: OutboxService,
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
    const signed: Array<{ tenantId: TenantId; head: StoredHead }> = [];
    try {
      await this.heads.withSchedulerLock(async () => {
        const due = await this.heads.tenantsNeedingHead(Date.now(), this.settings.sthMaxAgeMs, 1000);
        for (const tenantId of due) {
          signed.push({ tenantId, head: await this.sign(tenantId, false) });
        }
      });
    } catch (error) {
      this.logger.warn({ msg: 'tree head scheduling failed; will retry', err: error });
    }
    // Witnesses are asked after the lock (and its transaction) is released, a few logs at a time,
    // so a slow or absent witness never holds up signing.
    for (let i = 0; i < signed.length; i += WITNESS_CONCURRENCY) {
      await Promise.all(
        signed.slice(i, i + WITNESS_CONCURRENCY).map(({ tenantId, head }) => this.witnessHead(tenantId, head)),
      );
    }
    return signed.length;
  }

  /** The newest signed head; when the log has none yet, one is signed now. */
  async latest(tenantId: TenantId): Promise<StoredHead> {
    const [head] = await this.heads.list(tenantId, this.settings.originFor(tenantId), 1);
    return head ?? this.sign(tenantId);
  }

  /** Heads newest first, `limit` at a time; `cursor` is the `nextCursor` of the previous page. */
  list(tenantId: TenantId, limit: number, cursor?: string): Promise<StoredHead[]> {
    return this.heads.list(tenantId, this.settings.originFor(tenantId), limit, cursor);
  }

  /** The newest checkpoint with every cosignature witnesses gave it; one is signed now when there is none. */
  async checkpoint(tenantId: TenantId): Promise<string> {
    const origin = this.settings.originFor(tenantId);
    const head = (await this.heads.latestCheckpoint(tenantId, origin)) ?? (await this.sign(tenantId));
    const cosignatures = await this.heads.cosignatures(tenantId, head.treeSize, Buffer.from(head.rootHash, 'base64'));
    return head.checkpoint! + cosignatures.map((c) => c.line).join('');
  }

  /** Signs the log's current head now (on demand), as a JSON head and a checkpoint, and (unless told not to) has witnesses cosign it. */
  async sign(tenantId: TenantId, witness = true): Promise<StoredHead> {
    const { size, frontier } = await this.log.head(tenantId);
    const origin = this.settings.originFor(tenantId);
    const [previous] = await this.heads.list(tenantId, origin, 1);
    if (previous?.checkpoint && previous.treeSize === size && Date.now() - previous.timestamp < REUSE_WITHIN_MS) {
      return previous;
    }
    const root = CompactRange.fromFrontier(size, frontier).root();
    const now = Date.now();
    const head = await this.keys.sign({ origin, treeSize: size, rootHash: encodeHash(root), timestamp: now });
    const checkpoint = this.keys.signCheckpoint({ origin, treeSize: size, rootHash: root }, now);
    await this.heads.save(tenantId, head, checkpoint);
    this.outbox.wake();
    const [saved] = await this.heads.list(tenantId, origin, 1);
    if (witness) {
      await this.witnessHead(tenantId, saved);
    }
    return saved;
  }

  private async witnessHead(tenantId: TenantId, head: StoredHead): Promise<void> {
    if (this.settings.witnesses.length > 0 && head.checkpoint) {
      await this.witness(tenantId, head.treeSize, Buffer.from(head.rootHash, 'base64'), head.checkpoint);
    }
  }

  /**
   * Submits a checkpoint to every configured witness (C2SP tlog-witness add-checkpoint), with a
   * consistency proof from the size the witness last cosigned; keeps the cosignatures that verify.
   * A witness that is down or refuses is logged and skipped: the log does not wait on witnesses.
   */
  private async witness(tenantId: TenantId, size: number, root: Buffer, checkpoint: string): Promise<void> {
    const known = await this.heads.witnessedSizes(tenantId);
    const text = formatCheckpoint({ origin: this.settings.originFor(tenantId), treeSize: size, rootHash: root });
    const received: Cosignature[] = [];
    await Promise.all(
      this.settings.witnesses.map(async (witness) => {
        const key = parseVerifierKey(witness.verifierKey);
        if ((this.unreachableUntil.get(witness.url) ?? 0) > Date.now()) {
          return;
        }
        try {
          const lines = await this.submit(tenantId, witness, known.get(key.name) ?? 0, size, checkpoint);
          if (lines === undefined) {
            return;
          }
          const { verified } = openNote(`${text}\n${lines}`, [key]);
          const line = lines.split('\n').find((l) => l.startsWith(`\u2014 ${key.name} `));
          received.push({
            witness: key.name,
            keyId: key.keyId.toString(16).padStart(8, '0'),
            cosignedAt: verified[0].timestamp!,
            line: `${line}\n`,
          });
        } catch (error) {
          if (error instanceof TypeError || ['TimeoutError', 'AbortError'].includes((error as Error)?.name)) {
            // Unreachable (fetch failed, timed out): leave it alone for a while instead of
            // waiting on it for every log.
            this.unreachableUntil.set(witness.url, Date.now() + WITNESS_RETRY_MS);
          }
          this.logger.warn({
            msg: 'witness did not cosign the checkpoint',
            witness: key.name,
            treeSize: size,
            err: error instanceof NoteError ? error.message : error,
          });
        }
      }),
    );
    if (received.length > 0) {
      await this.heads.saveCosignatures(tenantId, size, root, received);
    }
  }

  private async submit(
    tenantId: TenantId,
    witness: WitnessConfig,
    from: number,
    size: number,
    checkpoint: string,
  ): Promise<string | undefined> {
    let old = from;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (old > size) {
        this.logger.warn({
          msg: 'witness has seen a larger tree than this checkpoint',
          witness: witness.url,
          witnessSize: old,
          treeSize: size,
        });
        return undefined;
      }
      const plan = planConsistencyProof(old, size);
      const nodes = await this.log.nodes(tenantId, planNodes(plan));
      const proof = assembleProof(plan, (c) => nodes.get(nodeKey(c)));
      const result = await this.witnesses.addCheckpoint(witness, old, proof, checkpoint);
      if (result.status === 'cosigned') {
        return result.body;
      }
      if (result.status === 'refused') {
        this.logger.warn({
          msg: 'witness refused the checkpoint',
          witness: witness.url,
          status: result.httpStatus,
          body: result.body,
          treeSize: size,
        });
        return undefined;
      }
      old = result.size;
    }
    return undefined;
  }
}
