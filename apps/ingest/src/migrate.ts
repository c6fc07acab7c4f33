import { migrationCli } from '@custody/database';
import { MIGRATIONS } from './migrations';

migrationCli('ingest', 'ingest', MIGRATIONS);
