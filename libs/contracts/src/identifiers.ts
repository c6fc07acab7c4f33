/**
 * The shapes of the network's identifiers, shared by the event schemas and the apps' DTOs so a
 * value accepted at one edge is accepted everywhere else.
 */

/** A message id on the network (`wamid.` and 8-200 URL-safe characters). */
export const WAMID_PATTERN = /^wamid\.[A-Za-z0-9_=-]{8,200}$/;

/** A customer's WhatsApp id: the digits of the phone number. */
export const WA_ID_PATTERN = /^\d{6,20}$/;

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
