import { HttpStatus, Injectable } from '@nestjs/common';
import { asTenantId } from '@custody/database';
import { BusinessProfile, parseProfileUpdate, PROFILE_FIELDS } from '../domain/business-profile';
import { BusinessProfileRepository } from '../repositories/business-profile.repository';
import { NumberRoute, RoutingRepository } from '../repositories/routing.repository';
import { GraphCodes, GraphError, invalidParameter } from './graph-error';
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

/**
 * The Cloud API's phone number object (`GET /{phone-number-id}`) and business profile
 * (`GET/POST /{phone-number-id}/whatsapp_business_profile`) of the caller tenant's numbers.
 */
@Injectable()
export class BusinessProfileService {
  constructor(
    private readonly routing: RoutingRepository,
    private readonly profiles: BusinessProfileRepository,
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
