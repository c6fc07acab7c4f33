import { createCipheriv, createDecipheriv, KeyObject } from 'node:crypto';
import type { TenantId } from '@custody/database';
import type { ConversationKeyring } from './conversation-keyring';
import {
  Envelope,
  formatConversationEnvelope,
  formatEnvelope,
  isConversationEnvelope,
  IV_BYTES,
  parseEnvelope,
  TAG_BYTES,
} from './envelope';
import {
  ConversationKeyDestroyedError,
  ConversationKeyNotFoundError,
  DataKeyDestroyedError,
  DataKeyNotFoundError,
  DecryptionError,
  KeyringStateError,
} from './errors';
import { IvPool } from './iv-pool';
import type { SqlQueryable } from './sql-data-key-store';
import { TenantKeyring } from './tenant-keyring';

/** Where a ciphertext belongs: it decrypts only for the same tenant, message and field. */
export interface FieldAad {
  messageId: string;
  /** The column or attribute, e.g. `body`, `media_ref`. */
  field: string;
}

/**
 * The associated data: the envelope format, tenant, message, field and key version, as a JSON
 * array (unambiguous whatever characters the ids hold).
 */
export function fieldAad(tenantId: string, keyVersion: number, aad: FieldAad): Buffer {
  return Buffer.from(JSON.stringify(['custody.field.v1', tenantId, aad.messageId, aad.field, keyVersion]), 'utf8');
}

/** v2: sealed under a conversation key, which the envelope names; the key id replaces the version. */
export function conversationFieldAad(tenantId: string, keyId: string, aad: FieldAad): Buffer {
  return Buffer.from(JSON.stringify(['custody.field.v2', tenantId, keyId, aad.messageId, aad.field]), 'utf8');
}

/** Seal under the conversation's key (v2 envelope) instead of the tenant's data key: erasing the customer destroys it. */
export interface ConversationScope {
  conversationId: string;
}

function checkAad(aad: FieldAad): void {
  if (typeof aad?.messageId !== 'string' || aad.messageId === '' || typeof aad.field !== 'string' || aad.field === '') {
    throw new TypeError('aad needs a non-empty messageId and field');
  }
}

/**
 * Encrypts fields at rest: AES-256-GCM under the tenant's active data key, a fresh random 96-bit
 * IV per value, and the tenant, message and field as associated data. The result is a compact,
 * self-describing string `v1.<keyVersion>.<iv>.<ciphertext+tag>` (base64url) for a text column.
 */
export class FieldCipher {
  private readonly ivs = new IvPool(IV_BYTES);

  /** Without `conversationKeys`, it seals only under tenant keys and opens only v1 envelopes. */
  constructor(
    private readonly keyring: TenantKeyring,
    private readonly conversationKeys?: ConversationKeyring,
  ) {}

  /**
   * Seals under the tenant's active data key (`v1.<version>…`), or, with a conversation scope,
   * under the conversation's current key (`v2.<key id>…`).
   */
  async encrypt(
    tenantId: TenantId,
    plaintext: string | Buffer,
    aad: FieldAad,
    scope?: ConversationScope,
  ): Promise<string> {
    checkAad(aad);
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    if (scope !== undefined) {
      if (!this.conversationKeys) {
        throw new KeyringStateError('this cipher has no conversation keyring: it cannot seal under a conversation key');
      }
      const { keyId, key } = await this.conversationKeys.currentKey(tenantId, scope.conversationId);
      const iv = this.ivs.next();
      return formatConversationEnvelope(keyId, iv, seal(key, iv, conversationFieldAad(tenantId, keyId, aad), data));
    }
    const { version, key } = await this.keyring.activeKey(tenantId);
    const iv = this.ivs.next();
    return formatEnvelope(version, iv, seal(key, iv, fieldAad(tenantId, version, aad), data));
  }

