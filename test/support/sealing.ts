import { Pool, PoolClient } from 'pg';
import {
  ConversationKeyring,
  CustomerIdentity,
  CustomerIndexKeys,
  FieldCipher,
  IdentifiedCustomer,
  SqlCustomerIndexKeyStore,
  KeyProvider,
  LocalKeyProvider,
  messageContentAad,
  SqlConversationKeyStore,
  SqlDataKeyStore,
  SqlQueryable,
  TenantKeyring,
} from '@custody/crypto';
import type { TenantId } from '@custody/database';
import { TEST_MASTER_KEYS } from './tenant-store.harness';

/**
 * Seals content as the edge does (ingest), for tests that publish message events themselves:
 * under the tenant's data key as tenant-store made it (read from tenant_store.data_keys, unwrapped
 * with the test master key or the given provider). Never creates a data key. Opens v2 envelopes
 * too, with the conversation keys of the key store (custody_keys, whose functions answer for the
 * tenant the transaction is bound to: bound here as tenant-store binds it).
 */
let pool: Pool | undefined;

async function inTransaction<T>(setting: string, work: (db: SqlQueryable) => Promise<T>): Promise<T> {
  pool ??= new Pool({ connectionString: process.env.MIGRATION_DATABASE_URL, max: 2, allowExitOnIdle: true });
  const client: PoolClient = await pool.connect();
  try {
    await client.query(`BEGIN; SELECT ${setting}`);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const runner = {
  forTenant: <T>(tenantId: TenantId, work: (db: SqlQueryable) => Promise<T>) =>
    inTransaction(
      `set_config('custody.tenant_id', '${tenantId.toLowerCase()}', true), tenant_store.custody_enter_tenant('${tenantId.toLowerCase()}')`,
      work,
    ),
  forPlatform: <T>(work: (db: SqlQueryable) => Promise<T>) =>
    inTransaction(`set_config('custody.platform', 'on', true)`, work),
};

const defaultProvider = new LocalKeyProvider(TEST_MASTER_KEYS);
const ciphers = new WeakMap<KeyProvider, FieldCipher>();

export function testCipher(provider: KeyProvider = defaultProvider): FieldCipher {
  let cipher = ciphers.get(provider);
  if (!cipher) {
    const store = new SqlDataKeyStore(runner, { table: 'tenant_store.data_keys' });
    const keyring = new TenantKeyring(store, provider, { createKeys: false });
    // A short cache: tests open messages right after an erasure destroyed their key.
    const conversations = new ConversationKeyring(new SqlConversationKeyStore(runner), keyring, { cacheTtlMs: 1 });
    cipher = new FieldCipher(keyring, conversations);
    ciphers.set(provider, cipher);
  }
  return cipher;
}

const identities = new WeakMap<KeyProvider, CustomerIdentity>();

/** Customers' references and sealed numbers as the edge makes them (from tenant_store's keys). */
export function testIdentity(provider: KeyProvider = defaultProvider): CustomerIdentity {
  let identity = identities.get(provider);
  if (!identity) {
    const store = new SqlCustomerIndexKeyStore(runner, { table: 'tenant_store.customer_index_keys' });
    identity = new CustomerIdentity(
      new CustomerIndexKeys(store, provider, { createKeys: false }),
      testCipher(provider),
    );
    identities.set(provider, identity);
  }
  return identity;
}

/** A customer as events name one: reference and sealed number. */
export function testCustomer(tenantId: string, waId: string, provider?: KeyProvider): Promise<IdentifiedCustomer> {
  return testIdentity(provider).identify(tenantId as TenantId, waId);
}

/** The customer's reference: what tables, events and Kafka keys hold instead of the number. */
export function customerRef(tenantId: string, waId: string, provider?: KeyProvider): Promise<string> {
  return testIdentity(provider).ref(tenantId as TenantId, waId);
}

/** The number of a sealed customer (what only Custody's own code can read). */
export function openCustomer(
  tenantId: string,
  customer: { ref: string; waIdCiphertext: string },
  provider?: KeyProvider,
): Promise<string> {
  return testIdentity(provider).open(tenantId as TenantId, customer.ref, customer.waIdCiphertext);
}

/** A reference no tenant's key makes (for a tenant that has no keys: not ours). */
export const UNKNOWN_CUSTOMER_REF = 'U'.repeat(43);

/** A message's content sealed under its tenant's data key, as `contentCiphertext`. */
export function sealContent(
  tenantId: string,
  messageId: string,
  content: unknown,
  provider?: KeyProvider,
): Promise<string> {
  return testCipher(provider).encryptJson(tenantId as TenantId, content, messageContentAad(messageId));
}

/** The content of a sealed message (what only Custody's own code can read). */
export function openContent<T = Record<string, unknown>>(
  tenantId: string,
  messageId: string,
  contentCiphertext: string,
  provider?: KeyProvider,
): Promise<T> {
  return testCipher(provider).decryptJson<T>(tenantId as TenantId, contentCiphertext, messageContentAad(messageId));
}

/** A well-formed envelope no key opens: the content of a tenant that has no key (not ours). */
export const UNOPENABLE_CIPHERTEXT = `v1.1.${'A'.repeat(16)}.${'A'.repeat(43)}`;
