import { migrationCli } from '@custody/database';
import { MIGRATIONS } from './migrations';

migrationCli('tenant-store', 'tenant_store', MIGRATIONS);
