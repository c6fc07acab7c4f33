import { TenantDb } from '@custody/database';
import { ConversationKeyring } from './conversation-keyring';
import { FieldCipher } from './field-cipher';
import { CustomerIdentity } from './customer-identity';
import { CustomerIndexKeys, SqlCustomerIndexKeyStore } from './customer-index';
import { DataKeyReceiver } from './key-distribution';
import type { KeyProvider } from './key-provider';
import { SqlConversationKeyStore } from './sql-conversation-key-store';
import { SqlDataKeyStore } from './sql-data-key-store';
import { TenantKeyring } from './tenant-keyring';

/**
 * The Nest providers of a service that uses the tenants' data keys tenant-store distributes
 * (ingest, consent): its copy of the wrapped keys (`<schema>.data_keys`), a keyring that unwraps
 * them and never makes a key, the receiver the tenants consumer feeds, the conversation keyring
 * (conversation keys from the `custody_keys` store, wrapped under those data keys), and the field
 * cipher over both; and likewise the tenants' customer index keys (`<schema>.customer_index_keys`)
 * with the CustomerIdentity that turns numbers into references and seals and opens them.
 */
export function keyUserProviders(masterKeys: KeyProvider) {
  return [
    { provide: SqlDataKeyStore, useFactory: (db: TenantDb) => new SqlDataKeyStore(db), inject: [TenantDb] },
    {
      provide: TenantKeyring,
      useFactory: (store: SqlDataKeyStore) => new TenantKeyring(store, masterKeys, { createKeys: false }),
      inject: [SqlDataKeyStore],
    },
    {
      provide: DataKeyReceiver,
      useFactory: (store: SqlDataKeyStore, keyring: TenantKeyring) => new DataKeyReceiver(store, keyring),
      inject: [SqlDataKeyStore, TenantKeyring],
    },
    {
      provide: ConversationKeyring,
      useFactory: (db: TenantDb, keyring: TenantKeyring) =>
        new ConversationKeyring(new SqlConversationKeyStore(db), keyring),
      inject: [TenantDb, TenantKeyring],
    },
    {
      provide: FieldCipher,
      useFactory: (keyring: TenantKeyring, conversations: ConversationKeyring) =>
        new FieldCipher(keyring, conversations),
      inject: [TenantKeyring, ConversationKeyring],
    },
    {
      provide: CustomerIndexKeys,
      useFactory: (db: TenantDb) =>
        new CustomerIndexKeys(new SqlCustomerIndexKeyStore(db), masterKeys, { createKeys: false }),
      inject: [TenantDb],
    },
    {
      provide: CustomerIdentity,
      useFactory: (keys: CustomerIndexKeys, cipher: FieldCipher) => new CustomerIdentity(keys, cipher),
      inject: [CustomerIndexKeys, FieldCipher],
    },
  ];
}
