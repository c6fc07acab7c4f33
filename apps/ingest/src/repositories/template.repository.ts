import { Injectable } from '@nestjs/common';
import { TenantDb, TenantId } from '@custody/database';
import {
  ParameterFormat,
  specOf,
  TemplateCategory,
  TemplateDefinition,
  TemplateSpec,
  TemplateStatus,
} from '../domain/templates';

export interface TemplateRow {
  id: string;
  businessAccountId: string;
  name: string;
  language: string;
  category: TemplateCategory;
  parameterFormat: ParameterFormat;
  components: Array<Record<string, unknown>>;
  status: TemplateStatus;
  rejectedReason: string | null;
}

/** What the send path needs of a template: its status and what a send must give. */
export interface CatalogEntry {
  id: string;
  status: TemplateStatus;
  category: TemplateCategory;
  spec: TemplateSpec;
}

/** A tenant's templates by business account, name and language. */
export type TemplateCatalog = ReadonlyMap<string, CatalogEntry>;

export const catalogKey = (businessAccountId: string, name: string, language: string): string =>
  `${businessAccountId}\u0000${name}\u0000${language}`;

/**
 * Catalogs are kept this long in each replica's memory: a change made through this replica applies
 * at once (the catalog is dropped), one made through another (or by the review) within this time.
 */
const CATALOG_TTL_MS = 2000;

const COLUMNS = `id, business_account_id, name, language, category, parameter_format, components, status, rejected_reason`;

function rowOf(r: Record<string, unknown>): TemplateRow {
  return {
    id: String(r.id),
    businessAccountId: String(r.business_account_id),
    name: String(r.name),
    language: String(r.language),
    category: r.category as TemplateCategory,
    parameterFormat: r.parameter_format as ParameterFormat,
    components: r.components as Array<Record<string, unknown>>,
    status: r.status as TemplateStatus,
    rejectedReason: (r.rejected_reason as string | null) ?? null,
  };
}

/** The tenants' message templates (ingest.message_templates, row-level security by tenant). */
@Injectable()
export class TemplateRepository {
  private readonly catalogs = new Map<TenantId, { catalog: TemplateCatalog; at: number }>();
  private readonly loading = new Map<TenantId, Promise<TemplateCatalog>>();
  /**
   * Bumped by every invalidation: a load keeps its catalog only when the tenant's generation is
   * still the one it began under (its read may have begun before the change committed).
   */
  private readonly generations = new Map<TenantId, number>();

  constructor(private readonly db: TenantDb) {}

  /**
   * The tenant's templates for the send check, from memory: one read per tenant and replica every
   * CATALOG_TTL_MS at most (concurrent sends that find it expired share that read), never one per message.
   */
  catalogFor(tenantId: TenantId): TemplateCatalog | Promise<TemplateCatalog> {
    const hit = this.catalogs.get(tenantId);
    if (hit && Date.now() - hit.at < CATALOG_TTL_MS) {
      return hit.catalog;
    }
    let loading = this.loading.get(tenantId);
    if (!loading) {
      const started = this.loadCatalog(tenantId, this.generations.get(tenantId) ?? 0).finally(() => {
        if (this.loading.get(tenantId) === started) {
          this.loading.delete(tenantId);
        }
      });
      loading = started;
      this.loading.set(tenantId, loading);
    }
    return loading;
  }

  /**
   * Drops the tenant's cached catalog (its templates changed; called once the change committed):
   * a load in flight may have read before the change, so later sends no longer share it and it is
   * not kept.
   */
  invalidate(tenantId: TenantId): void {
    this.generations.set(tenantId, (this.generations.get(tenantId) ?? 0) + 1);
    this.catalogs.delete(tenantId);
    this.loading.delete(tenantId);
  }

