import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { schemaFor } from './events';
import { fastCheckFor, isCanonicalUtc } from './fast-check';
import { Topic, Topics } from './topics';
import './index';

const REF = 'R'.repeat(43);
const SEALED = `v1.1.${'A'.repeat(16)}.${'B'.repeat(40)}`;

const tenantId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const uuid = 'f47ac10b-58cc-4372-a567-0e02b2c3d479';
const at = '2026-11-25T10:00:00.000Z';
const marking = { e2e: false, hostedBy: 'custody' };
const message = {
  eventId: 'wamid.HBgLMTIzNDU2Nzg5MA',
  type: 'message.inbound',
  tenantId,
  occurredAt: at,
  messageId: 'wamid.HBgLMTIzNDU2Nzg5MA',
  conversationId: uuid,
  phoneNumberId: '1234567',
  customer: { ref: REF, waIdCiphertext: SEALED, profileName: 'Ana' },
  origin: 'customer',
  messageType: 'text',
  contentCiphertext: `v1.1.${'A'.repeat(16)}.${'B'.repeat(40)}`,
  referral: { sourceId: 'ad-1', sourceType: 'ad', ctwaClid: 'clid-1' },
  networkTimestamp: at,
  custody: marking,
};
const status = {
  eventId: 's1',
  type: 'message.status',
  tenantId,
  occurredAt: at,
  messageId: 'wamid.HBgLMTIzNDU2Nzg5MA',
  conversationId: uuid,
  phoneNumberId: '1234567',
  recipient: { ref: REF, waIdCiphertext: SEALED },
  status: 'failed',
  networkTimestamp: at,
  errors: [{ code: 131026, title: 'Message undeliverable' }],
  custody: marking,
};
const destination = { destinationId: uuid, kind: 'customer_list_audience', adAccountId: 'act_123', audienceId: '456' };

