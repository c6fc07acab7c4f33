import { Injectable } from '@nestjs/common';
import { TenantDb, TenantId } from '@custody/database';
import { BusinessProfile } from '../domain/business-profile';

/** The business profiles of the tenants' numbers (ingest.business_profiles, row-level security by tenant). */
@Injectable()
export class BusinessProfileRepository {
  constructor(private readonly db: TenantDb) {}

  async find(tenantId: TenantId, phoneNumberId: string): Promise<BusinessProfile> {
    const rows: Array<Record<string, unknown>> = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT about, address, description, email, vertical, websites FROM business_profiles
          WHERE tenant_id = $1 AND phone_number_id = $2`,
        [tenantId, phoneNumberId],
      ),
    );
    const row = rows[0];
    if (!row) {
      return {};
    }
    const profile: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row)) {
      if (value !== null && !(Array.isArray(value) && value.length === 0 && key === 'websites')) {
        profile[key] = value;
      }
    }
    return profile;
  }

  /** Sets the given fields (the others stay as they were). */
  async update(tenantId: TenantId, phoneNumberId: string, change: BusinessProfile): Promise<void> {
    const given = (field: keyof BusinessProfile) => change[field] !== undefined;
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO business_profiles (phone_number_id, tenant_id, about, address, description, email, vertical, websites)
         VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8::jsonb, '[]'::jsonb))
         ON CONFLICT (tenant_id, phone_number_id) DO UPDATE SET
           about = CASE WHEN $9 THEN EXCLUDED.about ELSE business_profiles.about END,
           address = CASE WHEN $10 THEN EXCLUDED.address ELSE business_profiles.address END,
           description = CASE WHEN $11 THEN EXCLUDED.description ELSE business_profiles.description END,
           email = CASE WHEN $12 THEN EXCLUDED.email ELSE business_profiles.email END,
           vertical = CASE WHEN $13 THEN EXCLUDED.vertical ELSE business_profiles.vertical END,
           websites = CASE WHEN $14 THEN EXCLUDED.websites ELSE business_profiles.websites END,
           updated_at = now()`,
        [
          phoneNumberId,
          tenantId,
          change.about ?? null,
          change.address ?? null,
          change.description ?? null,
          change.email ?? null,
          change.vertical ?? null,
          change.websites ? JSON.stringify(change.websites) : null,
          given('about'),
          given('address'),
          given('description'),
          given('email'),
          given('vertical'),
          given('websites'),
        ],
      ),
    );
  }
}
