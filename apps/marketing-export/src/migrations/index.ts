import { Init1764057600000 } from './1764057600000-init';
import { Export1764300000001 } from './1764300000001-export';
import { ConsentCheckpoints1764800000003 } from './1764800000003-consent-checkpoints';
import { OutboxRelayAfter1764900000001 } from '@custody/database';
import { AdsCredentials1764900000015 } from './1764900000015-ads-credentials';
import { Replicas1764900000017 } from './1764900000017-replicas';
import { AuditReads1765000000001 } from './1765000000001-audit-reads';
import { Offboarding1765330000003 } from './1765330000003-offboarding';
import { OffboardingOwnerWrites1765400000080 } from './1765400000080-offboarding-owner-writes';
import { CustomerRefs1765420000015 } from './1765420000015-customer-refs';

export const MIGRATIONS = [
  Init1764057600000,
  Export1764300000001,
  ConsentCheckpoints1764800000003,
  OutboxRelayAfter1764900000001,
  AdsCredentials1764900000015,
  Replicas1764900000017,
  AuditReads1765000000001,
  Offboarding1765330000003,
  OffboardingOwnerWrites1765400000080,
  CustomerRefs1765420000015,
];
