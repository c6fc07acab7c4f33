import { covers, isDataUse, isMarketing } from './data-use';

describe('data-use taxonomy', () => {
  it('a purpose covers its data use and its descendants only', () => {
    expect(covers('marketing.advertising', 'marketing.advertising')).toBe(true);
    expect(covers('marketing.advertising', 'marketing.advertising.first_party.targeted')).toBe(true);
    expect(covers('marketing.advertising', 'marketing')).toBe(false);
    expect(covers('marketing.advertising', 'marketing.advertisingx')).toBe(false);
    expect(covers('marketing', 'analytics.reporting.ad_performance')).toBe(false);
  });

  it('knows marketing uses and well-formed keys', () => {
    expect(isMarketing('marketing.communications.whatsapp')).toBe(true);
    expect(isMarketing('analytics.reporting.ad_performance')).toBe(false);
    expect(isDataUse('marketing.advertising.first_party.targeted')).toBe(true);
    expect(isDataUse('Marketing')).toBe(false);
    expect(isDataUse('marketing..x')).toBe(false);
  });
});
