// Events the benchmark and fault scripts publish as the platform would, and their flag parsing.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { conversationIdFor } = require('../../libs/contracts/dist/index.js');
const {
  CustomerIdentity,
  CustomerIndexKeys,
  FieldCipher,
  LocalKeyProvider,
  SqlCustomerIndexKeyStore,
  SqlDataKeyStore,
  TenantKeyring,
  messageContentAad,
} = require('../../libs/crypto/dist/index.js');

/**
 * Seals content as ingest does at the edge, for scripts that publish message events themselves:
 * under the tenant's data key (tenant-store's table, unwrapped with the platform's master key file).
 * `pool` is a pg Pool of the owner role (MIGRATION_DATABASE_URL). Returns (tenantId, messageId, content) → ciphertext,
 * with `.customer(tenantId, waId)` → the customer's reference and sealed number, as ingest makes them.
 */
export function contentSealer({ masterKeyFile, pool }) {
  const inTransaction = async (setting, work) => {
    const client = await pool.connect();
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
  };
  const runner = {
    forTenant: (tenantId, work) =>
      inTransaction(`set_config('custody.tenant_id', '${tenantId.toLowerCase()}', true)`, work),
    forPlatform: (work) => inTransaction(`set_config('custody.platform', 'on', true)`, work),
  };
  const provider = LocalKeyProvider.fromFile(masterKeyFile);
  const keyring = new TenantKeyring(new SqlDataKeyStore(runner, { table: 'tenant_store.data_keys' }), provider, {
    createKeys: false,
  });
  const cipher = new FieldCipher(keyring);
  const identity = new CustomerIdentity(
    new CustomerIndexKeys(
      new SqlCustomerIndexKeyStore(runner, { table: 'tenant_store.customer_index_keys' }),
      provider,
      {
        createKeys: false,
      },
    ),
    cipher,
  );
  const seal = (tenantId, messageId, content) => cipher.encryptJson(tenantId, content, messageContentAad(messageId));
  seal.customer = (tenantId, waId) => identity.identify(tenantId, waId);
  return seal;
}

/** `--name N` from the command line as a number, else `fallback`. */
export function numberFlag(args, name, fallback) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/**
 * A customer's text message as ingest publishes it on the inbound topic (a Kafka message), its
 * content `{ body: text }` sealed by `seal` (a `contentSealer`).
 */
export async function inboundTextMessage({ tenantId, phoneNumberId, waId, messageId, text, at = new Date(), seal }) {
  const customer = await seal.customer(tenantId, waId);
  const conversationId = conversationIdFor(tenantId, phoneNumberId, customer.ref);
  return {
    key: `${tenantId}:${conversationId}`,
    value: JSON.stringify({
      eventId: messageId,
      type: 'message.inbound',
      tenantId,
      occurredAt: at.toISOString(),
      messageId,
      conversationId,
      phoneNumberId,
      customer,
      origin: 'customer',
      messageType: 'text',
      contentCiphertext: await seal(tenantId, messageId, { body: text }),
      networkTimestamp: at.toISOString(),
      custody: { e2e: false, hostedBy: 'custody' },
    }),
    headers: { 'custody-event-type': 'message.inbound', 'custody-tenant-id': tenantId },
  };
}
