import { Injectable } from '@nestjs/common';
import { MarketingAuthorizedEvent, MarketingCandidate } from '@custody/contracts';
import { asTenantId, TenantId } from '@custody/database';
import { AdsCredentialRepository } from '../repositories/ads-credential.repository';
import { ExportRepository, NewRecord } from '../repositories/export.repository';
import { ExportWorker } from './export-worker.service';

/**
 * Takes `marketing.authorized` events: authorization states (latest version wins) and candidates,
 * stored once per (tenant, destination, message) for the sender, which decides at send time.
 * Nothing is decided here: a candidate is only a request to consider the record.
 */
@Injectable()
export class CandidateService {
  constructor(
    private readonly records: ExportRepository,
    private readonly credentials: AdsCredentialRepository,
    private readonly worker: ExportWorker,
  ) {}

  async handle(events: MarketingAuthorizedEvent[]): Promise<void> {
    const byTenant = new Map<TenantId, MarketingAuthorizedEvent[]>();
    for (const e of events) {
      const tenantId = asTenantId(e.tenantId);
      byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), e]);
    }
    let stored = 0;
    for (const [tenantId, list] of byTenant) {
      const states = list.flatMap((e) =>
        e.type === 'marketing.authorization' && e.authorization ? [e.authorization] : [],
      );
      if (states.length > 0) {
        await this.records.upsertAuthorizations(
          tenantId,
          states.map((s) => ({
            authorizationId: s.authorizationId,
            version: s.version,
            status: s.status,
            destinationId: s.destination.destinationId,
            destinationKind: s.destination.kind,
            dataUses: s.dataUses,
          })),
        );
      }
      const credentials = list.flatMap((e) =>
        e.type === 'marketing.ads_credential' && e.adsCredential ? [e.adsCredential] : [],
      );
      if (credentials.length > 0) {
        await this.credentials.apply(tenantId, credentials);
      }
      const records = list.flatMap((e) =>
        e.type === 'marketing.candidate' && e.candidate ? toRecords(e.candidate) : [],
      );
      stored += await this.records.insert(tenantId, records);
    }
    if (stored > 0) {
      this.worker.wake();
    }
  }
}

/**
 * The record a candidate asks for: audience membership of the customer, or (for a customer's own
 * message) a conversion event. Business messages are not conversions and a destination without
 * its target id cannot be sent to: neither becomes a record.
 */
export function toRecords(c: MarketingCandidate): NewRecord[] {
  const d = c.destination;
  const base = {
    destinationId: d.destinationId,
    destinationKind: d.kind,
    adAccountId: d.adAccountId,
    recordKey: c.messageId,
    authorizationId: c.authorizationId,
    authorizationVersion: c.authorizationVersion,
    dataUses: c.dataUses,
    messageId: c.messageId,
    conversationId: c.conversationId,
    customerRef: c.customer.ref,
    // The match key comes computed (tenant-store opens the number; marketing-export holds no keys).
    memberHash: c.customer.memberHash ?? null,
    eventTime: c.networkTimestamp,
    ctwaClid: c.referral?.ctwaClid ?? null,
  };
  if (d.kind === 'customer_list_audience' && d.audienceId) {
    return [{ ...base, targetId: d.audienceId, operation: 'add', ctwaClid: null }];
  }
  if (d.kind === 'conversions_dataset' && d.datasetId && c.origin === 'customer') {
    return [{ ...base, targetId: d.datasetId, operation: 'event' }];
  }
  return [];
}
