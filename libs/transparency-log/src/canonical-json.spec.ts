import { canonicalize, CanonicalJsonError } from './canonical-json';

describe('canonical JSON', () => {
  it('sorts keys, drops whitespace and escapes like JCS', () => {
    expect(canonicalize({ b: 1, a: [true, null, 'x'], c: { z: '', y: -5 } })).toBe(
      '{"a":[true,null,"x"],"b":1,"c":{"y":-5,"z":""}}',
    );
    expect(canonicalize('é\u2028"\\\n\u0001')).toBe('"é\u2028\\"\\\\\\n\\u0001"');
    expect(canonicalize({ B: 1, a: 2, _: 3, '10': 4, '9': 5 })).toBe('{"10":4,"9":5,"B":1,"_":3,"a":2}');
  });

  it('refuses what would not serialize identically everywhere', () => {
    expect(() => canonicalize(1.5)).toThrow(CanonicalJsonError);
    expect(() => canonicalize(2 ** 53)).toThrow(CanonicalJsonError);
    expect(canonicalize({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(() => canonicalize([undefined])).toThrow(/undefined/);
    expect(() => canonicalize('\ud800')).toThrow(/surrogate/);
    expect(() => canonicalize(new Date())).toThrow(/plain objects/);
  });
});

describe('canonical JSON error paths', () => {
  it('names the offending value', () => {
    expect(() => canonicalize({ a: [1, { b: 0.5 }] })).toThrow(
      '$.a[1].b: only integers below 2^53 are allowed, got 0.5',
    );
  });

  it('writes plain and escaped strings identically to JSON.stringify', () => {
    for (const s of [
      '',
      'plain ascii ~ { } [ ]',
      'quote " and \\ backslash',
      'tab\there',
      '\u007f del',
      'ünïcödé',
      '😀',
      '\u2028',
    ]) {
      expect(canonicalize(s)).toBe(JSON.stringify(s));
    }
  });
});
