import { cursorOf, graphPaging, idOfCursor } from './graph-paging';
import { parseNumberFilter } from './business-profile.service';
import type { NumberRoute } from '../repositories/routing.repository';

describe('Graph paging', () => {
  it('round-trips ids through cursors and refuses a cursor of another shape', () => {
    expect(idOfCursor(cursorOf('123456789012345'), /^\d{15}$/)).toBe('123456789012345');
    expect(idOfCursor(cursorOf('../etc'), /^\d{15}$/)).toBeUndefined();
    expect(idOfCursor('%%%', /^\d+$/)).toBeUndefined();
  });

  it('links the next and previous pages on the public base URL, without an access_token', () => {
    const paging = graphPaging(
      { firstId: '1', lastId: '2', limit: 2, hasNext: true, hasPrevious: true },
      '/v25.0/9/phone_numbers?access_token=secret&after=x&fields=id',
      'https://graph.example.com/',
    );
    expect(paging.cursors).toEqual({ before: cursorOf('1'), after: cursorOf('2') });
    expect(paging.next).toBe(
      `https://graph.example.com/v25.0/9/phone_numbers?fields=id&limit=2&after=${cursorOf('2')}`,
    );
    expect(paging.previous).toBe(
      `https://graph.example.com/v25.0/9/phone_numbers?fields=id&limit=2&before=${cursorOf('1')}`,
    );
    const last = graphPaging(
      { firstId: '1', lastId: '1', limit: 5, hasNext: false, hasPrevious: false },
      '/p',
      undefined,
    );
    expect(last).toEqual({ cursors: { before: cursorOf('1'), after: cursorOf('1') } });
  });
});

describe('phone number filtering', () => {
  const n = {} as NumberRoute;
  it('matches the Cloud API filters every Custody number satisfies, and only those', () => {
    expect(parseNumberFilter(undefined)(n)).toBe(true);
    const f = (field: string, value: unknown) => JSON.stringify([{ field, operator: 'EQUAL', value }]);
    expect(parseNumberFilter(f('account_mode', 'LIVE'))(n)).toBe(true);
    expect(parseNumberFilter(f('account_mode', 'SANDBOX'))(n)).toBe(false);
    expect(parseNumberFilter(f('is_official_business_account', false))(n)).toBe(true);
    expect(parseNumberFilter(f('is_official_business_account', 'true'))(n)).toBe(false);
  });
  it('refuses malformed filters with a 100 invalid parameter', () => {
    for (const bad of [
      '[',
      '{}',
      '[{"field":"secret","operator":"EQUAL","value":"x"}]',
      '[{"field":"account_mode","operator":"LIKE","value":"x"}]',
      '[{"field":"account_mode","operator":"EQUAL","value":{}}]',
      '[null]',
    ]) {
      expect(() => parseNumberFilter(bad)).toThrow(expect.objectContaining({ code: 100 }));
    }
  });
});
