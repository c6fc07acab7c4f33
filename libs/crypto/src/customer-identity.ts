import { createHmac, KeyObject, timingSafeEqual } from 'node:crypto';
import type { TenantId } from '@custody/database';
import type { CustomerIndexKeys } from './customer-index';
import { DecryptionError } from './errors';
import type { FieldAad, FieldCipher } from './field-cipher';

const REF_DOMAIN = 'custody.customer-ref.v1\u0000';
const WA_ID = /^\d{6,20}$/;

/** A customer reference: 43 base64url characters (HMAC-SHA256). */
export const CUSTOMER_REF_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The associated data of a customer's sealed number: bound to the tenant (by the cipher) and to
 * the customer's reference, so a sealed number copied to another customer's row or event does not
 * open. Not bound to a message or row: the same envelope travels from the edge into every store.
 */
export function customerNumberAad(customerRef: string): FieldAad {
  return { messageId: customerRef, field: 'customer_wa_id' };
}

/** The blind index of a wa_id under a tenant's index key (no key lookup: for a caller holding the key). */
export function customerRefWith(key: KeyObject, tenantId: string, waId: string): string {
  return createHmac('sha256', key)
    .update(`${REF_DOMAIN}${tenantId.toLowerCase()}\u0000${waId}`, 'utf8')
    .digest('base64url');
}

/** A customer's number as events and rows carry it: the keyed reference and the sealed number. */
export interface IdentifiedCustomer {
  /** The keyed blind index (lookups, joins, Kafka keys, conversation ids). */
  ref: string;
  /** CIPHERTEXT: the wa_id, sealed under the tenant's data key (`customerNumberAad(ref)`). */
  waIdCiphertext: string;
}

/**
 * A customer's phone number (wa_id) as Custody keeps it: never in clear at rest. Lookups, joins
 * and Kafka keys use a keyed blind index (`ref`: HMAC-SHA256 under the tenant's customer index
 * key), and the number itself travels and rests only sealed under the tenant's data key, opened by
 * the code that must show or dial it. The only place numbers are turned into refs or sealed and
 * opened, so how a number is protected is decided here and nowhere else.
 */
export class CustomerIdentity {
  constructor(
    private readonly indexKeys: CustomerIndexKeys,
    private readonly cipher: FieldCipher,
  ) {}

  /** The customer's reference. `waId` must be the normalized wa_id (6-20 digits). */
  async ref(tenantId: TenantId, waId: string): Promise<string> {
    checkWaId(waId);
    return customerRefWith(await this.indexKeys.key(tenantId), tenantId, waId);
  }

  /**
   * The reference and the sealed number of a customer (one HMAC and one AES-GCM). With
   * `conversationOf` (the conversation the number travels in, from the reference), the number is
   * sealed under that conversation's key, so erasing the customer shreds it with the content;
   * without, under the tenant's data key.
   */
  async identify(
    tenantId: TenantId,
    waId: string,
    conversationOf?: (ref: string) => string,
  ): Promise<IdentifiedCustomer> {
    const ref = await this.ref(tenantId, waId);
    const scope = conversationOf ? { conversationId: conversationOf(ref) } : undefined;
    return { ref, waIdCiphertext: await this.cipher.encrypt(tenantId, waId, customerNumberAad(ref), scope) };
  }

  /**
   * The wa_id of a sealed number, or null when its key was destroyed (the customer was erased, or
   * the number was sealed with a key a replica still had cached after that): there is no number to show.
   */
  async openIfKept(tenantId: TenantId, ref: string, waIdCiphertext: string): Promise<string | null> {
    try {
      return await this.open(tenantId, ref, waIdCiphertext);
    } catch (error) {
      if (error instanceof DecryptionError && error.reason === 'key-destroyed') {
        return null;
      }
      throw error;
    }
  }

  /** Seals the number again under the active data key (re-encryption after a rotation). */
  async reseal(tenantId: TenantId, ref: string, waIdCiphertext: string): Promise<string> {
    const waId = await this.open(tenantId, ref, waIdCiphertext);
    return this.cipher.encrypt(tenantId, waId, customerNumberAad(ref));
  }

  /**
   * The wa_id of a sealed number. Throws DecryptionError when it does not open for this tenant
   * and reference (another customer's envelope, or a destroyed key).
   */
  async open(tenantId: TenantId, ref: string, waIdCiphertext: string): Promise<string> {
    return this.cipher.decryptString(tenantId, waIdCiphertext, customerNumberAad(ref));
  }

  /**
   * Other values that name the customer (e.g. a send's `contacts`, the number as the business
   * typed it) sealed as JSON, bound to the tenant, the reference and `field`.
   */
  sealJson(tenantId: TenantId, ref: string, value: unknown, field = 'customer_contacts'): Promise<string> {
    return this.cipher.encryptJson(tenantId, value, { messageId: ref, field });
  }

  openJson<T>(tenantId: TenantId, ref: string, envelope: string, field = 'customer_contacts'): Promise<T> {
    return this.cipher.decryptJson<T>(tenantId, envelope, { messageId: ref, field });
  }

  /** Whether a reference is this wa_id's (constant time). */
  async matches(tenantId: TenantId, ref: string, waId: string): Promise<boolean> {
    const expected = Buffer.from(await this.ref(tenantId, waId));
    const given = Buffer.from(ref);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

function checkWaId(waId: string): void {
  if (typeof waId !== 'string' || !WA_ID.test(waId)) {
    throw new TypeError('a wa_id is 6-20 digits (normalize the number first)');
  }
}
