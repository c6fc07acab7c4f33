import { CUSTODY_MARKING, MessageEvent, Topics, validateEvent } from '@custody/contracts';
import {
  ActiveAuthorization,
  authorizationEvent,
  ConversationFacts,
  isHostedChat,
  marketingCandidates,
  minimalReferral,
  scopeMatches,
} from './marketing-candidates';
import { checkDestination, checkTerms } from './marketing-authorization.service';

const TENANT = '6f1c1f9e-7a40-4a43-9e8e-3f6a1c2b9d10';
const CONV_PLAIN = '0b5d8c1e-1111-4a43-8e8e-3f6a1c2b9d10';
const CONV_VIP = '0b5d8c1e-2222-4a43-8e8e-3f6a1c2b9d10';
const CONV_AD = '0b5d8c1e-3333-4a43-8e8e-3f6a1c2b9d10';
const NOW = '2026-11-25T12:00:00.000Z';

const authorization = (overrides: Partial<ActiveAuthorization> = {}): ActiveAuthorization => ({
  authorizationId: 'a0000000-0000-4000-8000-000000000001',
  version: 3,
  destination: {
    destinationId: 'd0000000-0000-4000-8000-000000000001',
    kind: 'customer_list_audience',
    adAccountId: 'act_42',
    audienceId: '777',
  },
  dataUses: ['marketing.advertising.first_party.targeted'],
  scope: 'all',
  label: null,
  ...overrides,
});

const conversations = new Map<string, ConversationFacts>([
  [CONV_PLAIN, { labels: [], referral: null }],
  [CONV_VIP, { labels: ['vip', 'other'], referral: null }],
  [CONV_AD, { labels: [], referral: { sourceId: 'ad-1', sourceType: 'ad', ctwaClid: 'clid-xyz' } }],
]);

let seq = 0;
const message = (conversationId: string, overrides: Partial<MessageEvent> = {}): MessageEvent => {
  const id = `wamid.unit${String(++seq).padStart(8, '0')}`;
  return {
    eventId: id,
    type: 'message.inbound',
    tenantId: TENANT,
    occurredAt: NOW,
    messageId: id,
    conversationId,
    phoneNumberId: '1065403522',
    customer: { ref: 'R'.repeat(43), waIdCiphertext: `v1.1.${'C'.repeat(16)}.${'D'.repeat(40)}`, profileName: 'Ann' },
    origin: 'customer',
    messageType: 'text',
    contentCiphertext: `v1.1.${'A'.repeat(16)}.${'B'.repeat(40)}`,
    networkTimestamp: '2026-11-25T11:59:00.000Z',
    custody: { ...CUSTODY_MARKING },
    ...overrides,
  };
};

describe('scopeMatches', () => {
  it('all covers every conversation', () => {
    for (const facts of conversations.values()) {
      expect(scopeMatches({ scope: 'all', label: null }, facts)).toBe(true);
    }
  });

  it('label covers only conversations carrying exactly that label', () => {
    expect(scopeMatches({ scope: 'label', label: 'vip' }, conversations.get(CONV_VIP)!)).toBe(true);
    expect(scopeMatches({ scope: 'label', label: 'VIP' }, conversations.get(CONV_VIP)!)).toBe(false);
    expect(scopeMatches({ scope: 'label', label: 'vi' }, conversations.get(CONV_VIP)!)).toBe(false);
    expect(scopeMatches({ scope: 'label', label: 'vip' }, conversations.get(CONV_PLAIN)!)).toBe(false);
    expect(scopeMatches({ scope: 'label', label: null }, conversations.get(CONV_VIP)!)).toBe(false);
  });

  it('ad_referral covers conversations that came from an ad, or a message that carries a referral', () => {
    expect(scopeMatches({ scope: 'ad_referral', label: null }, conversations.get(CONV_AD)!)).toBe(true);
    expect(scopeMatches({ scope: 'ad_referral', label: null }, conversations.get(CONV_PLAIN)!)).toBe(false);
    expect(scopeMatches({ scope: 'ad_referral', label: null }, conversations.get(CONV_PLAIN)!, { ctwaClid: 'c' })).toBe(
      true,
    );
  });
});

