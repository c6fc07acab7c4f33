import { conversationKeyStoreSql } from '@custody/crypto';
import { migrationCli } from '@custody/database';
import { MIGRATIONS } from './migrations';

// The conversation key store (custody_keys): tenant-store owns the keys (destroys and rewraps them); its app role gets those functions only.
migrationCli('tenant-store', 'tenant_store', MIGRATIONS, ({ appRole }) => conversationKeyStoreSql([appRole], 'own'));
