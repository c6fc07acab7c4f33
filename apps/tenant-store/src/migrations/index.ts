import { Tenants1764057600000 } from './1764057600000-tenants';

export const MIGRATIONS = [Tenants1764057600000];