describe('isHostedChat and minimalReferral', () => {
  it('accepts only the hosted, not end-to-end encrypted marking', () => {
    expect(isHostedChat({ e2e: false, hostedBy: 'custody' })).toBe(true);
    expect(isHostedChat(undefined)).toBe(false);
    expect(isHostedChat({ e2e: true, hostedBy: 'custody' } as never)).toBe(false);
    expect(isHostedChat({ e2e: false, hostedBy: 'someone-else' } as never)).toBe(false);
  });

  it('keeps only the referral fields the export uses', () => {
    expect(minimalReferral({ sourceId: 's', ctwaClid: 'c', headline: 'Buy now' } as never)).toEqual({
      sourceId: 's',
      ctwaClid: 'c',
    });
    expect(minimalReferral({})).toBeUndefined();
    expect(minimalReferral(null)).toBeUndefined();
  });
});

describe('marketingCandidates', () => {
  it('makes one valid, bodiless candidate per (authorization, message) in scope, keyed and identified deterministically', () => {
    const a = authorization();
    const m = message(CONV_AD);
    const rows = marketingCandidates(TENANT, [a], [m], conversations, NOW);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row.topic).toBe(Topics.MarketingAuthorized);
    expect(row.key).toBe(`${TENANT}:${CONV_AD}`);
    expect(row.payload.eventId).toBe(`${a.authorizationId}:${m.messageId}`);
    expect(row.payload.candidate).toEqual({
      authorizationId: a.authorizationId,
      authorizationVersion: 3,
      destination: a.destination,
      dataUses: a.dataUses,
      messageId: m.messageId,
      conversationId: CONV_AD,
      phoneNumberId: m.phoneNumberId,
      customer: { ref: 'R'.repeat(43) },
      origin: 'customer',
      networkTimestamp: m.networkTimestamp,
      referral: { sourceId: 'ad-1', sourceType: 'ad', ctwaClid: 'clid-xyz' },
      custody: { e2e: false, hostedBy: 'custody' },
    });
    // Data minimization: no body, no profile name.
    expect(JSON.stringify(row.payload)).not.toContain('secret');
    expect(JSON.stringify(row.payload)).not.toContain('Ann');
    const validation = validateEvent(Topics.MarketingAuthorized, JSON.parse(JSON.stringify(row.payload)));
    expect(validation).toEqual(expect.objectContaining({ ok: true }));
  });

  it("prefers the message's own referral and omits referral when there is none", () => {
    const own = marketingCandidates(
      TENANT,
      [authorization()],
      [message(CONV_AD, { referral: { ctwaClid: 'fresh' } })],
      conversations,
      NOW,
    );
    expect(own[0].payload.candidate!.referral).toEqual({ ctwaClid: 'fresh' });
    const none = marketingCandidates(TENANT, [authorization()], [message(CONV_PLAIN)], conversations, NOW);
    expect(none[0].payload.candidate).not.toHaveProperty('referral');
  });

  it('filters by scope across several authorizations and messages', () => {
    const all = authorization({ authorizationId: 'a0000000-0000-4000-8000-00000000000a' });
    const vip = authorization({
      authorizationId: 'a0000000-0000-4000-8000-00000000000b',
      scope: 'label',
      label: 'vip',
    });
    const ads = authorization({ authorizationId: 'a0000000-0000-4000-8000-00000000000c', scope: 'ad_referral' });
    const messages = [
      message(CONV_PLAIN),
      message(CONV_VIP),
      message(CONV_AD, { type: 'message.outbound', origin: 'business' }),
    ];
    const rows = marketingCandidates(TENANT, [all, vip, ads], messages, conversations, NOW);
    expect(rows.map((r) => r.payload.eventId).sort()).toEqual(
      [
        `${all.authorizationId}:${messages[0].messageId}`,
        `${all.authorizationId}:${messages[1].messageId}`,
        `${all.authorizationId}:${messages[2].messageId}`,
        `${vip.authorizationId}:${messages[1].messageId}`,
        `${ads.authorizationId}:${messages[2].messageId}`,
      ].sort(),
    );
    expect(
      rows.find((r) => r.payload.eventId === `${ads.authorizationId}:${messages[2].messageId}`)!.payload.candidate!
        .origin,
    ).toBe('business');
  });

  it("never makes candidates of Custody's system messages, of chats without the hosted marking, or of unknown conversations", () => {
    const system = message(CONV_PLAIN, { type: 'message.outbound', origin: 'system', messageType: 'system' });
    const unmarked = message(CONV_PLAIN, { custody: undefined as never });
    const e2e = message(CONV_PLAIN, { custody: { e2e: true, hostedBy: 'custody' } as never });
    const unknown = message('0b5d8c1e-9999-4a43-8e8e-3f6a1c2b9d10');
    expect(
      marketingCandidates(TENANT, [authorization()], [system, unmarked, e2e, unknown], conversations, NOW),
    ).toEqual([]);
  });

  it('makes nothing without authorizations (the default)', () => {
    expect(marketingCandidates(TENANT, [], [message(CONV_PLAIN), message(CONV_AD)], conversations, NOW)).toEqual([]);
  });
});

