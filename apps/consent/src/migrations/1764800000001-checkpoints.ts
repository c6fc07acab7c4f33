import { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantRlsSql } from '@custody/database';

/**
 * C2SP checkpoints beside the JSON tree heads: each signed head row also keeps the checkpoint (a
 * signed note) signed at the same moment over the same size and root. Witness cosignatures of a
 * checkpoint are kept as received (the signature line), append-only like the heads themselves.
 */
export class Checkpoints1764800000001 implements MigrationInterface {
  name = 'Checkpoints1764800000001';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      // Rows signed before this migration have no checkpoint (null); the trigger only refuses
      // UPDATE/DELETE/TRUNCATE, so adding a nullable column leaves every signed head as it was.
      `ALTER TABLE tree_heads ADD COLUMN checkpoint text`,
      `CREATE TABLE checkpoint_cosignatures (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL,
        tree_size bigint NOT NULL,
        root bytea NOT NULL CHECK (length(root) = 32),
        witness text NOT NULL,
        key_id text NOT NULL CHECK (key_id ~ '^[0-9a-f]{8}$'),
        cosigned_at bigint NOT NULL,
        line text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, tree_size, root, witness, key_id, cosigned_at)
      )`,
      `CREATE INDEX checkpoint_cosignatures_head ON checkpoint_cosignatures (tenant_id, tree_size, root)`,
      ...tenantRlsSql('checkpoint_cosignatures'),
      `CREATE TRIGGER checkpoint_cosignatures_append_only BEFORE UPDATE OR DELETE ON checkpoint_cosignatures FOR EACH ROW EXECUTE FUNCTION refuse_change()`,
      `CREATE TRIGGER checkpoint_cosignatures_no_truncate BEFORE TRUNCATE ON checkpoint_cosignatures FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()`,
    ];
    for (const sql of statements) {
      await q.query(sql);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE checkpoint_cosignatures');
    await q.query('ALTER TABLE tree_heads DROP COLUMN checkpoint');
  }
}
