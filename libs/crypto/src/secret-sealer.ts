import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptionError } from './errors';
import { formatEnvelope, IV_BYTES, parseEnvelope, TAG_BYTES } from './envelope';

/**
 * AES-256-GCM under one key that exactly two services hold, for a secret that must travel
 * between them (e.g. a tenant's ads credential, from tenant-store where the tenant registers it to
 * marketing-export which uses it): the broker and anyone reading the topic see only the envelope.
 * `aad` binds the envelope to its context (tenant, account), so it cannot be replayed elsewhere.
 */
export class SecretSealer {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) {
      throw new Error('a sealing key is 32 bytes');
    }
    this.key = Buffer.from(key);
  }

  /** A key from its base64 (or base64url) text; throws unless it is 32 bytes. */
  static fromBase64(text: string): SecretSealer {
    return new SecretSealer(Buffer.from(text, 'base64'));
  }

  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return formatEnvelope(1, iv, body);
  }

  /** The plaintext; DecryptionError when the envelope is malformed, of another key or of another context. */
  open(sealed: string, aad: string): string {
    const envelope = parseEnvelope(sealed);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, envelope.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(envelope.tag);
      return Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError('authentication-failed', 'the sealed secret does not open with this key and context');
    }
  }
}