  /**
   * Throws DecryptionError (with a `reason`) when the envelope is malformed, its key version is
   * unknown or destroyed, or it does not authenticate for this tenant, message and field.
   */
  async decrypt(tenantId: TenantId, envelope: string, aad: FieldAad): Promise<Buffer> {
    checkAad(aad);
    const parsed = parseEnvelope(envelope);
    if (parsed.conversationKeyId !== undefined) {
      return this.decryptConversation(tenantId, parsed, aad);
    }
    const where = `field "${aad.field}" of message ${aad.messageId} (tenant ${tenantId}, key v${parsed.keyVersion})`;
    let key;
    try {
      key = (await this.keyring.keyByVersion(tenantId, parsed.keyVersion)).key;
    } catch (error) {
      if (error instanceof DataKeyNotFoundError) {
        throw new DecryptionError('unknown-key-version', `cannot decrypt ${where}: the tenant has no such key`, {
          cause: error,
        });
      }
      if (error instanceof DataKeyDestroyedError) {
        throw new DecryptionError('key-destroyed', `cannot decrypt ${where}: the key was destroyed`, { cause: error });
      }
      throw error;
    }
    return open(key, parsed, fieldAad(tenantId, parsed.keyVersion, aad), where);
  }

  private async decryptConversation(tenantId: TenantId, parsed: Envelope, aad: FieldAad): Promise<Buffer> {
    const keyId = parsed.conversationKeyId!;
    const where = `field "${aad.field}" of message ${aad.messageId} (tenant ${tenantId}, conversation key ${keyId})`;
    if (!this.conversationKeys) {
      throw new DecryptionError(
        'unknown-key-version',
        `cannot decrypt ${where}: this service has no conversation keys`,
      );
    }
    let key;
    try {
      key = (await this.conversationKeys.keyById(tenantId, keyId)).key;
    } catch (error) {
      if (error instanceof ConversationKeyNotFoundError || error instanceof DataKeyNotFoundError) {
        throw new DecryptionError('unknown-key-version', `cannot decrypt ${where}: the tenant has no such key`, {
          cause: error,
        });
      }
      if (error instanceof ConversationKeyDestroyedError) {
        throw new DecryptionError('key-destroyed', `cannot decrypt ${where}: the key was destroyed`, { cause: error });
      }
      throw error;
    }
    return open(key, parsed, conversationFieldAad(tenantId, keyId, aad), where);
  }

  async decryptString(tenantId: TenantId, envelope: string, aad: FieldAad): Promise<string> {
    return (await this.decrypt(tenantId, envelope, aad)).toString('utf8');
  }

  /**
   * Loads the conversation keys these envelopes were sealed with (v2 ones; others are ignored)
   * in one call, so that sealing more under them (or opening them) needs no call per envelope.
   */
  async prefetchConversationKeys(
    tenantId: TenantId,
    envelopes: readonly string[],
    within?: SqlQueryable,
  ): Promise<void> {
    if (!this.conversationKeys) {
      return;
    }
    const ids: string[] = [];
    for (const envelope of envelopes) {
      if (isConversationEnvelope(envelope)) {
        try {
          ids.push(parseEnvelope(envelope).conversationKeyId!);
        } catch {
          // Malformed: opening it reports that, not the prefetch.
        }
      }
    }
    await this.conversationKeys.prefetch(tenantId, ids, within);
  }

  /** A JSON value as one envelope (e.g. a message's whole content object, under its conversation's key). */
  encryptJson(tenantId: TenantId, value: unknown, aad: FieldAad, scope?: ConversationScope): Promise<string> {
    return this.encrypt(tenantId, JSON.stringify(value), aad, scope);
  }

  /** The JSON value of an envelope written by `encryptJson`; DecryptionError('malformed') if it is not JSON. */
  async decryptJson<T = unknown>(tenantId: TenantId, envelope: string, aad: FieldAad): Promise<T> {
    const text = await this.decryptString(tenantId, envelope, aad);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new DecryptionError('malformed', `field "${aad.field}" of ${aad.messageId} does not hold JSON`);
    }
  }

  /** The version new writes of the tenant use (`fresh` skips the cache: the re-encryption job wants the truth). */
  async activeVersion(tenantId: TenantId, options: { fresh?: boolean } = {}): Promise<number> {
    return (await this.keyring.activeKey(tenantId, options)).version;
  }
}

function seal(key: KeyObject, iv: Buffer, aad: Buffer, data: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]);
}

function open(key: KeyObject, parsed: Envelope, aad: Buffer, where: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, parsed.iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(parsed.tag);
  try {
    return Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]);
  } catch {
    throw new DecryptionError(
      'authentication-failed',
      `cannot decrypt ${where}: it belongs to another tenant, message or field, or it was altered`,
    );
  }
}
