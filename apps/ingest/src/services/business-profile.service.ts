import { HttpStatus, Injectable } from '@nestjs/common';
import { asTenantId } from '@custody/database';
import { BusinessProfile, parseProfileUpdate, PROFILE_FIELDS } from '../domain/business-profile';
import { BusinessProfileRepository } from '../repositories/business-profile.repository';
import { NumberRoute, RoutingRepository } from '../repositories/routing.repository';
import { IngestEnv } from '../config/ingest.env';
import { GraphCodes, GraphError, invalidParameter } from './graph-error';
import { graphPaging, GraphPaging, idOfCursor } from './graph-paging';
import { unknownObject } from './media.service';
import { parseFields } from './template.service';

const PHONE_FIELDS = [
  'id',
  'display_phone_number',
  'verified_name',
  'quality_rating',
  'throughput',
  'platform_type',
  'code_verification_status',
  'name_status',
  'account_mode',
  'status',
] as const;
const DEFAULT_PHONE_FIELDS = ['id', 'display_phone_number', 'verified_name', 'quality_rating'];

export interface NumberPage {
  data: Array<Record<string, unknown>>;
  paging?: GraphPaging;
}

/** A stand-in number, to check a `fields` list before any row is read. */
const PROBE_ROUTE: NumberRoute = {
  phoneNumberId: '0',
  tenantId: asTenantId('00000000-0000-4000-8000-000000000000'),
  businessAccountId: '0',
  displayPhoneNumber: '',
  verifiedName: null,
  status: 'active',
  messagesPerSecond: 80,
};

const NUMBER_ID = /^\d{1,32}$/;

/** What each filterable field is for every Custody number. */
const NUMBER_FILTER_VALUES: Record<string, string> = {
  account_mode: 'LIVE',
  is_official_business_account: 'false',
};

/**
 * The Cloud API's `filtering` parameter, `[{"field": …, "operator": "EQUAL", "value": …}]`: a
 * predicate over numbers. Malformed JSON, another operator or an unknown field is refused.
 */
export function parseNumberFilter(filtering: string | undefined): (n: NumberRoute) => boolean {
  if (filtering === undefined) {
    return () => true;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(filtering);
  } catch {
    throw invalidParameter('filtering must be a JSON array of {field, operator, value}');
  }
  if (!Array.isArray(parsed)) {
    throw invalidParameter('filtering must be a JSON array of {field, operator, value}');
  }
  let all = true;
  for (const item of parsed as unknown[]) {
    const { field, operator, value } = (item ?? {}) as Record<string, unknown>;
    if (typeof field !== 'string' || !(field in NUMBER_FILTER_VALUES)) {
      throw invalidParameter(`filtering: field must be one of ${Object.keys(NUMBER_FILTER_VALUES).join(', ')}`);
    }
    if (operator !== 'EQUAL') {
      throw invalidParameter('filtering: operator must be EQUAL');
    }
    if (typeof value !== 'string' && typeof value !== 'boolean') {
      throw invalidParameter('filtering: value must be a string');
    }
    all &&= String(value).toUpperCase() === NUMBER_FILTER_VALUES[field].toUpperCase();
  }
  return () => all;
}

/**
 * The Cloud API's phone number object (`GET /{phone-number-id}`) and business profile
 * (`GET/POST /{phone-number-id}/whatsapp_business_profile`) of the caller tenant's numbers.
 */
@Injectable()
export class BusinessProfileService {
  constructor(
    private readonly routing: RoutingRepository,
    private readonly profiles: BusinessProfileRepository,
    private readonly env: IngestEnv,
  ) {}

  /** The caller's number, or null when the id is not one of its numbers. */
  async ownNumber(callerTenantId: string, phoneNumberId: string): Promise<NumberRoute | null> {
    const route = await this.routing.routeFor(phoneNumberId);
    return route && route.tenantId === asTenantId(callerTenantId) ? route : null;
  }

  /** The phone number object: the default fields, or those `fields` names (`id` always). */
  phoneNumber(route: NumberRoute, fields: string | undefined): Record<string, unknown> {
    const asked = parseFields(fields);
    const unknown = asked?.find((f) => !(PHONE_FIELDS as readonly string[]).includes(f));
    if (unknown !== undefined) {
      throw invalidParameter(
        `Tried accessing nonexisting field (${unknown}) on node type (WhatsAppBusinessPhoneNumber)`,
      );
    }
    const all: Record<string, unknown> = {
      id: route.phoneNumberId,
      display_phone_number: route.displayPhoneNumber,
      verified_name: route.verifiedName ?? '',
      quality_rating: 'NA',
      throughput: { level: route.messagesPerSecond >= 1000 ? 'HIGH' : 'STANDARD' },
      platform_type: 'CLOUD_API',
      code_verification_status: 'VERIFIED',
      name_status: 'APPROVED',
      account_mode: 'LIVE',
      status: route.status === 'active' ? 'CONNECTED' : 'RESTRICTED',
    };
    const wanted = new Set(['id', ...(asked ?? DEFAULT_PHONE_FIELDS)]);
    return Object.fromEntries(Object.entries(all).filter(([k]) => wanted.has(k)));
  }

