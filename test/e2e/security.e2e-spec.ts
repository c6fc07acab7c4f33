import type { INestApplication } from '@nestjs/common';
import { generateKeyPair, exportJWK, SignJWT } from 'jose';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp, listen, loadConfig } from '@custody/platform';
import {
  httpClient,
  HttpRequest,
  mintAlgNone,
  mintHs256,
  mintWithKey,
  uniqueDigits,
  waitForStableGroups,
} from '@custody/testing';
import { AppModule as ConsentModule } from '../../apps/consent/src/app.module';
import { ConsentEnv } from '../../apps/consent/src/config/consent.env';
import { ConsentSettings } from '../../apps/consent/src/config/consent.settings';
import { APP_META as CONSENT_META } from '../../apps/consent/src/meta';
import { LogKeysRepository } from '../../apps/consent/src/repositories/log-keys.repository';
import { ExportHarness, startMarketingExport } from '../support/marketing-export.harness';
import { PlatformHarness, startPlatform } from '../support/platform.harness';
import { registerAdsAccount } from '../support/sandbox.harness';
import { LocalKeyProvider } from '@custody/crypto';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_MASTER_KEYS, TestTenant } from '../support/tenant-store.harness';
import { waitFor } from '../support/wait';

const ROOT = join(__dirname, '..', '..');
const SERVICES = ['tenant-store', 'ingest', 'consent', 'marketing-export'] as const;
type Service = (typeof SERVICES)[number];
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  service: Service;
  method: (typeof METHODS)[number];
  path: string;
}

/** Every authenticated operation of every service, from the committed OpenAPI documents. */
function securedOperations(): Operation[] {
  const out: Operation[] = [];
  for (const service of SERVICES) {
    const doc = JSON.parse(readFileSync(join(ROOT, 'docs/openapi', `${service}.json`), 'utf8')) as {
      paths: Record<string, Partial<Record<(typeof METHODS)[number], { security?: unknown[] }>>>;
    };
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        if ((item[method]?.security?.length ?? 0) > 0) {
          out.push({ service, method, path });
        }
      }
    }
  }
  return out;
}

/**
 * The security suite (issue 15): two tenants on the whole platform. Tenant B probes every
 * authenticated route of every service — driven from docs/openapi, so a new route is probed
 * without anyone remembering to — with A's ids in every path parameter, as admin and as auditor;
 * no answer may carry anything of A's, and A's data must be unchanged afterwards. Forged tokens
 * are refused everywhere. (The SSRF set is test/e2e/ssrf.e2e-spec.ts, the audience-ownership case
 * apps/tenant-store/test/marketing-authorization.int-spec.ts and test/e2e/marketing-export.e2e-spec.ts.)
 */
