import type { TenantId } from '@custody/database';
import { isConversationEnvelope, keyVersionOf } from './envelope';
import { DataKeyDestroyedError, DecryptionError } from './errors';
import { FieldCipher } from './field-cipher';

/** One encrypted value of a row, with the AAD it was encrypted under. */
export interface EncryptedField {
  /** The AAD field name (usually the column). */
  field: string;
  /** The AAD message id. */
  messageId: string;
  /** The stored envelope; null or undefined when the row has no value there. */
  envelope: string | null | undefined;
}

/** How to read a row: its keyset id, its tenant and its encrypted fields. */
export interface ReencryptionRowReader<Row> {
  idOf(row: Row): string;
  tenantOf(row: Row): TenantId;
  fieldsOf(row: Row): readonly EncryptedField[];
}

/** A table to re-encrypt, seen through callbacks: the caller owns the SQL and the transactions. */
export interface ReencryptionSource<Row> extends ReencryptionRowReader<Row> {
  /**
   * Up to `limit` rows with id greater than `afterId` (all when null), ordered by id ascending:
   * keyset pagination, so a run is resumable and never re-reads a page. It may return only rows
   * with stale values (e.g. `WHERE envelopeKeyVersionSql('body') <> active`), which is cheaper.
   */
  fetchBatch(afterId: string | null, limit: number): Promise<readonly Row[]>;
  /**
   * Writes the new envelopes. Should compare-and-set (`UPDATE … SET body = $next WHERE id = $id
   * AND body = $previous`) so a row changed or deleted meanwhile is left alone. May return how many
   * rows it wrote; otherwise every rewrite counts as written.
   */
  save(rewrites: ReadonlyArray<RowRewrite<Row>>): Promise<number | void>;
}

export interface FieldRewrite {
  field: string;
  previous: string;
  next: string;
  fromVersion: number;
  toVersion: number;
}

export interface RowRewrite<Row> {
  row: Row;
  id: string;
  tenantId: TenantId;
  fields: FieldRewrite[];
}

export interface ReencryptionFailure {
  id: string;
  tenantId: string;
  field: string;
  reason: DecryptionError['reason'];
  message: string;
}

export interface ReencryptBatchResult<Row> {
  rewrites: Array<RowRewrite<Row>>;
  /** Fields already under the active version. */
  upToDate: number;
  /** Fields that do not decrypt (malformed, destroyed key, failed authentication): left as they are. */
  failures: ReencryptionFailure[];
}

/**
 * Re-encrypts, in memory, every value of the rows whose key version is not its tenant's active
 * one (read fresh, not from the cache). Values that do not decrypt are reported, not thrown, so
 * one bad row cannot stall the job; infrastructure errors (key provider, database) are thrown.
 */
export async function reencryptBatch<Row>(
  cipher: FieldCipher,
  rows: readonly Row[],
  reader: ReencryptionRowReader<Row>,
): Promise<ReencryptBatchResult<Row>> {
  const result: ReencryptBatchResult<Row> = { rewrites: [], upToDate: 0, failures: [] };
  const activeVersions = new Map<string, number | DataKeyDestroyedError>();
  for (const row of rows) {
    const id = reader.idOf(row);
    const tenantId = reader.tenantOf(row);
    if (!activeVersions.has(tenantId)) {
      try {
        activeVersions.set(tenantId, await cipher.activeVersion(tenantId, { fresh: true }));
      } catch (error) {
        if (!(error instanceof DataKeyDestroyedError)) {
          throw error;
        }
        activeVersions.set(tenantId, error);
      }
    }
    const active = activeVersions.get(tenantId)!;
    const fields: FieldRewrite[] = [];
    for (const { field, messageId, envelope } of reader.fieldsOf(row)) {
      if (envelope === null || envelope === undefined) {
        continue;
      }
      try {
        if (active instanceof DataKeyDestroyedError) {
          throw new DecryptionError('key-destroyed', active.message);
        }
        // A conversation key is rewrapped under the new data key version, its values stay as they are.
        if (isConversationEnvelope(envelope)) {
          result.upToDate++;
          continue;
        }
        const fromVersion = keyVersionOf(envelope);
        if (fromVersion === active) {
          result.upToDate++;
          continue;
        }
        const plaintext = await cipher.decrypt(tenantId, envelope, { messageId, field });
        const next = await cipher.encrypt(tenantId, plaintext, { messageId, field });
        plaintext.fill(0);
        fields.push({ field, previous: envelope, next, fromVersion, toVersion: keyVersionOf(next) });
      } catch (error) {
        if (!(error instanceof DecryptionError)) {
          throw error;
        }
        result.failures.push({ id, tenantId, field, reason: error.reason, message: error.message });
      }
    }
    if (fields.length > 0) {
      result.rewrites.push({ row, id, tenantId, fields });
    }
  }
  return result;
}

