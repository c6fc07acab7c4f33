import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * The Cloud API's phone number object and business profile: each number's verified name (the
 * business's display name, from tenant-store's tenant events) and the profile a tenant sets with
 * `POST /{phone-number-id}/whatsapp_business_profile`.
 */
export class BusinessProfiles1765300000052 implements MigrationInterface {
  name = 'BusinessProfiles1765300000052';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `ALTER TABLE tenant_numbers ADD COLUMN verified_name text`,
      `CREATE TABLE business_profiles (
        tenant_id uuid NOT NULL,
        phone_number_id text NOT NULL,
        about text,
        address text,
        description text,
        email text,
        vertical text,
        websites jsonb NOT NULL DEFAULT '[]',
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, phone_number_id)
      )`,
      ...tenantRlsSql('business_profiles'),
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS business_profiles`);
    await q.query(`ALTER TABLE tenant_numbers DROP COLUMN IF EXISTS verified_name`);
  }
}
