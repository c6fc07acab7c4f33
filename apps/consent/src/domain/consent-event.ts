import { ConsentChangedEvent, consentEventKey } from '@custody/contracts';
import { encodeHash } from '@custody/transparency-log';
import { ChangeEntry } from './log-entry';

/** The compacted-topic event for a grant or revoke entry (its id is the entry's id). */
export function consentChangedEvent(
  entry: ChangeEntry,
  customerRef: string,
  leaf: Buffer,
): { key: string; event: ConsentChangedEvent } {
  const event: ConsentChangedEvent = {
    eventId: entry.id,
    type: entry.kind,
    tenantId: entry.tenant,
    occurredAt: entry.recordedAt,
    subject: entry.subject,
    customer: { ref: customerRef },
    purpose: { ...entry.purpose },
    status: entry.kind === 'consent.granted' ? 'granted' : 'revoked',
    method: entry.method,
    logIndex: entry.index,
    leafHash: encodeHash(leaf),
    effectiveAt: entry.occurredAt,
  };
  return { key: consentEventKey(entry.tenant, entry.subject, entry.purpose.key), event };
}
