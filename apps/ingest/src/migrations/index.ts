import { Init1764057600000 } from './1764057600000-init';
import { Replicas1764600000001 } from './1764600000001-replicas';
import { OutboxRelayAfter1764900000001 } from '@custody/database';
import { WebhookPayloadAfterDelivery1764900000002 } from './1764900000002-webhook-payload-after-delivery';
import { DataKeys1765100000032 } from './1765100000032-data-keys';
import { Retention1765200000040 } from './1765200000040-retention';
import { Media1765200000041 } from './1765200000041-media';
import { InboundMessages1765200000042 } from './1765200000042-inbound-messages';
import { MessageTemplates1765300000050 } from './1765300000050-message-templates';
import { InboundMedia1765300000051 } from './1765300000051-inbound-media';
import { BusinessProfiles1765300000052 } from './1765300000052-business-profiles';
import { OffboardedTenants1765330000004 } from './1765330000004-offboarded-tenants';
import { TemplateEdits1765400000060 } from './1765400000060-template-edits';
import { WebhookSubscription1765400000061 } from './1765400000061-webhook-subscription';
import { OffboardingOwnerWrites1765400000080 } from './1765400000080-offboarding-owner-writes';
import { CustomerIndexKeys1765420000002 } from './1765420000002-customer-index-keys';
import { CustomerRefs1765420000013 } from './1765420000013-customer-refs';

export const MIGRATIONS = [
  Init1764057600000,
  Replicas1764600000001,
  OutboxRelayAfter1764900000001,
  WebhookPayloadAfterDelivery1764900000002,
  DataKeys1765100000032,
  Retention1765200000040,
  Media1765200000041,
  InboundMessages1765200000042,
  MessageTemplates1765300000050,
  InboundMedia1765300000051,
  BusinessProfiles1765300000052,
  OffboardedTenants1765330000004,
  TemplateEdits1765400000060,
  WebhookSubscription1765400000061,
  OffboardingOwnerWrites1765400000080,
  CustomerIndexKeys1765420000002,
  CustomerRefs1765420000013,
];