/** One valid event per topic schema; every shape of field and nesting appears at least once. */
const SAMPLES: Array<[Topic, Record<string, unknown>]> = [
  [
    Topics.TenantsChanged,
    {
      eventId: 'e1',
      type: 'tenant.changed',
      tenantId,
      occurredAt: at,
      businessAccountId: '123',
      status: 'active',
      phoneNumbers: [{ phoneNumberId: '1234567', displayPhoneNumber: '+15550001111' }],
      webhookUrl: 'https://example.com/hook',
      webhookAppSecretCiphertext: `v1.2.${'C'.repeat(16)}.${'D'.repeat(64)}`,
      dataKeys: [
        {
          version: 2,
          masterKeyId: 'mk-1',
          wrappedKey: Buffer.alloc(61, 3).toString('base64'),
          createdAt: at,
          retiredAt: at,
          destroyedAt: at,
        },
      ],
      messagesPerSecond: 80,
      deleted: false,
    },
  ],
  [Topics.MessagesInbound, message],
  [Topics.MessagesStatus, status],
  [Topics.MessagesStored, { eventId: 'x', type: 'stored.message', tenantId, occurredAt: at, message, advanced: true }],
  [Topics.MessagesStored, { eventId: 'y', type: 'stored.status', tenantId, occurredAt: at, status }],
  [
    Topics.ConsentEvents,
    {
      eventId: 'c1',
      type: 'consent.granted',
      tenantId,
      occurredAt: at,
      subject: 'a'.repeat(64),
      customer: { ref: REF },
      purpose: {
        key: 'offers',
        dataUse: 'marketing.advertising',
        version: 2,
        language: 'en',
        wordingHash: 'b'.repeat(64),
      },
      status: 'granted',
      method: 'in_chat_keyword',
      logIndex: 3,
      leafHash: Buffer.alloc(32).toString('base64'),
      effectiveAt: at,
    },
  ],
  [
    Topics.ConsentCheckpoints,
    {
      eventId: 'k1',
      type: 'consent.checkpoint',
      tenantId,
      occurredAt: at,
      origin: `consent.custody.local/${tenantId}`,
      treeSize: 7,
      rootHash: Buffer.alloc(32, 1).toString('base64'),
      checkpoint: `consent.custody.local/${tenantId}\n7\n${Buffer.alloc(32, 1).toString('base64')}\n\n— consent.custody.local/${tenantId} AAAA\n`,
    },
  ],
  [
    Topics.MarketingAuthorized,
    {
      eventId: `${uuid}:wamid.HBgLMTIzNDU2Nzg5MA`,
      type: 'marketing.candidate',
      tenantId,
      occurredAt: at,
      candidate: {
        authorizationId: uuid,
        authorizationVersion: 1,
        destination,
        dataUses: ['marketing.advertising.first_party.targeted'],
        messageId: 'wamid.HBgLMTIzNDU2Nzg5MA',
        conversationId: uuid,
        phoneNumberId: '1234567',
        customer: { ref: REF, memberHash: 'c'.repeat(64) },
        origin: 'customer',
        networkTimestamp: at,
        referral: { ctwaClid: 'clid-1' },
        custody: marking,
      },
    },
  ],
  [
    Topics.MarketingAuthorized,
    {
      eventId: `${uuid}:v2`,
      type: 'marketing.authorization',
      tenantId,
      occurredAt: at,
      authorization: {
        authorizationId: uuid,
        version: 2,
        status: 'withdrawn',
        destination,
        dataUses: ['marketing.advertising'],
        scope: 'label',
        label: 'vip',
      },
    },
  ],
  [
    Topics.ExportResults,
    {
      eventId: 'r1',
      type: 'export.sent',
      tenantId,
      occurredAt: at,
      destinationId: uuid,
      ledgerId: 'l1',
      messageId: 'wamid.HBgLMTIzNDU2Nzg5MA',
    },
  ],
  [
    Topics.ErasureRequests,
    {
      eventId: uuid,
      type: 'erasure.requested',
      tenantId,
      occurredAt: at,
      requestId: uuid,
      customer: { ref: REF, waIdCiphertext: SEALED },
    },
  ],
  [
    Topics.ErasureResults,
    {
      eventId: `${uuid}:consent`,
      type: 'erasure.completed',
      tenantId,
      occurredAt: at,
      requestId: uuid,
      service: 'consent',
      outcome: 'erased',
      counts: { pseudonyms: 1 },
      attempt: 1,
    },
  ],
  [
    Topics.OffboardingRequests,
    { eventId: uuid, type: 'offboarding.requested', tenantId, occurredAt: at, offboardingId: uuid },
  ],
  [
    Topics.OffboardingResults,
    {
      eventId: `${uuid}:consent`,
      type: 'offboarding.completed',
      tenantId,
      occurredAt: at,
      offboardingId: uuid,
      service: 'consent',
      outcome: 'removed',
      tables: { log_entries: 3 },
      logHead: { treeSize: 3, root: 'ab'.repeat(32) },
    },
  ],
];

const WRONG_VALUES: unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  '',
  'x',
  'wamid.short',
  true,
  false,
  {},
  [],
  [1],
  [{}],
  { a: 1 },
];

