import { Tenants1764057600000 } from './1764057600000-tenants';
import { Messages1764061200000 } from './1764061200000-messages';
import { Retention1764064800000 } from './1764064800000-retention';
import { MarketingAuthorization1764200000001 } from './1764200000001-marketing-authorization';
import { Erasure1764400000001 } from './1764400000001-erasure';
import { Media1764400000003 } from './1764400000003-media';
import { AuditorCredentials1764800000002 } from './1764800000002-auditor-credentials';
import { OutboxRelayAfter1764900000001 } from '@custody/database';
import { MessagesFillfactor1764900000002 } from './1764900000002-messages-fillfactor';
import { AdsCredentials1764900000015 } from './1764900000015-ads-credentials';
import { OperatorAccessLog1764900000016 } from './1764900000016-operator-access-log';
import { Replicas1764900000017 } from './1764900000017-replicas';
import { KeyDistribution1765100000031 } from './1765100000031-key-distribution';
import { Offboardings1765330000001 } from './1765330000001-offboardings';
import { OffboardingOwnerWrites1765400000080 } from './1765400000080-offboarding-owner-writes';
import { CustomerIndexKeys1765420000001 } from './1765420000001-customer-index-keys';
import { CustomerRefs1765420000011 } from './1765420000011-customer-refs';

export const MIGRATIONS = [
  Tenants1764057600000,
  Messages1764061200000,
  Retention1764064800000,
  MarketingAuthorization1764200000001,
  Erasure1764400000001,
  Media1764400000003,
  AuditorCredentials1764800000002,
  OutboxRelayAfter1764900000001,
  MessagesFillfactor1764900000002,
  AdsCredentials1764900000015,
  OperatorAccessLog1764900000016,
  Replicas1764900000017,
  KeyDistribution1765100000031,
  Offboardings1765330000001,
  OffboardingOwnerWrites1765400000080,
  CustomerIndexKeys1765420000001,
  CustomerRefs1765420000011,
];
