import { createHash } from 'node:crypto';

/**
 * The shapes of the network's identifiers, shared by the event schemas and the apps' DTOs so a
 * value accepted at one edge is accepted everywhere else.
 */

/** A message id on the network (`wamid.` and 8-200 URL-safe characters). */
export const WAMID_PATTERN = /^wamid\.[A-Za-z0-9_=-]{8,200}$/;

/** A customer's WhatsApp id: the digits of the phone number. */
export const WA_ID_PATTERN = /^\d{6,20}$/;

/**
 * A customer reference: the keyed blind index of a customer's wa_id (HMAC-SHA256 under the
 * tenant's customer index key, base64url). Stable per tenant and customer, meaningless without
 * the key: what events, Kafka keys and tables use to name a customer instead of the number.
 */
export const CUSTOMER_REF_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A numeric Graph object id: phone number id, business account id, audience or dataset id. */
export const GRAPH_ID_PATTERN = /^\d{1,32}$/;

/** A Meta-style ad account id (`act_<digits>`). */
export const AD_ACCOUNT_ID_PATTERN = /^act_\d{1,32}$/;

/** A SHA-256 digest as 64 lower-case hex digits. */
export const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/;

/** A language tag of a wording: `en`, `fr`, `pt-BR`. */
export const LANGUAGE_PATTERN = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/;

/**
 * A ciphertext envelope of @custody/crypto: `v1.<key version>.<base64url IV>.<base64url
 * ciphertext+tag>` (AES-256-GCM under a tenant's data key) or `v2.<base64url conversation key
 * id>.<IV>.<ciphertext+tag>` (under a conversation's key, wrapped under the tenant's data key; a
 * customer's erasure destroys it). Fields of this shape carry customer content or secrets and are
 * never in clear on a topic.
 */
export const CIPHERTEXT_PATTERN =
  /^(v1\.[1-9][0-9]{0,8}|v2\.[A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$/;

/**
 * The ads platforms' match key of a customer's WhatsApp id (`PHONE_SHA256` of customer-list
 * audiences, `user_data.ph` of the Conversions API): the number normalized (digits, no leading
 * zeros, with the country code, 7-15 digits: a wa_id already is) then SHA-256, lowercase hex. Null
 * when the id cannot be a phone number. tenant-store computes it where it opens the number, so
 * marketing-export never needs the number (it has no keys).
 */
export function adsPhoneHash(waId: string): string | null {
  const digits = String(waId).replace(/\D/g, '').replace(/^0+/, '');
  if (digits.length < 7 || digits.length > 15) {
    return null;
  }
  return createHash('sha256').update(digits, 'utf8').digest('hex');
}