/** Every value reachable from the root, as a path of keys. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof value !== 'object' || value === null) {
    return [];
  }
  return Object.entries(value).flatMap(([k, v]) => {
    const key = Array.isArray(value) ? Number(k) : k;
    return [[...prefix, key], ...paths(v, [...prefix, key])];
  });
}

function withValue(root: unknown, path: Array<string | number>, value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) {
    node = node[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined && !Array.isArray(node)) {
    delete node[last];
  } else {
    node[last] = value;
  }
  return copy;
}

function withExtraKey(root: unknown, path: Array<string | number>): unknown {
  const copy = structuredClone(root) as Record<string, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const key of path) {
    node = node[key] as Record<string | number, unknown>;
  }
  if (typeof node === 'object' && node !== null && !Array.isArray(node)) {
    node.surprise = 1;
  }
  return copy;
}

const slowOk = (schema: new () => object, value: unknown) =>
  validateSync(plainToInstance(schema, value), {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  }).length === 0;

describe('fastCheckFor', () => {
  it.each(SAMPLES.map(([topic, sample]) => [`${topic} ${String(sample.type)}`, topic, sample] as const))(
    'compiles the %s schema and accepts the valid sample',
    (_, topic, sample) => {
      const schema = schemaFor(topic)!;
      const check = fastCheckFor(schema);
      expect(check).toBeDefined();
      expect(slowOk(schema, sample)).toBe(true);
      expect(check!(sample)).toBe(true);
    },
  );

  it.each(SAMPLES.map(([topic, sample]) => [`${topic} ${String(sample.type)}`, topic, sample] as const))(
    'never accepts what class-validator rejects, over every single-field mutation of the %s sample',
    (_, topic, sample) => {
      const schema = schemaFor(topic)!;
      const check = fastCheckFor(schema)!;
      const cases: unknown[] = [];
      for (const path of paths(sample)) {
        for (const wrong of WRONG_VALUES) {
          cases.push(withValue(sample, path, wrong));
        }
      }
      for (const path of [[], ...paths(sample)]) {
        cases.push(withExtraKey(sample, path));
      }
      // Safety: the fast check never accepts what class-validator rejects.
      expect(cases.filter((c) => check(c) && !slowOk(schema, c))).toEqual([]);
      // It may be stricter, and is in exactly one known place: class-validator lets `null` or an
      // array through as an element of a nested array; those events take the slow path, which
      // accepts them as before.
      const stricter = cases.filter((c) => !check(c) && slowOk(schema, c)).map((c) => JSON.stringify(c));
      expect(stricter.filter((json) => !/\[(null|\[\])\]/.test(json))).toEqual([]);
      // The corpus must exercise both answers, or it proves nothing.
      expect(cases.some((c) => check(c))).toBe(true);
      expect(cases.some((c) => !check(c))).toBe(true);
    },
  );

  it('answers no for non-objects, as class-validator does for events', () => {
    const check = fastCheckFor(schemaFor(Topics.MessagesInbound)!)!;
    for (const v of [null, undefined, 'x', 1, [message]]) {
      expect(check(v)).toBe(false);
    }
  });

  it('declines (undefined) a class whose decorators it does not model', () => {
    class NoMetadata {
      x?: string;
    }
    expect(fastCheckFor(NoMetadata)).toBeUndefined();
  });
});

describe('isCanonicalUtc (the fast path of IsISO8601)', () => {
  it('takes what Date#toISOString writes', () => {
    expect(isCanonicalUtc(at)).toBe(true);
    expect(isCanonicalUtc(new Date(0).toISOString())).toBe(true);
    // A day a millisecond apart across 400 years (leap years and centuries included).
    for (let t = Date.UTC(1900, 0, 1); t < Date.UTC(2300, 0, 1); t += 86_400_000 * 7 - 1) {
      expect(isCanonicalUtc(new Date(t).toISOString())).toBe(true);
    }
  });

  it('leaves everything else to the general check', () => {
    for (const value of [
      '2026-02-30T10:00:00.000Z',
      '2026-11-25T10:00:00Z',
      '2026-11-25T10:00:00.000+01:00',
      '2026-11-25',
      ` ${at}`,
      42,
      null,
    ]) {
      expect(isCanonicalUtc(value)).toBe(false);
    }
  });

  it('changes no verdict: other ISO forms still pass, impossible dates still fail', () => {
    const check = fastCheckFor(schemaFor(Topics.MessagesInbound)!)!;
    for (const occurredAt of [at, '2026-11-25T10:00:00Z', '2026-11-25T11:00:00+01:00']) {
      expect(check({ ...message, occurredAt })).toBe(true);
    }
    for (const occurredAt of ['2026-02-30T10:00:00.000Z', 'yesterday']) {
      expect(check({ ...message, occurredAt })).toBe(false);
    }
  });
});
