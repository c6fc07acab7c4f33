import { randomUUID } from 'node:crypto';
import { Topics } from './topics';
import { validateEvent } from './validation';

const event = () => ({
  eventId: 'e1',
  type: 'tenant.changed',
  tenantId: randomUUID(),
  occurredAt: new Date().toISOString(),
  businessAccountId: '123',
  status: 'active',
  phoneNumbers: [{ phoneNumberId: '1234567', displayPhoneNumber: '+15550001111' }],
});

describe('validateEvent', () => {
  it('accepts a well-formed event', () => {
    expect(validateEvent(Topics.TenantsChanged, event()).ok).toBe(true);
  });

  it('rejects unknown properties, bad nested values and non-objects with paths', () => {
    const bad = { ...event(), surprise: 1, phoneNumbers: [{ phoneNumberId: 'x', displayPhoneNumber: '+1' }] };
    const result = validateEvent(Topics.TenantsChanged, bad);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.join('\n')).toMatch(/surprise/);
      expect(result.errors.join('\n')).toMatch(/phoneNumbers\.0\.phoneNumberId/);
    }
    expect(validateEvent(Topics.TenantsChanged, [1, 2]).ok).toBe(false);
    expect(validateEvent(Topics.TenantsChanged, null).ok).toBe(false);
  });

  it('refuses topics without a schema', () => {
    expect(validateEvent(Topics.DeadLetter, event())).toEqual({
      ok: false,
      errors: [expect.stringContaining('no schema')],
    });
  });
});
