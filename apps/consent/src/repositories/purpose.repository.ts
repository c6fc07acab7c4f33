import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TenantDb, TenantId } from '@custody/database';

export interface PurposeRow {
  key: string;
  dataUse: string;
  createdAt: Date;
}

export interface WordingRow {
  purposeKey: string;
  language: string;
  version: number;
  hash: string;
  text: string;
  content: Buffer;
  createdAt: Date;
}

export interface OptInPromptRow {
  id: string;
  language: string;
  purposeKeys: string[];
  createdAt: Date;
}

export class DuplicateKeyError extends Error {
  constructor(readonly constraint: string) {
    super(`duplicate: ${constraint}`);
  }
}

interface RawWording {
  purpose_key: string;
  language: string;
  version: number;
  hash: string;
  text: string;
  content: Buffer;
  created_at: Date;
}

const mapWording = (r: RawWording): WordingRow => ({
  purposeKey: r.purpose_key,
  language: r.language,
  version: r.version,
  hash: r.hash,
  text: r.text,
  content: r.content,
  createdAt: r.created_at,
});

const WORDING_COLUMNS = 'purpose_key, language, version, hash, text, content, created_at';

/** Purposes, their immutable wording versions, and the tenant's opt-in prompt (what START grants). */
@Injectable()
export class PurposeRepository {
  /**
   * Purposes found, by tenant and key. A purpose is never changed or deleted once created (its
   * wordings are versions of their own), so a found one can be kept: every consent request looks
   * its purpose up, and this saves that transaction. Misses are not kept (a purpose another
   * replica just created is found at once). Bounded: cleared when full.
   */
  private readonly found = new Map<string, PurposeRow>();

  constructor(private readonly db: TenantDb) {}

  async create(tenantId: TenantId, key: string, dataUse: string): Promise<PurposeRow> {
    try {
      return await this.db.forTenant(tenantId, async (m) => {
        const rows: Array<{ key: string; data_use: string; created_at: Date }> = await m.query(
          `INSERT INTO purposes (tenant_id, key, data_use) VALUES ($1, $2, $3) RETURNING key, data_use, created_at`,
          [tenantId, key, dataUse],
        );
        return { key: rows[0].key, dataUse: rows[0].data_use, createdAt: rows[0].created_at };
      });
    } catch (error) {
      throw asDuplicate(error);
    }
  }

  async get(tenantId: TenantId, key: string, within?: EntityManager): Promise<PurposeRow | null> {
    const cacheKey = `${tenantId}|${key}`;
    const cached = this.found.get(cacheKey);
    if (cached) {
      return cached;
    }
    const row = await this.db.withinTenant(tenantId, within, async (m) => {
      const rows: Array<{ key: string; data_use: string; created_at: Date }> = await m.query(
        `SELECT key, data_use, created_at FROM purposes WHERE tenant_id = $1 AND key = $2`,
        [tenantId, key],
      );
      return rows[0] ? { key: rows[0].key, dataUse: rows[0].data_use, createdAt: rows[0].created_at } : null;
    });
    if (row) {
      if (this.found.size >= 10_000) {
        this.found.clear();
      }
      this.found.set(cacheKey, row);
    }
    return row;
  }

  list(tenantId: TenantId, within?: EntityManager): Promise<PurposeRow[]> {
    return this.db.withinTenant(tenantId, within, async (m) => {
      const rows: Array<{ key: string; data_use: string; created_at: Date }> = await m.query(
        `SELECT key, data_use, created_at FROM purposes WHERE tenant_id = $1 ORDER BY key`,
        [tenantId],
      );
      return rows.map((r) => ({ key: r.key, dataUse: r.data_use, createdAt: r.created_at }));
    });
  }

  /** Every wording version of the tenant (or of one purpose), oldest first. */
  wordings(tenantId: TenantId, purposeKey?: string): Promise<WordingRow[]> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: RawWording[] = await m.query(
        `SELECT ${WORDING_COLUMNS} FROM purpose_versions
          WHERE tenant_id = $1 AND ($2::text IS NULL OR purpose_key = $2)
          ORDER BY purpose_key, language, version`,
        [tenantId, purposeKey ?? null],
      );
      return rows.map(mapWording);
    });
  }

  latestWording(
    tenantId: TenantId,
    purposeKey: string,
    language: string,
    within?: EntityManager,
  ): Promise<WordingRow | null> {
    return this.db.withinTenant(tenantId, within, async (m) => {
      const rows: RawWording[] = await m.query(
        `SELECT ${WORDING_COLUMNS} FROM purpose_versions
          WHERE tenant_id = $1 AND purpose_key = $2 AND language = $3 ORDER BY version DESC LIMIT 1`,
        [tenantId, purposeKey, language],
      );
      return rows[0] ? mapWording(rows[0]) : null;
    });
  }

  wording(tenantId: TenantId, purposeKey: string, language: string, version: number): Promise<WordingRow | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: RawWording[] = await m.query(
        `SELECT ${WORDING_COLUMNS} FROM purpose_versions
          WHERE tenant_id = $1 AND purpose_key = $2 AND language = $3 AND version = $4`,
        [tenantId, purposeKey, language, version],
      );
      return rows[0] ? mapWording(rows[0]) : null;
    });
  }

  /** Inserts a version; the caller computed number and hash. A concurrent writer of the same number gets DuplicateKeyError. */
  async addWording(tenantId: TenantId, w: Omit<WordingRow, 'createdAt'>): Promise<WordingRow> {
    try {
      return await this.db.forTenant(tenantId, async (m) => {
        const rows: RawWording[] = await m.query(
          `INSERT INTO purpose_versions (tenant_id, purpose_key, language, version, hash, content, text)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${WORDING_COLUMNS}`,
          [tenantId, w.purposeKey, w.language, w.version, w.hash, w.content, w.text],
        );
        return mapWording(rows[0]);
      });
    } catch (error) {
      throw asDuplicate(error);
    }
  }

  setOptInPrompt(tenantId: TenantId, language: string, purposeKeys: string[]): Promise<OptInPromptRow> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: Array<{ id: string; language: string; purpose_keys: string[]; created_at: Date }> = await m.query(
        `INSERT INTO opt_in_prompts (tenant_id, language, purpose_keys) VALUES ($1, $2, $3)
         RETURNING id, language, purpose_keys, created_at`,
        [tenantId, language, purposeKeys],
      );
      const r = rows[0];
      return { id: String(r.id), language: r.language, purposeKeys: r.purpose_keys, createdAt: r.created_at };
    });
  }

  currentOptInPrompt(tenantId: TenantId): Promise<OptInPromptRow | null> {
    return this.db.forTenant(tenantId, async (m) => {
      const rows: Array<{ id: string; language: string; purpose_keys: string[]; created_at: Date }> = await m.query(
        `SELECT id, language, purpose_keys, created_at FROM opt_in_prompts WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1`,
        [tenantId],
      );
      const r = rows[0];
      return r
        ? { id: String(r.id), language: r.language, purposeKeys: r.purpose_keys, createdAt: r.created_at }
        : null;
    });
  }
}

function asDuplicate(error: unknown): unknown {
  const e = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.code ?? e.driverError?.code;
  if (code === '23505') {
    return new DuplicateKeyError(e.constraint ?? e.driverError?.constraint ?? 'unique');
  }
  return error;
}
