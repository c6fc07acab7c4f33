import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Removing an offboarded tenant's consent records, which are append-only by design.
 *
 * - `offboarded_tenants`: the record that a tenant was offboarded, named by the hash tenant-store
 *   uses (`offboardedTenantHash`: SHA-256 of a prefix and the id), never the id. The application
 *   role may only add one (a trigger refuses UPDATE, DELETE and TRUNCATE to every role but the
 *   owner), and it stays: the deliberate, permanent step that the removal below requires.
 * - `remove_offboarded_tenant(tenant)`: SECURITY DEFINER (it runs as the owner), refuses unless the
 *   tenant is recorded in `offboarded_tenants`, then deletes every row of the tenant from every
 *   table of the schema with a `tenant_id` (log, tree nodes, signed heads and cosignatures
 *   included), and completes the record with what it deleted and the log's last signed head
 *   (size, root hash, signature: hashes only). Returns the record as JSON.
 * - `refuse_change()` lets a DELETE through only for the owner, inside that function, for that
 *   tenant's rows (a transaction-local setting names it; setting it alone gives the app role
 *   nothing, since it is not the owner). UPDATE and TRUNCATE stay refused to everyone.
 */
export class Offboarding1765330000002 implements MigrationInterface {
  name = 'Offboarding1765330000002';

  async up(q: QueryRunner): Promise<void> {
    const rows = (await q.query(`SELECT current_schema() AS schema`)) as Array<{ schema: string }>;
    const schema = rows[0].schema;
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) {
      throw new Error(`unexpected schema name ${JSON.stringify(schema)}`);
    }
    await q.query(`CREATE TABLE offboarded_tenants (
      tenant_hash text PRIMARY KEY CHECK (tenant_hash ~ '^[0-9a-f]{64}$'),
      offboarding_id uuid NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      removed_at timestamptz,
      tables jsonb,
      log_size bigint,
      last_tree_size bigint,
      last_root bytea,
      last_signed_at_ms bigint,
      last_key_id text,
      last_signature text
    )`);
    await q.query(`CREATE FUNCTION offboarded_tenants_owner_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND current_user = (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID) THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'offboarded_tenants: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(
      `CREATE TRIGGER offboarded_tenants_owner_only BEFORE UPDATE OR DELETE ON offboarded_tenants FOR EACH ROW EXECUTE FUNCTION offboarded_tenants_owner_only()`,
    );
    await q.query(
      `CREATE TRIGGER offboarded_tenants_no_truncate BEFORE TRUNCATE ON offboarded_tenants FOR EACH STATEMENT EXECUTE FUNCTION offboarded_tenants_owner_only()`,
    );
    await q.query(`CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          IF current_setting('custody.removing_tenant', true) = OLD.tenant_id::text
             AND current_user = (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID) THEN
            RETURN OLD;
          END IF;
        END IF;
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE FUNCTION remove_offboarded_tenant(p_tenant uuid) RETURNS jsonb
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = ${schema}, pg_temp AS $$
      DECLARE
        v_hash constant text := encode(sha256(convert_to('custody.offboarded-tenant.v1:' || lower(p_tenant::text), 'UTF8')), 'hex');
        v_record offboarded_tenants%ROWTYPE;
        v_tables jsonb := '{}';
        v_head record;
        v_size bigint;
        v_blocked boolean;
        v_table text;
        v_count bigint;
      BEGIN
        SELECT * INTO v_record FROM offboarded_tenants WHERE tenant_hash = v_hash FOR UPDATE;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'remove_offboarded_tenant: the tenant is not recorded as offboarded' USING ERRCODE = 'insufficient_privilege';
        END IF;
        PERFORM set_config('custody.tenant_id', p_tenant::text, true);
        PERFORM set_config('custody.removing_tenant', p_tenant::text, true);
        IF v_record.removed_at IS NULL THEN
          SELECT size INTO v_size FROM log_heads WHERE tenant_id = p_tenant;
          SELECT tree_size, root, signed_at_ms, key_id, signature INTO v_head
            FROM tree_heads WHERE tenant_id = p_tenant ORDER BY id DESC LIMIT 1;
        END IF;
        -- Children before parents: a table still referenced is retried after the others.
        FOR v_pass IN 1..10 LOOP
          v_blocked := false;
          FOR v_table IN
            SELECT c.relname FROM pg_class c
              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
             WHERE c.relnamespace = '${schema}'::regnamespace AND c.relkind IN ('r', 'p')
             ORDER BY c.relname
          LOOP
            BEGIN
              EXECUTE format('DELETE FROM %I WHERE tenant_id = $1', v_table) USING p_tenant;
              GET DIAGNOSTICS v_count = ROW_COUNT;
              IF v_count > 0 THEN
                v_tables := jsonb_set(v_tables, ARRAY[v_table], to_jsonb(coalesce((v_tables ->> v_table)::bigint, 0) + v_count));
              END IF;
            EXCEPTION WHEN foreign_key_violation THEN
              v_blocked := true;
            END;
          END LOOP;
          EXIT WHEN NOT v_blocked;
        END LOOP;
        IF v_blocked THEN
          RAISE EXCEPTION 'remove_offboarded_tenant: rows left behind a foreign key';
        END IF;
        IF v_record.removed_at IS NULL THEN
          UPDATE offboarded_tenants SET removed_at = now(), tables = v_tables, log_size = v_size,
                 last_tree_size = v_head.tree_size, last_root = v_head.root, last_signed_at_ms = v_head.signed_at_ms,
                 last_key_id = v_head.key_id, last_signature = v_head.signature
           WHERE tenant_hash = v_hash;
        ELSIF v_tables <> '{}' THEN
          -- A re-run found rows written after the first one (e.g. a late event): counted in.
          UPDATE offboarded_tenants SET tables = (
                   SELECT coalesce(jsonb_object_agg(k, coalesce((tables ->> k)::bigint, 0) + coalesce((v_tables ->> k)::bigint, 0)), '{}')
                     FROM (SELECT jsonb_object_keys(coalesce(tables, '{}') || v_tables) AS k) keys)
           WHERE tenant_hash = v_hash;
        END IF;
        SELECT * INTO v_record FROM offboarded_tenants WHERE tenant_hash = v_hash;
        RETURN jsonb_build_object(
          'tables', coalesce(v_record.tables, '{}'),
          'logSize', v_record.log_size,
          'lastTreeSize', v_record.last_tree_size,
          'lastRoot', encode(v_record.last_root, 'hex'));
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION remove_offboarded_tenant(uuid)`);
    await q.query(`CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`DROP TABLE offboarded_tenants`);
    await q.query(`DROP FUNCTION offboarded_tenants_owner_only()`);
  }
}
