import { migrationCli } from '@custody/database';
import { MIGRATIONS } from './migrations';

migrationCli('consent', 'consent', MIGRATIONS);
