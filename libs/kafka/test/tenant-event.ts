import { randomUUID } from 'node:crypto';
import { TenantChangedEvent } from '@custody/contracts';
import { uniqueDigits } from '@custody/testing';

/** A valid `tenant.changed` event of the tenant, with a fresh event id (the kafka tests' test event). */
export function tenantEvent(tenantId: string): TenantChangedEvent {
  return {
    eventId: `test:${randomUUID()}`,
    type: 'tenant.changed',
    tenantId,
    occurredAt: new Date().toISOString(),
    businessAccountId: uniqueDigits(12),
    status: 'active',
    phoneNumbers: [{ phoneNumberId: uniqueDigits(12), displayPhoneNumber: '+15550001234' }],
  };
}
