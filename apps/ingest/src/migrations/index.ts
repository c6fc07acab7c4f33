import { Init1764057600000 } from './1764057600000-init';
import { Replicas1764600000001 } from './1764600000001-replicas';

export const MIGRATIONS = [Init1764057600000, Replicas1764600000001];