describe('authorizationEvent', () => {
  it('is keyed by authorization and identified by version, and validates', () => {
    const state = {
      authorizationId: 'a0000000-0000-4000-8000-000000000001',
      version: 2,
      status: 'withdrawn' as const,
      destination: {
        destinationId: 'd0000000-0000-4000-8000-000000000001',
        kind: 'conversions_dataset' as const,
        adAccountId: 'act_42',
        datasetId: '99',
      },
      dataUses: ['analytics.reporting.ad_performance'],
      scope: 'label' as const,
      label: 'vip',
    };
    const row = authorizationEvent(TENANT, state, NOW);
    expect(row.key).toBe(`${TENANT}:authorization:${state.authorizationId}`);
    expect(row.payload.eventId).toBe(`${state.authorizationId}:v2`);
    expect(validateEvent(Topics.MarketingAuthorized, row.payload)).toEqual(expect.objectContaining({ ok: true }));
  });
});

describe('authorization input rules', () => {
  const problems = (f: () => unknown): string[] => {
    try {
      f();
    } catch (error) {
      return (error as { details?: string[] }).details ?? [];
    }
    return [];
  };

  it('a label goes with scope label, and only with it', () => {
    expect(problems(() => checkTerms({ dataUses: ['a.b'], scope: 'label' }, 'active'))).toEqual([
      'label is required when scope is label',
    ]);
    expect(problems(() => checkTerms({ dataUses: ['a.b'], scope: 'all', label: 'vip' }, 'active'))).toEqual([
      'label is not allowed when scope is all',
    ]);
    expect(checkTerms({ dataUses: ['z.y', 'a.b'], scope: 'label', label: 'vip' }, 'active')).toEqual({
      status: 'active',
      dataUses: ['a.b', 'z.y'],
      scope: 'label',
      label: 'vip',
    });
  });

  it('an audience needs an audience id and a dataset a dataset id, never the other', () => {
    expect(problems(() => checkDestination({ kind: 'customer_list_audience', adAccountId: 'act_1' }))).toEqual([
      'destination.audienceId is required for kind customer_list_audience',
    ]);
    expect(
      problems(() =>
        checkDestination({ kind: 'conversions_dataset', adAccountId: 'act_1', datasetId: '5', audienceId: '6' }),
      ),
    ).toEqual(['destination.audienceId is not allowed for kind conversions_dataset']);
    expect(checkDestination({ kind: 'conversions_dataset', adAccountId: 'act_1', datasetId: '5' })).toEqual({
      objectId: '5',
    });
  });
});
