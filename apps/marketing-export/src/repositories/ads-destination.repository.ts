import { Injectable } from '@nestjs/common';
import { TenantId } from '@custody/database';
import { ExportSettings } from '../config/export.settings';
import { isTransientStatus, parseGraphError } from '../domain/graph-error';
import { SendOutcome } from '../domain/isolation';
import { AdsCredentialRepository } from './ads-credential.repository';

export interface AudienceSession {
  session_id: number;
  batch_seq: number;
  last_batch_flag: boolean;
  estimated_num_total?: number;
}

export interface AudienceResponse {
  audience_id: string;
  session_id: number;
  num_received: number;
  num_invalid_entries: number;
  invalid_entry_samples?: unknown;
}

/** One conversion event as the conversions API takes it (business messaging over WhatsApp). */
export interface ConversionEvent {
  event_name: string;
  event_time: number;
  event_id: string;
  action_source: 'business_messaging';
  messaging_channel: 'whatsapp';
  user_data: { ph: string[]; ctwa_clid?: string; whatsapp_business_account_id?: string };
  custom_data?: Record<string, unknown>;
}

export interface EventsResponse {
  events_received: number;
  fbtrace_id?: string;
}

/**
 * HTTP to the ads destination (a Graph-style API: the sandbox on one machine, Meta's in
 * production). Every call returns an outcome, never throws: 429, 5xx, timeouts and connection
 * errors are transient; other 4xx are permanent for that batch, with the index of the bad item
 * when the destination names one.
 */
/** Whose destination a call is for: it is made with that tenant's token for that ad account. */
export interface AdsAccountRef {
  tenantId: TenantId;
  adAccountId: string;
}

@Injectable()
export class AdsDestinationRepository {
  constructor(
    private readonly settings: ExportSettings,
    private readonly credentials: AdsCredentialRepository,
  ) {}

  addMembers(
    account: AdsAccountRef,
    audienceId: string,
    hashes: string[],
    session: AudienceSession,
  ): Promise<SendOutcome<AudienceResponse>> {
    return this.call<AudienceResponse>(account, 'POST', `${audienceId}/users`, {
      payload: { schema: ['PHONE_SHA256'], data: hashes.map((h) => [h]) },
      session,
    });
  }

  removeMembers(
    account: AdsAccountRef,
    audienceId: string,
    hashes: string[],
    session: AudienceSession,
  ): Promise<SendOutcome<AudienceResponse>> {
    return this.call<AudienceResponse>(account, 'DELETE', `${audienceId}/users`, {
      payload: { schema: ['PHONE_SHA256'], data: hashes.map((h) => [h]) },
      session,
    });
  }

  sendEvents(
    account: AdsAccountRef,
    datasetId: string,
    events: ConversionEvent[],
  ): Promise<SendOutcome<EventsResponse>> {
    return this.call<EventsResponse>(account, 'POST', `${datasetId}/events`, { data: events });
  }

  private async call<R>(
    account: AdsAccountRef,
    method: 'POST' | 'DELETE',
    path: string,
    body: unknown,
  ): Promise<SendOutcome<R>> {
    const token = await this.credentials.token(account.tenantId, account.adAccountId);
    if (!token) {
      // Transient: the tenant may register (again) a token; the record gives up after its attempts.
      return {
        ok: false,
        transient: true,
        error: { status: null, message: `no ads credential of the tenant for ${account.adAccountId}` },
      };
    }
    const url = `${this.settings.adsApiUrl}/${this.settings.adsApiVersion}/${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.adsTimeoutMs),
      });
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { ok: false, transient: true, error: { status: null, message: message.slice(0, 500) } };
    }
    let parsed: unknown;
    try {
      const text = await res.text();
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (res.ok) {
      return { ok: true, response: parsed as R };
    }
    const { error, index } = parseGraphError(res.status, parsed);
    if (isTransientStatus(res.status)) {
      return { ok: false, transient: true, error };
    }
    return index === undefined ? { ok: false, transient: false, error } : { ok: false, transient: false, error, index };
  }
}
