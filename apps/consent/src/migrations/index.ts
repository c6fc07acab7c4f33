import { Init1764057600000 } from './1764057600000-init';
import { ConsentLog1764057600001 } from './1764057600001-consent-log';
import { TreeReads1764057600002 } from './1764057600002-tree-reads';
import { CustomerPseudonyms1764400000002 } from './1764400000002-customer-pseudonyms';
import { Checkpoints1764800000001 } from './1764800000001-checkpoints';
import { AuditReads1764800000002 } from './1764800000002-audit-reads';
import { OutboxRelayAfter1764900000001 } from '@custody/database';
import { Replicas1764900000017 } from './1764900000017-replicas';
import { DataKeys1765100000033 } from './1765100000033-data-keys';
import { TreeReadsBinding1765200000001 } from './1765200000001-tree-reads-binding';
import { Offboarding1765330000002 } from './1765330000002-offboarding';
import { OffboardingOwnerWrites1765400000080 } from './1765400000080-offboarding-owner-writes';
import { CustomerIndexKeys1765420000003 } from './1765420000003-customer-index-keys';

export const MIGRATIONS = [
  Init1764057600000,
  ConsentLog1764057600001,
  TreeReads1764057600002,
  CustomerPseudonyms1764400000002,
  Checkpoints1764800000001,
  AuditReads1764800000002,
  OutboxRelayAfter1764900000001,
  Replicas1764900000017,
  DataKeys1765100000033,
  TreeReadsBinding1765200000001,
  Offboarding1765330000002,
  OffboardingOwnerWrites1765400000080,
  CustomerIndexKeys1765420000003,
];
