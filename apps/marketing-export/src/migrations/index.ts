import { Init1764057600000 } from './1764057600000-init';
import { Export1764300000001 } from './1764300000001-export';
import { AdsCredentials1764900000015 } from './1764900000015-ads-credentials';
import { Replicas1764900000017 } from './1764900000017-replicas';

export const MIGRATIONS = [Init1764057600000, Export1764300000001, AdsCredentials1764900000015, Replicas1764900000017];
