import { normalizeCustomerNumber } from './customer-number';

describe('normalizeCustomerNumber', () => {
  it.each([
    [{ phoneNumber: '+1 555-000 1111' }, '15550001111'],
    [{ phoneNumber: '+1 (555) 000.1111' }, '15550001111'],
    [{ phoneNumber: '  +44 20 7946 0958 ' }, '442079460958'],
    [{ phoneNumber: '15550001111' }, '15550001111'],
    [{ waId: '15550001111' }, '15550001111'],
  ])('reads %j as %s', (input, waId) => {
    expect(normalizeCustomerNumber(input)).toEqual({ ok: true, waId });
  });

  it.each([
    [{}, /exactly one/],
    [{ phoneNumber: '+15550001111', waId: '15550001111' }, /exactly one/],
    [{ phoneNumber: 15550001111 }, /must be a string/],
    [{ phoneNumber: '' }, /international form/],
    [{ phoneNumber: '+1 555 CALL NOW' }, /international form/],
    [{ phoneNumber: '++15550001111' }, /international form/],
    [{ phoneNumber: '1555+0001111' }, /international form/],
    [{ phoneNumber: '12345' }, /6 to 20 digits/],
    [{ phoneNumber: '1'.repeat(21) }, /6 to 20 digits/],
    [{ waId: '+15550001111' }, /digits only/],
    [{ waId: '1555-000-1111' }, /digits only/],
  ])('refuses %j', (input, problem) => {
    const result = normalizeCustomerNumber(input);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toMatch(problem);
  });

  it('never repeats the number in a problem', () => {
    const result = normalizeCustomerNumber({ phoneNumber: '+1 555 000 111X' });
    expect(!result.ok && result.problem).not.toContain('555');
  });
});
