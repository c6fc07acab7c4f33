import { tenantBindingFunctions, tenantBindingSql } from '@custody/database';

/** The key store's schema: owned by the migration owner, reached only through the functions below. */
export const CONVERSATION_KEYS_SCHEMA = 'custody_keys';

/** Functions every service that seals or opens message content needs. */
export const CONVERSATION_KEY_USE_FUNCTIONS = [
  'conversation_key(uuid, uuid, uuid, integer, bytea)',
  'conversation_key_by_id(uuid, uuid)',
  'conversation_keys_by_ids(uuid, uuid[])',
  'conversation_keys_current(uuid, uuid[], uuid[], integer[], bytea[])',
] as const;

/** Functions only the keys' owner (tenant-store) may call: destruction, rewrapping, counts. */
export const CONVERSATION_KEY_OWNER_FUNCTIONS = [
  'destroy_conversation_keys(uuid, uuid[])',
  'destroy_tenant_conversation_keys(uuid, boolean)',
  'conversation_keys_to_rewrap(uuid, integer, uuid, integer)',
  'rewrap_conversation_key(uuid, uuid, integer, integer, bytea)',
  'conversation_keys_by_data_key_version(uuid)',
] as const;

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The conversation key store inside PostgreSQL, reached like a KMS: a schema of its own that no
 * service role can read, and narrow SECURITY DEFINER functions (fixed search_path) that answer
 * only for the tenant the caller's transaction is bound to (`TenantDb.forTenant`). Only wrapped
 * keys go in and out; unwrapping needs the tenant's data key, which needs the master key.
 *
 * Idempotent (every service's migration runs it, under an advisory lock, then grants its roles
 * what they need: `access` 'use' for sealing and opening, 'own' adds destruction and rewrapping).
 */
