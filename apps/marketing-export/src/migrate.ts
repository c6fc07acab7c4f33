import { migrationCli } from '@custody/database';
import { MIGRATIONS } from './migrations';

migrationCli('marketing-export', 'marketing_export', MIGRATIONS);
