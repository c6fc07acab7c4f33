import { ConsentStateView } from './data-use';
import { CandidateFacts, decideCandidate } from './decision';

const now = new Date('2026-11-25T12:00:00.000Z');
const grant: ConsentStateView = {
  purposeKey: 'ads',
  dataUse: 'marketing.advertising',
  status: 'granted',
  subject: 'a'.repeat(64),
  eventId: 'g1',
  logIndex: 0,
  leafHash: 'x'.repeat(44),
  effectiveAt: new Date('2026-11-25T10:00:00.000Z'),
};

const facts = (over: Partial<CandidateFacts>): CandidateFacts => ({
  operation: 'add',
  dataUses: ['marketing.advertising.first_party.targeted'],
  authorizationVersion: 2,
  authorization: { version: 2, status: 'active' },
  consent: [grant],
  createdAt: new Date(now.getTime() - 60_000),
  eventTime: new Date(now.getTime() - 60_000),
  memberActive: false,
  ...over,
});

describe('decideCandidate', () => {
  it('sends a consented candidate of the active authorization version', () => {
    expect(decideCandidate(facts({}), now, 5000)).toMatchObject({ action: 'send', consent: [{ eventId: 'g1' }] });
  });

  it('suppresses when the authorization was withdrawn or superseded', () => {
    expect(decideCandidate(facts({ authorization: { version: 2, status: 'withdrawn' } }), now, 5000)).toMatchObject({
      action: 'suppress',
      reason: 'authorization_withdrawn',
    });
    expect(decideCandidate(facts({ authorization: { version: 3, status: 'active' } }), now, 5000)).toMatchObject({
      action: 'suppress',
      reason: 'authorization_withdrawn',
    });
  });

  it('waits for a missing authorization or consent state within the grace period, then fails closed', () => {
    const fresh = new Date(now.getTime() - 1000);
    expect(decideCandidate(facts({ authorization: undefined, createdAt: fresh }), now, 5000)).toEqual({
      action: 'defer',
      until: new Date(fresh.getTime() + 5000),
    });
    expect(decideCandidate(facts({ authorization: undefined }), now, 5000)).toMatchObject({
      action: 'suppress',
      reason: 'authorization_withdrawn',
    });
    expect(decideCandidate(facts({ consent: [], createdAt: fresh }), now, 5000)).toMatchObject({ action: 'defer' });
    expect(decideCandidate(facts({ consent: [] }), now, 5000)).toMatchObject({
      action: 'suppress',
      reason: 'no_consent',
    });
  });

  it('suppresses an explicit revoke at once, even within the grace period', () => {
    const revoked = { ...grant, status: 'revoked' as const, eventId: 'r1' };
    expect(decideCandidate(facts({ consent: [revoked], createdAt: now }), now, 5000)).toMatchObject({
      action: 'suppress',
      reason: 'revoked',
      consent: [{ eventId: 'r1' }],
    });
  });

  it('never sends conversion events older than 7 days', () => {
    const old = new Date(now.getTime() - 7 * 24 * 3600 * 1000);
    expect(decideCandidate(facts({ operation: 'event', eventTime: old }), now, 5000)).toMatchObject({
      action: 'suppress',
      reason: 'too_old',
    });
    expect(decideCandidate(facts({ operation: 'event' }), now, 5000)).toMatchObject({ action: 'send' });
  });

  it('does not upload a customer who is already a member, but records the consent it checked', () => {
    expect(decideCandidate(facts({ memberActive: true }), now, 5000)).toMatchObject({
      action: 'already_member',
      consent: [{ eventId: 'g1' }],
    });
  });
});
