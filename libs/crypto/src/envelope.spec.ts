import { randomBytes } from 'node:crypto';
import {
  encodeKeyId,
  envelopeKeyVersionSql,
  formatConversationEnvelope,
  formatEnvelope,
  isConversationEnvelope,
  isEnvelope,
  keyVersionOf,
  parseEnvelope,
} from './envelope';
import { DecryptionError } from './errors';

describe('envelope', () => {
  const iv = randomBytes(12);
  const sealed = randomBytes(40);
  const envelope = formatEnvelope(7, iv, sealed);

  it('is v1.<version>.<base64url iv>.<base64url ciphertext+tag>', () => {
    expect(envelope).toMatch(/^v1\.7\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{54}$/);
    expect(parseEnvelope(envelope)).toEqual({
      keyVersion: 7,
      iv,
      ciphertext: sealed.subarray(0, 24),
      tag: sealed.subarray(24),
    });
    expect(keyVersionOf(envelope)).toBe(7);
    expect(isEnvelope(envelope)).toBe(true);
  });

  it('parses an empty plaintext (the tag alone)', () => {
    const empty = formatEnvelope(1, iv, randomBytes(16));
    expect(parseEnvelope(empty).ciphertext).toHaveLength(0);
  });

  const [, , ivText, sealedText] = envelope.split('.');
  const malformed: Array<[string, unknown]> = [
    ['plaintext', 'hello there'],
    ['an empty string', ''],
    ['not a string', 42],
    ['another format', `v2.7.${ivText}.${sealedText}`],
    ['version 0', `v1.0.${ivText}.${sealedText}`],
    ['a leading zero', `v1.07.${ivText}.${sealedText}`],
    ['a huge version', `v1.1234567890.${ivText}.${sealedText}`],
    ['a short iv', `v1.7.${ivText.slice(1)}.${sealedText}`],
    ['a truncated tag', `v1.7.${ivText}.${randomBytes(15).toString('base64url')}`],
    ['padding', `v1.7.${ivText}.${sealedText}==`],
    ['standard base64 characters', `v1.7.${ivText}.${sealedText.slice(0, -2)}+/`],
    // 40 bytes end in a character carrying 2 bits: 'B' sets a bit the decoder silently drops.
    ['a non-canonical last character', `v1.7.${ivText}.${sealedText.slice(0, -1)}B`],
    ['whitespace', ` ${envelope}`],
    ['a missing part', `v1.7.${ivText}`],
  ];
  it.each(malformed)('refuses %s as malformed', (_name, value) => {
    expect(isEnvelope(value)).toBe(false);
    expect(() => parseEnvelope(value as string)).toThrow(
      new DecryptionError('malformed', 'not a v1 or v2 ciphertext envelope'),
    );
  });

  it('writes v2.<key id>.<iv>.<ciphertext+tag> under a conversation key, and names the key', () => {
    const keyId = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const v2 = formatConversationEnvelope(keyId, iv, sealed);
    expect(v2).toMatch(/^v2\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{54}$/);
    expect(v2.split('.')[1]).toBe(encodeKeyId(keyId));
    expect(parseEnvelope(v2)).toEqual({
      keyVersion: 0,
      conversationKeyId: keyId,
      iv,
      ciphertext: sealed.subarray(0, 24),
      tag: sealed.subarray(24),
    });
    expect(isEnvelope(v2)).toBe(true);
    expect(isConversationEnvelope(v2)).toBe(true);
    expect(isConversationEnvelope(envelope)).toBe(false);
    expect(() => keyVersionOf(v2)).toThrow(DecryptionError);
    expect(() => parseEnvelope(`v2.${encodeKeyId(keyId).slice(1)}.${ivText}.${sealedText}`)).toThrow(DecryptionError);
    expect(() => encodeKeyId('not-a-uuid')).toThrow(TypeError);
  });

  it('reads the version in SQL too', () => {
    expect(envelopeKeyVersionSql('body')).toBe(
      `(CASE WHEN left(body, 3) = 'v1.' THEN split_part(body, '.', 2)::integer END)`,
    );
    expect(() => envelopeKeyVersionSql('body; DROP TABLE x')).toThrow('plain lowercase identifier');
  });
});
