import { Injectable } from '@nestjs/common';
import { ExportSettings } from '../config/export.settings';
import { isTransientStatus, parseGraphError } from '../domain/graph-error';
import { SendOutcome } from '../domain/isolation';

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
@Injectable()
export class AdsDestinationRepository {
  constructor(private readonly settings: ExportSettings) {}

  addMembers(audienceId: string, hashes: string[], session: AudienceSession): Promise<SendOutcome<AudienceResponse>> {
    return this.call<AudienceResponse>('POST', `${audienceId}/users`, {
      payload: { schema: ['PHONE_SHA256'], data: hashes.map((h) => [h]) },
      session,
    });
  }

  removeMembers(
    audienceId: string,
    hashes: string[],
    session: AudienceSession,
  ): Promise<SendOutcome<AudienceResponse>> {
    return this.call<AudienceResponse>('DELETE', `${audienceId}/users`, {
      payload: { schema: ['PHONE_SHA256'], data: hashes.map((h) => [h]) },
      session,
    });
  }

  sendEvents(datasetId: string, events: ConversionEvent[]): Promise<SendOutcome<EventsResponse>> {
    return this.call<EventsResponse>('POST', `${datasetId}/events`, { data: events });
  }

  private async call<R>(method: 'POST' | 'DELETE', path: string, body: unknown): Promise<SendOutcome<R>> {
    const url = `${this.settings.adsApiUrl}/${this.settings.adsApiVersion}/${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(this.settings.adsApiToken ? { authorization: `Bearer ${this.settings.adsApiToken}` } : {}),
        },
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
