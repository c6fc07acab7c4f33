import { Init1764057600000 } from './1764057600000-init';

export const MIGRATIONS = [Init1764057600000];