  /**
   * `GET /{waba-id}/phone_numbers`: the caller's numbers in one of its business accounts, by id, a
   * page at a time. `filtering` takes the Cloud API's `[{field, operator: "EQUAL", value}]` on
   * `account_mode` (every Custody number is `LIVE`) and `is_official_business_account` (none is);
   * `sort` is refused: Custody keeps no onboarding time per number.
   */
  async listNumbers(
    callerTenantId: string,
    businessAccountId: string,
    query: Record<string, string | undefined>,
    selfUrl: string,
  ): Promise<NumberPage> {
    const tenantId = asTenantId(callerTenantId);
    const limit = query.limit === undefined ? 25 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw invalidParameter('limit must be an integer from 1 to 100');
    }
    const after = query.after === undefined ? undefined : idOfCursor(query.after, NUMBER_ID);
    const before = query.before === undefined ? undefined : idOfCursor(query.before, NUMBER_ID);
    if ((query.after !== undefined && !after) || (query.before !== undefined && !before)) {
      throw invalidParameter('after and before must be cursors from paging.cursors');
    }
    if (query.sort !== undefined) {
      throw invalidParameter('sort is not supported: numbers are listed by id');
    }
    const matches = parseNumberFilter(query.filtering);
    if (parseFields(query.fields)) {
      this.phoneNumber(PROBE_ROUTE, query.fields); // refuses an unknown field before any read
    }
    const numbers = await this.routing.numbersOfAccount(tenantId, businessAccountId);
    if (numbers.length === 0) {
      throw unknownObject('get', businessAccountId); // not an account of the caller's
    }
    // By id, compared as the cursors are (code units, whatever the database's collation).
    const all = numbers.filter(matches).sort((x, y) => (x.phoneNumberId < y.phoneNumberId ? -1 : 1));
    let start: number;
    let end: number;
    if (before !== undefined) {
      const at = all.findIndex((n) => n.phoneNumberId >= before);
      end = at < 0 ? all.length : at;
      start = Math.max(0, end - limit);
    } else {
      const from = after === undefined ? 0 : all.findIndex((n) => n.phoneNumberId > after);
      start = from < 0 ? all.length : from;
      end = Math.min(all.length, start + limit);
    }
    const page = all.slice(start, end);
    const data = page.map((n) => this.phoneNumber(n, query.fields));
    if (page.length === 0) {
      return { data };
    }
    return {
      data,
      paging: graphPaging(
        {
          firstId: page[0].phoneNumberId,
          lastId: page[page.length - 1].phoneNumberId,
          limit,
          hasNext: end < all.length,
          hasPrevious: start > 0,
        },
        selfUrl,
        this.env.PUBLIC_BASE_URL,
      ),
    };
  }

  async getProfile(
    callerTenantId: string,
    phoneNumberId: string,
    fields: string | undefined,
  ): Promise<{ data: Array<BusinessProfile & { messaging_product: 'whatsapp' }> }> {
    const route = await this.ownNumber(callerTenantId, phoneNumberId);
    if (!route) {
      throw unknownObject('get', phoneNumberId);
    }
    const asked = parseFields(fields);
    const unknown = asked?.find(
      (f) => !(PROFILE_FIELDS as readonly string[]).includes(f) && f !== 'profile_picture_url',
    );
    if (unknown !== undefined) {
      throw invalidParameter(`Tried accessing nonexisting field (${unknown}) on node type (WhatsAppBusinessProfile)`);
    }
    const profile = await this.profiles.find(route.tenantId, phoneNumberId);
    const shown = asked
      ? Object.fromEntries(Object.entries(profile).filter(([k]) => asked.includes(k)))
      : (profile as Record<string, unknown>);
    return { data: [{ ...shown, messaging_product: 'whatsapp' }] };
  }

  async updateProfile(callerTenantId: string, phoneNumberId: string, body: unknown): Promise<{ success: true }> {
    const route = await this.ownNumber(callerTenantId, phoneNumberId);
    if (!route) {
      throw unknownObject('post', phoneNumberId);
    }
    if (route.status !== 'active') {
      throw new GraphError(
        HttpStatus.FORBIDDEN,
        GraphCodes.AccountLocked,
        'Account has been locked',
        'The tenant is suspended',
      );
    }
    const parsed = parseProfileUpdate(body);
    if (!parsed.ok) {
      throw invalidParameter(parsed.details);
    }
    await this.profiles.update(route.tenantId, phoneNumberId, parsed.profile);
    return { success: true };
  }
}
