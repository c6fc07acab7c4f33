/**
 * Errors of @custody/crypto. None of them ever carries key material or plaintext: messages name
 * tenants, key versions, master key ids and file paths only.
 */

/** Why a ciphertext could not be decrypted. */
export type DecryptionFailureReason =
  /** Not a `v1.<version>.<iv>.<ciphertext>` envelope (truncated, re-encoded, not ciphertext at all). */
  | 'malformed'
  /** The tenant has no data key of the envelope's version (e.g. a ciphertext copied from another tenant). */
  | 'unknown-key-version'
  /** The data key was destroyed (crypto-shredded): the ciphertext is unrecoverable by design. */
  | 'key-destroyed'
  /** GCM authentication failed: wrong tenant, message or field (AAD), or the envelope was altered. */
  | 'authentication-failed';

export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';

  constructor(
    readonly reason: DecryptionFailureReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The master key layer failed: a bad or missing key file, an unknown master key id, or a wrapped
 * data key that does not unwrap. An infrastructure fault (a 500), never the caller's.
 */
export class KeyProviderError extends Error {
  override readonly name = 'KeyProviderError';
}

/**
 * The tenant has no data key of that version (or, with `version` null, no active key here: on a
 * service that only receives keys, they have not arrived yet or the tenant is gone).
 */
export class DataKeyNotFoundError extends Error {
  override readonly name = 'DataKeyNotFoundError';

  constructor(
    readonly tenantId: string,
    readonly version: number | null,
  ) {
    super(
      version === null
        ? `tenant ${tenantId} has no active data key here (not distributed yet, or the tenant is gone)`
        : `tenant ${tenantId} has no data key v${version}`,
    );
  }
}

/** A data key (or, with `version` null, every key of the tenant) was destroyed: crypto-shredded. */
export class DataKeyDestroyedError extends Error {
  override readonly name = 'DataKeyDestroyedError';

  constructor(
    readonly tenantId: string,
    readonly version: number | null,
  ) {
    super(
      version === null
        ? `the data keys of tenant ${tenantId} were destroyed: nothing can be encrypted or decrypted for it`
        : `data key v${version} of tenant ${tenantId} was destroyed: its ciphertexts are unrecoverable`,
    );
  }
}

/** A keyring operation that the keys' current state does not allow (e.g. destroying the active key). */
export class KeyringStateError extends Error {
  override readonly name = 'KeyringStateError';
}

/**
 * A decryption failure no retry can fix (the envelope is altered or of another tenant, message or
 * field, or its key was destroyed), as opposed to a key that has not arrived yet (a new version
 * on its way to a service that receives keys): consumers dead-letter the first and retry the other.
 */
export function isPermanentDecryptionError(error: unknown): error is DecryptionError {
  return (
    error instanceof DecryptionError &&
    (error.reason === 'malformed' || error.reason === 'authentication-failed' || error.reason === 'key-destroyed')
  );
}

/** The tenant has no conversation key of that id (a v2 envelope of another tenant or deployment, or forged). */
export class ConversationKeyNotFoundError extends Error {
  override readonly name = 'ConversationKeyNotFoundError';

  constructor(
    readonly tenantId: string,
    readonly keyId: string,
  ) {
    super(`tenant ${tenantId} has no conversation key ${keyId}`);
  }
}

/** A conversation key was destroyed (the customer was erased, or the tenant offboarded): crypto-shredded. */
export class ConversationKeyDestroyedError extends Error {
  override readonly name = 'ConversationKeyDestroyedError';

  constructor(
    readonly tenantId: string,
    readonly keyId: string,
  ) {
    super(`conversation key ${keyId} of tenant ${tenantId} was destroyed: its ciphertexts are unrecoverable`);
  }
}
