import {
  hashEmail,
  hashPhone,
  IdentifierError,
  isSha256Hex,
  normalizeEmail,
  normalizePhone,
  sha256Hex,
} from './identifiers';

// Expected digests computed outside this code, with coreutils:
//   printf %s 16505551212 | sha256sum
// so a bug shared by the code and the test cannot hide.
const SHA256 = {
  '16505551212': 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176',
  '447700900077': 'eff2b7f8ef1c0c37569e2ea19c5679ff6b3e5d826da27034d3c29948b856c6c8',
  '4915112345678': '8efb96404be52f6109b9db0f687274a81e9e3cc23fabd6f0da5d38baa3d2facd',
  '5511987654321': '029c7290f14c4516673508635f0519db95f7daf42057fd0e4ad1de84c5408a66',
  'joe@example.com': '2481f36dfc515ca76451aaadf1399026942a01ee50c6d0a61988b43cef039bc2',
  'john_smith@gmail.com': '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f',
  // What a careless implementation would hash instead (kept to prove they differ).
  '+16505551212': '1e231c66011e7a2d867a9cfae267a6aff103cf4913640b6e71a99850fc0ffbc8',
  '6505551212': '5eed6d50c9a69704a9a72b4af7d14d04d33e4460039e101b525f5d4f8a106a38',
  'Joe@Example.com': 'ce629fb123754e5ca8a3d3509e70a8687234e57d4bfe1e3f97fe14ca00fc9aff',
} as const;

describe('normalizePhone', () => {
  // The platform's documented example: symbols removed, country code kept, no "+".
  it.each([
    ['+1 (650) 555-1212', undefined, '16505551212'],
    ['1-650-555-1212', undefined, '16505551212'],
    ['+1.650.555.1212', undefined, '16505551212'],
    ['tel: +1 650 555 1212', undefined, '16505551212'],
    ['16505551212', undefined, '16505551212'], // a WhatsApp id is already normalized
    ['001 650 555 1212', undefined, '16505551212'], // international prefix 00 = leading zeros
    ['+44 7700 900077', undefined, '447700900077'],
    ['0044 7700 900077', undefined, '447700900077'],
    ['+49 (0)151 12345678', undefined, '4915112345678'], // bracketed trunk zero
    ['(650) 555-1212', '1', '16505551212'], // national number, default country code
    ['1 650 555 1212', '1', '16505551212'], // already has the country code: not doubled
    ['07700 900077', '44', '447700900077'], // trunk prefix 0 dropped, country code added
    ['+55 11 98765-4321', '44', '5511987654321'], // an explicit + wins over the default
    ['0151 12345678', '49', '4915112345678'],
  ])('%s (default %s) → %s', (input, cc, expected) => {
    expect(normalizePhone(input, cc)).toBe(expected);
  });

  it.each([[''], ['   '], ['abc'], ['+1 555'], ['12345678901234567'], ['000000']])('rejects %p', (input) => {
    expect(() => normalizePhone(input)).toThrow(IdentifierError);
  });

  it('rejects a malformed default country code', () => {
    expect(() => normalizePhone('6505551212', '+1')).toThrow(/default country code/);
    expect(() => normalizePhone('6505551212', '0')).toThrow(/default country code/);
  });

  it('never puts the number in the error', () => {
    try {
      normalizePhone('+1 555 12');
      throw new Error('expected an IdentifierError');
    } catch (error) {
      expect(error).toBeInstanceOf(IdentifierError);
      expect((error as Error).message).not.toMatch(/555/);
    }
  });
});

describe('normalizeEmail', () => {
  it.each([
    ['joe@example.com', 'joe@example.com'],
    ['  Joe@Example.COM \t', 'joe@example.com'],
    ['JOHN_SMITH@GMAIL.COM', 'john_smith@gmail.com'],
    ['\njohn_smith@gmail.com\n', 'john_smith@gmail.com'],
  ])('%p → %s', (input, expected) => {
    expect(normalizeEmail(input)).toBe(expected);
  });

  it.each([[''], ['joe'], ['joe@'], ['@example.com'], ['joe@example'], ['jo e@example.com'], ['a@b@c.com']])(
    'rejects %p without echoing it',
    (input) => {
      expect(() => normalizeEmail(input)).toThrow(IdentifierError);
      try {
        normalizeEmail(input);
      } catch (error) {
        expect((error as Error).message).not.toContain(input || '\u0000');
      }
    },
  );
});

describe('hashing', () => {
  it('sha256Hex matches coreutils', () => {
    for (const [plain, digest] of Object.entries(SHA256)) {
      expect(sha256Hex(plain)).toBe(digest);
    }
  });

  it('hashPhone hashes the normalized number, not the input', () => {
    expect(hashPhone('+1 (650) 555-1212')).toBe(SHA256['16505551212']);
    expect(hashPhone('16505551212')).toBe(SHA256['16505551212']);
    expect(hashPhone('(650) 555-1212', '1')).toBe(SHA256['16505551212']);
    expect(hashPhone('07700 900077', '44')).toBe(SHA256['447700900077']);
    expect(hashPhone('+55 11 98765-4321')).toBe(SHA256['5511987654321']);
    expect(hashPhone('+1 (650) 555-1212')).not.toBe(SHA256['+16505551212']);
    expect(hashPhone('+1 (650) 555-1212')).not.toBe(SHA256['6505551212']);
  });

  it('hashEmail hashes the trimmed, lowercased address', () => {
    expect(hashEmail('  Joe@Example.com ')).toBe(SHA256['joe@example.com']);
    expect(hashEmail('John_Smith@Gmail.com')).toBe(SHA256['john_smith@gmail.com']);
    expect(hashEmail('Joe@Example.com')).not.toBe(SHA256['Joe@Example.com']);
  });

  it('isSha256Hex accepts only 64 lowercase hex characters', () => {
    expect(isSha256Hex(SHA256['16505551212'])).toBe(true);
    expect(isSha256Hex(SHA256['16505551212'].toUpperCase())).toBe(false);
    expect(isSha256Hex(SHA256['16505551212'].slice(1))).toBe(false);
    expect(isSha256Hex('16505551212')).toBe(false);
    expect(isSha256Hex(42)).toBe(false);
  });
});
