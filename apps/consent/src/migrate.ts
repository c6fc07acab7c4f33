import { conversationKeyStoreSql } from '@custody/crypto';
import { migrationCli } from '@custody/database';
import { MIGRATIONS } from './migrations';

// The conversation key store (custody_keys): consent seals and opens message content under conversation keys; its app role gets those functions only.
migrationCli('consent', 'consent', MIGRATIONS, ({ appRole }) => conversationKeyStoreSql([appRole], 'use'));
