import { checkConsent, ConsentStateView, covers } from './data-use';

const state = (over: Partial<ConsentStateView>): ConsentStateView => ({
  purposeKey: 'ads',
  dataUse: 'marketing.advertising',
  status: 'granted',
  subject: 'a'.repeat(64),
  eventId: 'e1',
  logIndex: 4,
  leafHash: 'x'.repeat(44),
  effectiveAt: new Date('2026-11-25T10:00:00.000Z'),
  ...over,
});

describe('covers', () => {
  it('covers the same data use and its descendants only', () => {
    expect(covers('marketing.advertising', 'marketing.advertising')).toBe(true);
    expect(covers('marketing.advertising', 'marketing.advertising.first_party.targeted')).toBe(true);
    expect(covers('marketing', 'marketing.advertising')).toBe(true);
    expect(covers('marketing.advertising.first_party.targeted', 'marketing.advertising')).toBe(false);
    expect(covers('marketing.advert', 'marketing.advertising')).toBe(false);
    expect(covers('analytics', 'marketing.advertising')).toBe(false);
  });
});

describe('checkConsent (the export gate)', () => {
  const targeted = 'marketing.advertising.first_party.targeted';

  it('allows a grant on an ancestor data use and names the entry it relied on', () => {
    const result = checkConsent([state({})], [targeted]);
    expect(result).toEqual({
      allowed: true,
      refs: [
        expect.objectContaining({
          requestedDataUse: targeted,
          eventId: 'e1',
          logIndex: 4,
          treeSize: 5,
          dataUse: 'marketing.advertising',
        }),
      ],
    });
  });

  it('fails closed without any state, with an unrelated purpose, or with a grant on a narrower data use', () => {
    expect(checkConsent([], [targeted])).toEqual({ allowed: false, reason: 'no_consent', refs: [] });
    expect(checkConsent([state({ dataUse: 'analytics.reporting' })], [targeted]).allowed).toBe(false);
    expect(checkConsent([state({ dataUse: `${targeted}.narrow` })], [targeted]).allowed).toBe(false);
    expect(checkConsent([state({})], []).allowed).toBe(false);
  });

  it('reports revoked when a covering purpose was withdrawn', () => {
    const result = checkConsent([state({ status: 'revoked', eventId: 'r1' })], [targeted]);
    expect(result).toMatchObject({ allowed: false, reason: 'revoked', refs: [{ eventId: 'r1' }] });
  });

  it('is satisfied by another purpose that still grants, after one was revoked', () => {
    const result = checkConsent(
      [state({ status: 'revoked' }), state({ purposeKey: 'all-marketing', dataUse: 'marketing', eventId: 'g2' })],
      [targeted],
    );
    expect(result).toMatchObject({ allowed: true, refs: [{ eventId: 'g2' }] });
  });

  it('needs every requested data use covered', () => {
    expect(checkConsent([state({})], [targeted, 'analytics.reporting.ad_performance']).allowed).toBe(false);
    expect(
      checkConsent(
        [state({}), state({ purposeKey: 'measure', dataUse: 'analytics.reporting', eventId: 'g3' })],
        [targeted, 'analytics.reporting.ad_performance'],
      ),
    ).toMatchObject({ allowed: true, refs: [{ eventId: 'e1' }, { eventId: 'g3' }] });
  });
});