  private async loadCatalog(tenantId: TenantId, generation: number): Promise<TemplateCatalog> {
    const rows: Array<Record<string, unknown>> = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT ${COLUMNS} FROM message_templates WHERE tenant_id = $1`, [tenantId]),
    );
    const catalog = new Map<string, CatalogEntry>();
    for (const row of rows.map(rowOf)) {
      catalog.set(catalogKey(row.businessAccountId, row.name, row.language), {
        id: row.id,
        status: row.status,
        category: row.category,
        spec: specOf(row),
      });
    }
    if ((this.generations.get(tenantId) ?? 0) === generation) {
      this.catalogs.set(tenantId, { catalog, at: Date.now() });
    }
    return catalog;
  }

  /** Stores a new template as PENDING; false when the account already has that name in that language. */
  async create(tenantId: TenantId, id: string, businessAccountId: string, t: TemplateDefinition): Promise<boolean> {
    const rows: unknown[] = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO message_templates (id, tenant_id, business_account_id, name, language, category, parameter_format, components, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'PENDING')
         ON CONFLICT (tenant_id, business_account_id, name, language) DO NOTHING RETURNING id`,
        [
          id,
          tenantId,
          businessAccountId,
          t.name,
          t.language,
          t.category,
          t.parameterFormat,
          JSON.stringify(t.components),
        ],
      ),
    );
    this.invalidate(tenantId);
    return rows.length > 0;
  }

  /** A page of the account's templates in id order, after or before a cursor (an id), with filters. */
  async list(
    tenantId: TenantId,
    businessAccountId: string,
    page: { limit: number; after?: string; before?: string },
    filters: { name?: string; status?: string; category?: string; language?: string },
  ): Promise<TemplateRow[]> {
    const backwards = page.before !== undefined;
    const rows: Array<Record<string, unknown>> = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT ${COLUMNS} FROM message_templates
          WHERE tenant_id = $1 AND business_account_id = $2
            AND ($3::text IS NULL OR id > $3) AND ($4::text IS NULL OR id < $4)
            AND ($5::text IS NULL OR name = $5) AND ($6::text IS NULL OR status = $6)
            AND ($7::text IS NULL OR category = $7) AND ($8::text IS NULL OR language = $8)
          ORDER BY id ${backwards ? 'DESC' : 'ASC'} LIMIT $9`,
        [
          tenantId,
          businessAccountId,
          page.after ?? null,
          page.before ?? null,
          filters.name ?? null,
          filters.status ?? null,
          filters.category ?? null,
          filters.language ?? null,
          page.limit,
        ],
      ),
    );
    const list = rows.map(rowOf);
    return backwards ? list.reverse() : list;
  }

  async find(tenantId: TenantId, id: string): Promise<TemplateRow | null> {
    const rows: Array<Record<string, unknown>> = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT ${COLUMNS} FROM message_templates WHERE tenant_id = $1 AND id = $2`, [tenantId, id]),
    );
    return rows[0] ? rowOf(rows[0]) : null;
  }

  /** Deletes the account's templates of that name (every language), or just the one with that id. */
  async remove(tenantId: TenantId, businessAccountId: string, name: string, id?: string): Promise<number> {
    const result: [unknown[], number] = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `DELETE FROM message_templates WHERE tenant_id = $1 AND business_account_id = $2 AND name = $3
            AND ($4::text IS NULL OR id = $4)`,
        [tenantId, businessAccountId, name, id ?? null],
      ),
    );
    this.invalidate(tenantId);
    return result[1];
  }

  /**
   * Edits a template under a row lock: `plan` sees the row and the times an approved version of it
   * was edited, and returns the new definition (or throws, and nothing changes). The template goes
   * back to PENDING for review. The row as it was, for `restore`; null when there is no such template.
   */
  async edit(
    tenantId: TenantId,
    id: string,
    plan: (row: TemplateRow, approvedEdits: Date[]) => TemplateDefinition,
  ): Promise<{ before: TemplateRow; approvedEdits: Date[] } | null> {
    const result = await this.db.forTenant(tenantId, async (m) => {
      const rows: Array<Record<string, unknown>> = await m.query(
        `SELECT ${COLUMNS}, approved_edits FROM message_templates WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
        [tenantId, id],
      );
      if (!rows[0]) {
        return null;
      }
      const before = rowOf(rows[0]);
      const approvedEdits = (rows[0].approved_edits as Date[]).map((d) => new Date(d));
      const next = plan(before, approvedEdits);
      await m.query(
        `UPDATE message_templates
            SET category = $3, components = $4, status = 'PENDING', rejected_reason = NULL, updated_at = now(),
                approved_edits = CASE WHEN status = 'APPROVED'
                  THEN array_append(ARRAY(SELECT e FROM unnest(approved_edits) e WHERE e > now() - interval '30 days'), now())
                  ELSE approved_edits END
          WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id, next.category, JSON.stringify(next.components)],
      );
      return { before, approvedEdits };
    });
    this.invalidate(tenantId);
    return result;
  }

  /** Puts an edited template back as it was (its review could not be requested), unless it was reviewed meanwhile. */
  async restore(tenantId: TenantId, before: TemplateRow, approvedEdits: Date[]): Promise<void> {
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `UPDATE message_templates
            SET category = $3, components = $4, status = $5, rejected_reason = $6, approved_edits = $7, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND status = 'PENDING'`,
        [
          tenantId,
          before.id,
          before.category,
          JSON.stringify(before.components),
          before.status,
          before.rejectedReason,
          approvedEdits,
        ],
      ),
    );
    this.invalidate(tenantId);
  }

  /** Sets a template's status (the review's verdict, a pause…); the row after, or null when it is gone. */
  async setStatus(
    tenantId: TenantId,
    id: string,
    status: TemplateStatus,
    reason: string | null,
  ): Promise<{ row: TemplateRow; changed: boolean } | null> {
    // An UPDATE … RETURNING answers [rows, affected] through TypeORM's query().
    const [rows]: [Array<Record<string, unknown>>, number] = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `WITH before AS (SELECT status, rejected_reason FROM message_templates WHERE tenant_id = $1 AND id = $2 FOR UPDATE)
         UPDATE message_templates t SET status = $3, rejected_reason = $4, updated_at = now()
           FROM before WHERE t.tenant_id = $1 AND t.id = $2
         RETURNING t.id, t.business_account_id, t.name, t.language, t.category, t.parameter_format, t.components,
           t.status, t.rejected_reason,
           (before.status IS DISTINCT FROM $3 OR before.rejected_reason IS DISTINCT FROM $4) AS changed`,
        [tenantId, id, status, reason],
      ),
    );
    this.invalidate(tenantId);
    const first = rows[0];
    return first ? { row: rowOf(first), changed: Boolean(first.changed) } : null;
  }
}
