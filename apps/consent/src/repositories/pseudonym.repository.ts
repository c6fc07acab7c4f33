import { Injectable } from '@nestjs/common';
import { createHmac, createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { TenantDb, TenantId } from '@custody/database';

const CACHE_LIMIT = 10_000;
const LOOKUP_DOMAIN = 'custody.pseudonym-lookup.v1\u0000';

interface MappingRow {
  subject: string | null;
  legacy: boolean;
}

/**
 * Customer pseudonyms. The log names a customer only by a pseudonym (`subject`); the link from
 * the customer's WhatsApp id to it is one row of `customer_pseudonyms`, found by a keyed hash of
 * the number under a per-tenant key kept here, outside the log. A new customer's pseudonym is
 * random, so deleting that row (erasure) leaves every log hash intact while nobody — Custody
 * included — can link the number to the log any more. Customers first seen before per-customer
 * rows existed keep their old pseudonym (an HMAC of the number), adopted into a row on first use.
 */
@Injectable()
export class PseudonymRepository {
  /** Per tenant, its lookup key as a KeyObject: an HMAC with one is several times cheaper than with a Buffer. */
  private readonly keys = new Map<TenantId, KeyObject>();

  constructor(private readonly db: TenantDb) {}

  /**
   * The customer's pseudonym, created on first use (for paths that append to the log); inside the
   * caller's tenant transaction when given one.
   */
  async subjectFor(tenantId: TenantId, waId: string, within?: EntityManager): Promise<string> {
    // With a caller's transaction, the caller has made the key ready first (keyReady): a second
    // connection taken here while holding one could starve the pool under concurrent requests.
    const key = await this.keyFor(tenantId);
    return this.db.withinTenant(tenantId, within, async (m) => {
      const lookup = lookupOf(key, waId);
      const legacy = legacySubject(key, waId);
      // The link row and, for a number without one, whether its old HMAC pseudonym is in the log:
      // one statement (this runs for every consent request).
      const rows: Array<{ subject: string | null; linked: boolean; legacy_in_log: boolean }> = await m.query(
        `SELECT p.subject, p.lookup IS NOT NULL AS linked,
                p.lookup IS NULL AND EXISTS (SELECT 1 FROM log_entries WHERE tenant_id = $1 AND subject = $3) AS legacy_in_log
           FROM (SELECT 1) AS one
           LEFT JOIN customer_pseudonyms p ON p.tenant_id = $1 AND p.lookup = $2`,
        [tenantId, lookup, legacy],
      );
      const found = rows[0];
      if (found?.subject) {
        return found.subject;
      }
      if (found && !found.linked && found.legacy_in_log) {
        await m.query(
          `INSERT INTO customer_pseudonyms (tenant_id, lookup, subject, legacy) VALUES ($1, $2, $3, true) ON CONFLICT (tenant_id, lookup) DO NOTHING`,
          [tenantId, lookup, legacy],
        );
        return (await this.row(m, tenantId, lookup))!.subject ?? this.fresh(m, tenantId, lookup);
      }
      // New customer, or one erased before: a new identity in the log, unlinked from the old one.
      return this.fresh(m, tenantId, lookup);
    });
  }

  /** The customer's pseudonym if the number has one (read paths: never creates one). */
  async findSubject(tenantId: TenantId, waId: string, within?: EntityManager): Promise<string | null> {
    const key = await this.keyFor(tenantId);
    return this.db.withinTenant(tenantId, within, async (m) => {
      const row = await this.row(m, tenantId, lookupOf(key, waId));
      if (row) {
        return row.subject;
      }
      const legacy = legacySubject(key, waId);
      return (await this.inLog(m, tenantId, legacy)) ? legacy : null;
    });
  }

  /**
   * Destroys the link from the number to its pseudonym, inside the caller's transaction. Returns
   * the pseudonym that was linked, or null when the number had none.
   */
  async erase(m: EntityManager, tenantId: TenantId, waId: string): Promise<string | null> {
    const key = await this.keyFor(tenantId);
    const lookup = lookupOf(key, waId);
    const row = await this.row(m, tenantId, lookup, true);
    if (row) {
      if (row.legacy) {
        // Without this marker the old HMAC pseudonym would be adopted again on the next lookup.
        await m.query(`UPDATE customer_pseudonyms SET subject = NULL WHERE tenant_id = $1 AND lookup = $2`, [
          tenantId,
          lookup,
        ]);
      } else {
        await m.query(`DELETE FROM customer_pseudonyms WHERE tenant_id = $1 AND lookup = $2`, [tenantId, lookup]);
      }
      return row.subject;
    }
    const legacy = legacySubject(key, waId);
    if (await this.inLog(m, tenantId, legacy)) {
      await m.query(
        `INSERT INTO customer_pseudonyms (tenant_id, lookup, subject, legacy) VALUES ($1, $2, NULL, true) ON CONFLICT (tenant_id, lookup) DO UPDATE SET subject = NULL`,
        [tenantId, lookup],
      );
      return legacy;
    }
    return null;
  }

  private async fresh(m: EntityManager, tenantId: TenantId, lookup: Buffer): Promise<string> {
    const inserted: Array<{ subject: string }> = await m.query(
      `INSERT INTO customer_pseudonyms (tenant_id, lookup, subject, legacy) VALUES ($1, $2, $3, false)
       ON CONFLICT (tenant_id, lookup) DO UPDATE SET subject = EXCLUDED.subject, legacy = false, created_at = now()
         WHERE customer_pseudonyms.subject IS NULL
       RETURNING subject`,
      [tenantId, lookup, randomBytes(32).toString('hex')],
    );
    // Nothing returned: a concurrent request linked the number first; its pseudonym is the one.
    return inserted[0]?.subject ?? (await this.row(m, tenantId, lookup))!.subject!;
  }

  private async row(m: EntityManager, tenantId: TenantId, lookup: Buffer, lock = false): Promise<MappingRow | null> {
    const rows: MappingRow[] = await m.query(
      `SELECT subject, legacy FROM customer_pseudonyms WHERE tenant_id = $1 AND lookup = $2${lock ? ' FOR UPDATE' : ''}`,
      [tenantId, lookup],
    );
    return rows[0] ?? null;
  }

  private async inLog(m: EntityManager, tenantId: TenantId, subject: string): Promise<boolean> {
    const rows: unknown[] = await m.query(`SELECT 1 FROM log_entries WHERE tenant_id = $1 AND subject = $2 LIMIT 1`, [
      tenantId,
      subject,
    ]);
    return rows.length > 0;
  }

  /** Makes the tenant's pseudonym key ready (created and kept in memory), in a transaction of its own. */
  async keyReady(tenantId: TenantId): Promise<void> {
    await this.keyFor(tenantId);
  }

  private async keyFor(tenantId: TenantId): Promise<KeyObject> {
    const cached = this.keys.get(tenantId);
    if (cached) {
      return cached;
    }
    const key = await this.db.forTenant(tenantId, async (m) => {
      await m.query(`INSERT INTO pseudonym_keys (tenant_id, key) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING`, [
        tenantId,
        randomBytes(32),
      ]);
      const rows: Array<{ key: Buffer }> = await m.query(`SELECT key FROM pseudonym_keys WHERE tenant_id = $1`, [
        tenantId,
      ]);
      return createSecretKey(rows[0].key);
    });
    if (this.keys.size >= CACHE_LIMIT) {
      this.keys.delete(this.keys.keys().next().value!);
    }
    this.keys.set(tenantId, key);
    return key;
  }
}

/** The row's key: a keyed hash of the number, never equal to any pseudonym (domain-separated). */
export function lookupOf(key: Buffer | KeyObject, waId: string): Buffer {
  return createHmac('sha256', key)
    .update(LOOKUP_DOMAIN + waId, 'utf8')
    .digest();
}

/** How pseudonyms were derived before per-customer rows: HMAC-SHA256 of the number. */
export function legacySubject(key: Buffer | KeyObject, waId: string): string {
  return createHmac('sha256', key).update(waId, 'utf8').digest('hex');
}
