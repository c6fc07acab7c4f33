import { isUnstorableInputError, jsonHasNul, jsonVerify, NulCharacterError, percentEncodedHasNul } from './input-guard';

describe('input guard (NUL characters)', () => {
  it('finds a \\u0000 escape in JSON text, and only a real one', () => {
    expect(jsonHasNul(Buffer.from(JSON.stringify({ a: 'x\u0000y' })))).toBe(true);
    expect(jsonHasNul(Buffer.from(JSON.stringify({ a: ['ok', { b: '\u0000' }] })))).toBe(true);
    // An escaped backslash followed by the text "u0000" is not a NUL; three backslashes are.
    expect(jsonHasNul(Buffer.from(JSON.stringify({ a: '\\u0000' })))).toBe(false);
    expect(jsonHasNul(Buffer.from(JSON.stringify({ a: '\\\u0000' })))).toBe(true);
    expect(jsonHasNul(Buffer.from(JSON.stringify({ a: 'plain', b: 'u0000' })))).toBe(false);
    expect(jsonHasNul(Buffer.from(''))).toBe(false);
  });

  it('the JSON verify hook refuses a NUL with a 400 body-parser-style error and keeps the raw body when asked', () => {
    const req = {} as { rawBody?: Buffer };
    const buf = Buffer.from('{"a":"b"}');
    jsonVerify(true)(req as never, {} as never, buf);
    expect(req.rawBody).toBe(buf);
    const fresh = {} as { rawBody?: Buffer };
    jsonVerify(false)(fresh as never, {} as never, buf);
    expect(fresh.rawBody).toBeUndefined();
    let thrown: unknown;
    try {
      jsonVerify(false)({} as never, {} as never, Buffer.from('{"a":"\\u0000"}'));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(NulCharacterError);
    expect(thrown).toMatchObject({ status: 400, type: 'entity.nul_character' });
  });

  it('finds a percent-encoded NUL in a URL', () => {
    expect(percentEncodedHasNul('/v1/conversations?customer=1%00')).toBe(true);
    expect(percentEncodedHasNul('/v1/conversations?customer=1%2500')).toBe(false);
  });

  it('recognises the statements PostgreSQL refused for their characters', () => {
    expect(isUnstorableInputError({ name: 'QueryFailedError', code: '22021' })).toBe(true);
    expect(isUnstorableInputError({ name: 'QueryFailedError', code: '22P05' })).toBe(true);
    expect(isUnstorableInputError({ name: 'QueryFailedError', code: '23505' })).toBe(false);
    expect(isUnstorableInputError(null)).toBe(false);
  });
});
