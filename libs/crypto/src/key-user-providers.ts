import { TenantDb } from '@custody/database';
import { FieldCipher } from './field-cipher';
import { CustomerIdentity } from './customer-identity';
import { CustomerIndexKeys, SqlCustomerIndexKeyStore } from './customer-index';
import { DataKeyReceiver } from './key-distribution';
import type { KeyProvider } from './key-provider';
import { SqlDataKeyStore } from './sql-data-key-store';
import { TenantKeyring } from './tenant-keyring';

/**
 * The Nest providers of a service that uses the tenants' data keys tenant-store distributes
 * (ingest, consent): its copy of the wrapped keys (`<schema>.data_keys`), a keyring that unwraps
 * them and never makes a key, the receiver the tenants consumer feeds, and the field cipher; and
 * likewise the tenants' customer index keys (`<schema>.customer_index_keys`) with the
 * CustomerIdentity that turns numbers into references and seals and opens them.
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
      provide: FieldCipher,
      useFactory: (keyring: TenantKeyring) => new FieldCipher(keyring),
      inject: [TenantKeyring],
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