export function conversationKeyStoreSql(roles: readonly string[], access: 'use' | 'own'): string[] {
  for (const role of roles) {
    if (!IDENT.test(role)) {
      throw new Error('roles must be plain lowercase identifiers');
    }
  }
  const s = CONVERSATION_KEYS_SCHEMA;
  const bound = `${tenantBindingFunctions(s).current}()`;
  const check = `IF ${bound} IS DISTINCT FROM p_tenant::text THEN
         RAISE EXCEPTION 'custody: the key store answers only for the tenant of the transaction' USING ERRCODE = '42501';
       END IF;`;
  const definer = `LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp`;
  const functions = [...CONVERSATION_KEY_USE_FUNCTIONS, ...(access === 'own' ? CONVERSATION_KEY_OWNER_FUNCTIONS : [])];
  return [
    `SELECT pg_advisory_xact_lock(hashtext('${s}'))`,
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `REVOKE ALL ON SCHEMA ${s} FROM PUBLIC`,
    `CREATE TABLE IF NOT EXISTS ${s}.conversation_keys (
       tenant_id uuid NOT NULL,
       key_id uuid NOT NULL,
       conversation_id uuid NOT NULL,
       generation integer NOT NULL CHECK (generation >= 1),
       data_key_version integer NOT NULL CHECK (data_key_version >= 1),
       wrapped_key bytea,
       created_at timestamptz NOT NULL DEFAULT now(),
       destroyed_at timestamptz,
       PRIMARY KEY (tenant_id, key_id),
       UNIQUE (tenant_id, conversation_id, generation),
       CONSTRAINT conversation_keys_destroyed_have_no_key CHECK ((destroyed_at IS NULL) = (wrapped_key IS NOT NULL))
     )`,
    `CREATE UNIQUE INDEX IF NOT EXISTS conversation_keys_one_live
       ON ${s}.conversation_keys (tenant_id, conversation_id) WHERE destroyed_at IS NULL`,
    `CREATE INDEX IF NOT EXISTS conversation_keys_by_data_key_version
       ON ${s}.conversation_keys (tenant_id, data_key_version) WHERE destroyed_at IS NULL`,
    `REVOKE ALL ON ${s}.conversation_keys FROM PUBLIC`,
    // custody_keys.custody_tenant(): the binding of the caller's transaction (the same temporary
    // sequences every schema's custody_enter_tenant sets), for the functions below only.
    ...tenantBindingSql(s, 'CURRENT_USER'),
    `CREATE OR REPLACE FUNCTION ${s}.conversation_key(
       p_tenant uuid, p_conversation uuid, p_key_id uuid, p_data_key_version integer, p_wrapped bytea)
     RETURNS TABLE (key_id uuid, generation integer, data_key_version integer, wrapped_key bytea)
     ${definer} AS $custody$
     BEGIN
       ${check}
       FOR attempt IN 1..3 LOOP
         RETURN QUERY SELECT k.key_id, k.generation, k.data_key_version, k.wrapped_key
           FROM ${s}.conversation_keys k
          WHERE k.tenant_id = p_tenant AND k.conversation_id = p_conversation AND k.destroyed_at IS NULL;
         IF FOUND THEN
           RETURN;
         END IF;
         INSERT INTO ${s}.conversation_keys AS c (tenant_id, key_id, conversation_id, generation, data_key_version, wrapped_key)
         SELECT p_tenant, p_key_id, p_conversation, coalesce(max(o.generation), 0) + 1, p_data_key_version, p_wrapped
           FROM ${s}.conversation_keys o WHERE o.tenant_id = p_tenant AND o.conversation_id = p_conversation
         ON CONFLICT DO NOTHING;
       END LOOP;
       RAISE EXCEPTION 'custody: no live conversation key after three attempts' USING ERRCODE = '40001';
     END
     $custody$`,
    `CREATE OR REPLACE FUNCTION ${s}.conversation_key_by_id(p_tenant uuid, p_key_id uuid)
     RETURNS TABLE (conversation_id uuid, generation integer, data_key_version integer, wrapped_key bytea, destroyed boolean)
     ${definer} STABLE AS $custody$
     BEGIN
       ${check}
       RETURN QUERY SELECT k.conversation_id, k.generation, k.data_key_version, k.wrapped_key, k.destroyed_at IS NOT NULL
         FROM ${s}.conversation_keys k WHERE k.tenant_id = p_tenant AND k.key_id = p_key_id;
     END
     $custody$`,
    // Many conversations' current keys in one call (a replica's concurrent first contacts of one
    // tenant, coalesced). The caller sorts the conversations, so concurrent calls lock in one order.
    `CREATE OR REPLACE FUNCTION ${s}.conversation_keys_current(
       p_tenant uuid, p_conversations uuid[], p_key_ids uuid[], p_data_key_versions integer[], p_wrapped bytea[])
     RETURNS TABLE (conversation_id uuid, key_id uuid, generation integer, data_key_version integer, wrapped_key bytea)
     ${definer} AS $custody$
     BEGIN
       ${check}
       IF coalesce(array_length(p_conversations, 1), 0) > 1000
          OR array_length(p_conversations, 1) IS DISTINCT FROM array_length(p_key_ids, 1)
          OR array_length(p_conversations, 1) IS DISTINCT FROM array_length(p_data_key_versions, 1)
          OR array_length(p_conversations, 1) IS DISTINCT FROM array_length(p_wrapped, 1) THEN
         RAISE EXCEPTION 'custody: up to 1000 conversations, with one candidate each' USING ERRCODE = '22023';
       END IF;
       FOR i IN 1..coalesce(array_length(p_conversations, 1), 0) LOOP
         RETURN QUERY SELECT p_conversations[i], c.key_id, c.generation, c.data_key_version, c.wrapped_key
           FROM ${s}.conversation_key(p_tenant, p_conversations[i], p_key_ids[i], p_data_key_versions[i], p_wrapped[i]) c;
       END LOOP;
     END
     $custody$`,
    `CREATE OR REPLACE FUNCTION ${s}.conversation_keys_by_ids(p_tenant uuid, p_key_ids uuid[])
     RETURNS TABLE (key_id uuid, conversation_id uuid, generation integer, data_key_version integer, wrapped_key bytea, destroyed boolean)
     ${definer} STABLE AS $custody$
     BEGIN
       ${check}
       RETURN QUERY SELECT k.key_id, k.conversation_id, k.generation, k.data_key_version, k.wrapped_key, k.destroyed_at IS NOT NULL
         FROM ${s}.conversation_keys k WHERE k.tenant_id = p_tenant AND k.key_id = ANY(p_key_ids[1:1000]);
     END
     $custody$`,
    `CREATE OR REPLACE FUNCTION ${s}.destroy_conversation_keys(p_tenant uuid, p_conversations uuid[])
     RETURNS integer ${definer} AS $custody$
     DECLARE n integer;
     BEGIN
       ${check}
       UPDATE ${s}.conversation_keys SET wrapped_key = NULL, destroyed_at = now()
        WHERE tenant_id = p_tenant AND conversation_id = ANY(p_conversations) AND destroyed_at IS NULL;
       GET DIAGNOSTICS n = ROW_COUNT;
       RETURN n;
     END
     $custody$`,
    `CREATE OR REPLACE FUNCTION ${s}.destroy_tenant_conversation_keys(p_tenant uuid, p_purge boolean)
     RETURNS integer ${definer} AS $custody$
     DECLARE n integer;
     BEGIN
       ${check}
       IF p_purge THEN
         DELETE FROM ${s}.conversation_keys WHERE tenant_id = p_tenant;
       ELSE
         UPDATE ${s}.conversation_keys SET wrapped_key = NULL, destroyed_at = now()
          WHERE tenant_id = p_tenant AND destroyed_at IS NULL;
       END IF;
       GET DIAGNOSTICS n = ROW_COUNT;
       RETURN n;
     END
     $custody$`,
    `CREATE OR REPLACE FUNCTION ${s}.conversation_keys_to_rewrap(
       p_tenant uuid, p_data_key_version integer, p_after uuid, p_limit integer)
     RETURNS TABLE (key_id uuid, conversation_id uuid, generation integer, data_key_version integer, wrapped_key bytea)
     ${definer} STABLE AS $custody$
     BEGIN
       ${check}
       RETURN QUERY SELECT k.key_id, k.conversation_id, k.generation, k.data_key_version, k.wrapped_key
         FROM ${s}.conversation_keys k
        WHERE k.tenant_id = p_tenant AND k.destroyed_at IS NULL AND k.data_key_version <> p_data_key_version
          AND (p_after IS NULL OR k.key_id > p_after)
        ORDER BY k.key_id LIMIT least(greatest(p_limit, 1), 1000);
     END
     $custody$`,
    `CREATE OR REPLACE FUNCTION ${s}.rewrap_conversation_key(
       p_tenant uuid, p_key_id uuid, p_expected_version integer, p_data_key_version integer, p_wrapped bytea)
     RETURNS boolean ${definer} AS $custody$
     BEGIN
       ${check}
       UPDATE ${s}.conversation_keys SET data_key_version = p_data_key_version, wrapped_key = p_wrapped
        WHERE tenant_id = p_tenant AND key_id = p_key_id AND destroyed_at IS NULL
          AND data_key_version = p_expected_version;
       RETURN FOUND;
     END
     $custody$`,
    `CREATE OR REPLACE FUNCTION ${s}.conversation_keys_by_data_key_version(p_tenant uuid)
     RETURNS TABLE (data_key_version integer, n integer)
     ${definer} STABLE AS $custody$
     BEGIN
       ${check}
       RETURN QUERY SELECT k.data_key_version, count(*)::integer FROM ${s}.conversation_keys k
        WHERE k.tenant_id = p_tenant AND k.destroyed_at IS NULL GROUP BY 1 ORDER BY 1;
     END
     $custody$`,
    ...[...CONVERSATION_KEY_USE_FUNCTIONS, ...CONVERSATION_KEY_OWNER_FUNCTIONS].map(
      (f) => `REVOKE ALL ON FUNCTION ${s}.${f} FROM PUBLIC`,
    ),
    ...roles.flatMap((role) => [
      `GRANT USAGE ON SCHEMA ${s} TO ${role}`,
      ...functions.map((f) => `GRANT EXECUTE ON FUNCTION ${s}.${f} TO ${role}`),
    ]),
  ];
}