describe('security suite: cross-tenant probes over every route, forged tokens (real stack)', () => {
  let p: PlatformHarness;
  let consentApp: INestApplication;
  let ex: ExportHarness;
  const clients = {} as Record<Service, HttpRequest>;

  beforeAll(async () => {
    p = await startPlatform();
    const logKey = await LogKeysRepository.generatePrivateJwk();
    const env = loadConfig(ConsentEnv, {
      ...process.env,
      JWT_ISSUER: TEST_ISSUER,
      JWT_AUDIENCE: TEST_AUDIENCE,
      JWKS_URL: `${p.store.url}/.well-known/jwks.json`,
      CONSENT_LOG_KEY_FILE: '(in memory)',
      MASTER_KEY_FILE: '(in memory)',
      KAFKA_GROUP_PREFIX: p.groupPrefix,
    });
    consentApp = await createApp(
      ConsentModule.register(
        env,
        await LogKeysRepository.load(logKey),
        new LocalKeyProvider(TEST_MASTER_KEYS),
        ConsentSettings.from(env, { runScheduler: false }),
      ),
      CONSENT_META,
    );
    ex = await startMarketingExport({
      jwksUrl: `${p.store.url}/.well-known/jwks.json`,
      adsUrl: `${p.sandboxUrl}/ads`,
      adsTokenFor: p.adsTokenFor,
    });
    clients['tenant-store'] = p.store.request;
    clients.ingest = p.ingest;
    clients.consent = httpClient(await listen(consentApp, 0, '127.0.0.1'));
    clients['marketing-export'] = ex.request;
    await waitForStableGroups(p.groupPrefix, 9);
  });
  afterAll(async () => {
    await ex?.close();
    await consentApp?.close();
    await p?.close();
  });

  async function auditorToken(tenant: TestTenant): Promise<string> {
    const credential = await p.store.request('POST', `/v1/tenants/${tenant.id}/credentials`, {
      token: await p.store.operatorToken(),
      body: { roles: ['auditor'] },
    });
    expect(credential.status).toBe(201);
    return p.store.tokenFor(credential.body.clientId, credential.body.clientSecret);
  }

  it('tenant B reaches nothing of tenant A on any route of any service, and changes nothing of A', async () => {
    const [a, b] = [await p.newTenant(), await p.newTenant()];
    const [tokenA, tokenB, auditorB] = [await a.token(), await b.token(), await auditorToken(b)];
    const secretText = `A-secret-${uniqueDigits(12)}`;
    const waId = p.newCustomer();

    // A's data: a conversation with a message, a label, a purpose and a grant, an ads account with
    // an authorization, an erasure request (of another customer).
    const sent = await p.sandbox('POST', `/sandbox/v1/customers/${waId}/messages`, {
      body: { phoneNumberId: a.phoneNumberId, text: secretText },
    });
    const messageId = sent.body.messageId as string;
    const conversation = await waitFor('A’s message stored', async () => {
      const res = await p.store.request('GET', '/v1/conversations', { token: tokenA });
      return res.body.data?.[0];
    });
    const conversationId = conversation.id as string;
    expect(
      (
        await p.store.request('PUT', `/v1/conversations/${conversationId}/labels`, {
          token: tokenA,
          body: { labels: ['vip'] },
        })
      ).status,
    ).toBe(200);
    const purposeKey = `a-secret-${uniqueDigits(6)}`;
    const consent = clients.consent;
    expect(
      (
        await consent('POST', '/v1/consent/purposes', {
          token: tokenA,
          body: {
            key: purposeKey,
            dataUse: 'marketing.advertising',
            wording: { language: 'en', text: 'A may use chats for ads.' },
          },
        })
      ).status,
    ).toBe(201);
    const prompt = await consent('POST', '/v1/consent/prompts', {
      token: tokenA,
      body: { customer: { waId }, language: 'en', purposes: [purposeKey] },
    });
    const grant = await consent('POST', '/v1/consent/records', {
      token: tokenA,
      body: { customer: { waId }, purpose: purposeKey, action: 'grant', method: 'api', promptId: prompt.body.id },
    });
    expect(grant.status).toBe(201);
    const adAccountId = await registerAdsAccount(p.store.request, tokenA, p.adsTokenFor);
    const audienceId = uniqueDigits(15);
    const authorization = await p.store.request('POST', '/v1/marketing/authorizations', {
      token: tokenA,
      body: {
        destination: { kind: 'customer_list_audience', adAccountId, audienceId },
        dataUses: ['marketing.advertising.first_party.targeted'],
        scope: 'all',
      },
    });
    expect(authorization.status).toBe(201);
    const erasure = await p.store.request('POST', '/v1/erasure-requests', {
      token: tokenA,
      body: { waId: p.newCustomer() },
    });
    expect(erasure.status).toBeLessThan(300);

    /** What must never reach B (B's own request may echo what B sent; that is not A's data). */
    const secrets = [
      secretText,
      a.id,
      conversationId,
      messageId,
      authorization.body.id,
      erasure.body.id,
      grant.body.id,
      adAccountId,
      audienceId,
      purposeKey,
      a.phoneNumberId,
      a.clientId,
    ];
    const objectIds = [
      a.id,
      conversationId,
      messageId,
      authorization.body.id,
      erasure.body.id,
      adAccountId,
      audienceId,
      purposeKey,
      a.phoneNumberId,
    ];
    const params: Record<string, string> = {
      tenantId: a.id,
      waId,
      key: purposeKey,
      adAccountId,
      label: 'vip',
      phoneNumberId: a.phoneNumberId,
      version: 'v25.0',
    };
    const idFor = (path: string): string =>
      path.startsWith('/v1/conversations')
        ? conversationId
        : path.startsWith('/v1/marketing/authorizations')
          ? authorization.body.id
          : path.startsWith('/v1/erasure-requests')
            ? erasure.body.id
            : path.startsWith('/v1/messages')
              ? messageId
              : path.startsWith('/v1/media')
                ? '1234567890123456'
                : a.id;
    const bodies: Record<string, unknown> = {
      'put /v1/conversations/{id}/labels': { labels: ['taken-by-b'] },
      'put /v1/marketing/authorizations/{id}': { dataUses: ['analytics.reporting.ad_performance'], scope: 'all' },
      'post /v1/marketing/authorizations': {
        destination: { kind: 'customer_list_audience', adAccountId, audienceId },
        dataUses: ['marketing.advertising.first_party.targeted'],
        scope: 'all',
      },
      'post /{version}/{phoneNumberId}/messages': {
        messaging_product: 'whatsapp',
        to: waId,
        type: 'text',
        text: { body: 'from B' },
      },
      'post /v1/consent/records': { customer: { waId }, purpose: purposeKey, action: 'revoke', method: 'api' },
      'post /v1/consent/purposes/{key}/wordings': { language: 'en', text: 'B rewrites A’s wording' },
      'patch /v1/tenants/{id}': { messagesPerSecond: 1 },
      'delete /v1/tenants/{id}': { confirmBusinessAccountId: a.businessAccountId },
      'post /v1/tenants/{id}/credentials': { roles: ['tenant_admin'] },
      'put /v1/webhook': { url: 'https://example.com/hook', verifyToken: 'b-verify-token' },
    };

    const operations = securedOperations();
    expect(operations.length).toBeGreaterThan(60);
    const leaks: string[] = [];
    for (const op of operations) {
      const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) =>
        name === 'id' ? idFor(op.path) : (params[name] ?? a.id),
      );
      const body =
        bodies[`${op.method} ${op.path}`] ?? (op.method === 'get' || op.method === 'delete' ? undefined : {});
      for (const [role, token] of [
        ['admin', tokenB],
        ['auditor', auditorB],
      ] as const) {
        const res = await clients[op.service](op.method.toUpperCase(), path, { token, body });
        const sentText = `${path} ${JSON.stringify(body ?? '')}`;
        const text = res.text ?? '';
        for (const secret of secrets) {
          if (!sentText.includes(secret) && text.includes(secret)) {
            leaks.push(
              `${op.service} ${op.method.toUpperCase()} ${op.path} as B ${role}: ${res.status} carries A's ${secret}`,
            );
          }
        }
        // Naming an object of A's (not a customer number, which two businesses may share) and
        // succeeding is a leak too: e.g. binding A's audience, sending from A's number.
        const named = objectIds.filter((id) => sentText.includes(id));
        if (named.length > 0 && res.status < 300) {
          leaks.push(
            `${op.service} ${op.method.toUpperCase()} ${op.path} as B ${role}: ${res.status} with A's ${named.join(', ')}`,
          );
        }
        if (res.status >= 500) {
          leaks.push(`${op.service} ${op.method.toUpperCase()} ${op.path} as B ${role}: ${res.status}`);
        }
      }
    }
    expect(leaks).toEqual([]);

    // A's data is as it was.
    const after = await p.store.request('GET', `/v1/conversations/${conversationId}`, { token: tokenA });
    expect(after.status).toBe(200);
    expect(after.body.labels).toEqual(['vip']);
    expect(JSON.stringify(after.body)).toContain(secretText);
    const auth = await p.store.request('GET', `/v1/marketing/authorizations/${authorization.body.id}`, {
      token: tokenA,
    });
    expect(auth.body).toMatchObject({ version: 1, status: 'active' });
    const state = await consent('GET', `/v1/consent/customers/${waId}`, { token: tokenA });
    expect(JSON.stringify(state.body)).toContain('grant');
    expect((await p.store.request('GET', '/v1/tenants/me', { token: tokenA })).body.status).toBe('active');
  });

  it('refuses forged tokens on every service: alg none, HS256, a foreign key, edited claims, expired, wrong audience or issuer, embedded keys', async () => {
    const tenant = await p.newTenant();
    const genuine = await tenant.token();
    const [header, payload] = genuine.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const signing = p.store.privateJwks.keys[0];
    const base = { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, tenantId: tenant.id, roles: ['tenant_admin'] };
    const foreign = await generateKeyPair('ES256', { extractable: true });
    const foreignJwk = { ...(await exportJWK(foreign.privateKey)), alg: 'ES256', kid: signing.kid };
    const now = Math.floor(Date.now() / 1000);
    const embedded = (field: 'jwk' | 'jku') =>
      new SignJWT({ tenant_id: tenant.id, roles: ['tenant_admin'] })
        .setProtectedHeader({
          alg: 'ES256',
          kid: signing.kid,
          ...(field === 'jwk'
            ? { jwk: { kty: foreignJwk.kty, crv: foreignJwk.crv, x: foreignJwk.x, y: foreignJwk.y } }
            : { jku: 'https://attacker.example/jwks.json' }),
        })
        .setIssuer(TEST_ISSUER)
        .setAudience(TEST_AUDIENCE)
        .setSubject('forged')
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(foreign.privateKey);
    const forged: Record<string, string> = {
      'alg none': mintAlgNone(base),
      HS256: await mintHs256({ ...base, kid: signing.kid }),
      'foreign key, genuine kid': await mintWithKey(foreignJwk, base),
      'edited claims, genuine signature': `${header}.${Buffer.from(JSON.stringify({ ...claims, roles: ['operator'] })).toString('base64url')}.${genuine.split('.')[2]}`,
      expired: await mintWithKey(signing, { ...base, expiresIn: -120 }),
      'wrong audience': await mintWithKey(signing, { ...base, audience: 'someone-else' }),
      'wrong issuer': await mintWithKey(signing, { ...base, issuer: 'https://attacker.example' }),
      'embedded jwk': await embedded('jwk'),
      jku: await embedded('jku'),
    };
    const probes: Array<[Service, string]> = [
      ['tenant-store', '/v1/tenants/me'],
      ['tenant-store', '/v1/tenants'],
      ['ingest', '/v1/webhook'],
      ['consent', '/v1/consent/purposes'],
      ['marketing-export', '/v1/marketing/ledger'],
    ];
    for (const [service, path] of probes) {
      expect((await clients[service]('GET', path, { token: genuine })).status).not.toBe(401);
      for (const [name, token] of Object.entries(forged)) {
        const res = await clients[service]('GET', path, { token });
        expect({ service, path, name, status: res.status }).toEqual({ service, path, name, status: 401 });
      }
    }
  });
});
