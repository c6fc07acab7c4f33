import { randomBytes } from 'node:crypto';
import { DecryptionError } from './errors';
import { SecretSealer } from './secret-sealer';

describe('SecretSealer', () => {
  const key = randomBytes(32);

  it('opens what it sealed, in the same context only', () => {
    const sealer = new SecretSealer(key);
    const sealed = sealer.seal('EAAB-token', 'tenant-a:act_1');
    expect(sealed).not.toContain('EAAB');
    expect(SecretSealer.fromBase64(key.toString('base64')).open(sealed, 'tenant-a:act_1')).toBe('EAAB-token');
    expect(() => sealer.open(sealed, 'tenant-b:act_1')).toThrow(DecryptionError);
    expect(() => new SecretSealer(randomBytes(32)).open(sealed, 'tenant-a:act_1')).toThrow(DecryptionError);
    expect(() => sealer.open('not sealed', 'tenant-a:act_1')).toThrow(DecryptionError);
  });

  it('takes 32-byte keys only', () => {
    expect(() => new SecretSealer(randomBytes(16))).toThrow('32 bytes');
    expect(() => SecretSealer.fromBase64('c2hvcnQ=')).toThrow('32 bytes');
  });
});
