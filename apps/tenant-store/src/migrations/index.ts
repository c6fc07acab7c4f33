import { Tenants1764057600000 } from './1764057600000-tenants';
import { Messages1764061200000 } from './1764061200000-messages';
import { Retention1764064800000 } from './1764064800000-retention';

export const MIGRATIONS = [Tenants1764057600000, Messages1764061200000, Retention1764064800000];