export interface ReencryptionProgress {
  batches: number;
  /** Rows read. */
  scanned: number;
  /** Rows written with new envelopes. */
  rewritten: number;
  /** Fields already under the active version. */
  upToDate: number;
  /** Fields that did not decrypt. */
  failed: number;
  /** The last id processed: pass it as `startAfter` to resume. */
  cursor: string | null;
}

export interface ReencryptionResult extends ReencryptionProgress {
  /** True when the table was read to its end; false when stopped by the signal or `maxBatches`. */
  done: boolean;
  /** The first 100 failures; the count is in `failed`. */
  failures: ReencryptionFailure[];
}

export interface ReencryptionOptions {
  /** Rows per batch (one fetch, one save). Default 200. */
  batchSize?: number;
  /** Resume after this id (a previous run's `cursor`). */
  startAfter?: string | null;
  /** Stop after this many batches (bounded work per tick of a scheduler). */
  maxBatches?: number;
  /** Stops between batches, e.g. on shutdown. */
  signal?: AbortSignal;
  /** Awaited after each batch: persist the cursor, report, throttle. */
  onProgress?: (progress: ReencryptionProgress) => void | Promise<void>;
}

/**
 * The re-encryption job's loop: keyset-paginated batches through `reencryptBatch`, saved by the
 * caller's compare-and-set. Idempotent and resumable; several replicas may run it (the
 * compare-and-set makes the loser's write a no-op). Run it after a rotation once the other
 * replicas have switched (the keyring's `activeVersionTtlMs`), and again until it finds nothing:
 * then `TenantKeyring.destroyVersion` the old versions.
 */
export async function runReencryption<Row>(
  cipher: FieldCipher,
  source: ReencryptionSource<Row>,
  options: ReencryptionOptions = {},
): Promise<ReencryptionResult> {
  const batchSize = options.batchSize ?? 200;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError('batchSize must be a positive integer');
  }
  const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
  const result: ReencryptionResult = {
    batches: 0,
    scanned: 0,
    rewritten: 0,
    upToDate: 0,
    failed: 0,
    cursor: options.startAfter ?? null,
    done: false,
    failures: [],
  };
  while (!options.signal?.aborted && result.batches < maxBatches) {
    const rows = await source.fetchBatch(result.cursor, batchSize);
    if (rows.length === 0) {
      result.done = true;
      break;
    }
    const last = source.idOf(rows[rows.length - 1]);
    if (last === result.cursor) {
      throw new Error(`fetchBatch returned rows up to id ${last} again: it must return ids greater than afterId`);
    }
    const batch = await reencryptBatch(cipher, rows, source);
    if (batch.rewrites.length > 0) {
      const written = await source.save(batch.rewrites);
      result.rewritten += typeof written === 'number' ? written : batch.rewrites.length;
    }
    result.batches++;
    result.scanned += rows.length;
    result.upToDate += batch.upToDate;
    result.failed += batch.failures.length;
    result.failures.push(...batch.failures.slice(0, 100 - result.failures.length));
    result.cursor = last;
    await options.onProgress?.({
      batches: result.batches,
      scanned: result.scanned,
      rewritten: result.rewritten,
      upToDate: result.upToDate,
      failed: result.failed,
      cursor: result.cursor,
    });
    if (rows.length < batchSize) {
      result.done = true;
      break;
    }
  }
  return result;
}
