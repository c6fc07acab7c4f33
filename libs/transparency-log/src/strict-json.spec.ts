import { assertStrictJson, objectMembers, parseStrictJson, StrictJsonError } from './strict-json';

describe('strict JSON', () => {
  it('parses what JSON.parse parses, when no object repeats a key', () => {
    for (const text of ['{}', '[]', ' {"a":[1,-2.5e3,true,null,"\\u2028\\"x"],"b":{"c":{}}} ', '"s"', '0']) {
      expect(parseStrictJson(text)).toEqual(JSON.parse(text));
    }
  });

  it('refuses duplicate keys at any depth, naming where', () => {
    expect(() => assertStrictJson('{"a":1,"a":2}')).toThrow('duplicate key "a" in $');
    expect(() => assertStrictJson('{"x":[{"k":1},{"k":1,"k":1}]}')).toThrow('duplicate key "k" in $.x[1]');
    expect(() => assertStrictJson('{"\\u0061":1,"a":2}')).toThrow(/duplicate key "a"/);
  });

  it('refuses what JSON.parse refuses', () => {
    for (const text of ['', '{', '{"a":1,}', '[1 2]', '{"a":1} x', "{'a':1}", '{"a":01}', '"\u0001"', '{"a":tru}']) {
      expect(() => assertStrictJson(text)).toThrow(StrictJsonError);
      expect(() => JSON.parse(text)).toThrow();
    }
  });

  it('returns an object’s members as written', () => {
    const members = objectMembers('{"index":3, "entry":{"b" : 1,"a":"\u2028"},"leafHash":null}');
    expect([...members]).toEqual([
      ['index', '3'],
      ['entry', '{"b" : 1,"a":"\u2028"}'],
      ['leafHash', 'null'],
    ]);
    expect(() => objectMembers('[1]')).toThrow('not a JSON object');
    expect(() => objectMembers('{"entry":{"a":1,"a":1}}')).toThrow(expect.objectContaining({ code: 'duplicate_key' }));
  });
});
