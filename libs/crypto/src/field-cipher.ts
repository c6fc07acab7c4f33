import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { TenantId } from '@custody/database';
import { formatEnvelope, IV_BYTES, parseEnvelope, TAG_BYTES } from './envelope';
import { DataKeyDestroyedError, DataKeyNotFoundError, DecryptionError } from './errors';
import { IvPool } from './iv-pool';
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

  constructor(private readonly keyring: TenantKeyring) {}

  async encrypt(tenantId: TenantId, plaintext: string | Buffer, aad: FieldAad): Promise<string> {
    checkAad(aad);
    const { version, key } = await this.keyring.activeKey(tenantId);
    const iv = this.ivs.next();
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(fieldAad(tenantId, version, aad));
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    return formatEnvelope(version, iv, Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]));
  }

  /**
   * Throws DecryptionError (with a `reason`) when the envelope is malformed, its key version is
   * unknown or destroyed, or it does not authenticate for this tenant, message and field.
   */
  async decrypt(tenantId: TenantId, envelope: string, aad: FieldAad): Promise<Buffer> {
    checkAad(aad);
    const parsed = parseEnvelope(envelope);
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
    const decipher = createDecipheriv('aes-256-gcm', key, parsed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(fieldAad(tenantId, parsed.keyVersion, aad));
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

  async decryptString(tenantId: TenantId, envelope: string, aad: FieldAad): Promise<string> {
    return (await this.decrypt(tenantId, envelope, aad)).toString('utf8');
  }

  /** A JSON value as one envelope (e.g. a message's whole content object). */
  encryptJson(tenantId: TenantId, value: unknown, aad: FieldAad): Promise<string> {
    return this.encrypt(tenantId, JSON.stringify(value), aad);
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
