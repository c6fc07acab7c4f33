import type { INestApplication } from '@nestjs/common';
import type { JWK } from 'jose';
import { randomBytes } from 'node:crypto';
import { SigningKeys } from '@custody/auth';
import { KeyProvider, LocalKeyProvider } from '@custody/crypto';
import { configureLogging } from '@custody/observability';
import { createApp, listen, loadConfig } from '@custody/platform';
import { httpClient, HttpRequest, uniqueDigits, uniqueName, waitForStableGroups } from '@custody/testing';
import { AppModule } from '../../apps/tenant-store/src/app.module';
import { TenantStoreEnv } from '../../apps/tenant-store/src/config/tenant-store.env';
import { TENANT_STORE_META } from '../../apps/tenant-store/src/meta';

export const TEST_ISSUER = 'http://custody.test';

/**
 * Every tenant-store of a test run shares one master key: they share one database, and each may
 * store another's messages. A fixed, test-only key (never used outside tests).
 */
export const TEST_MASTER_KEYS = { keys: [{ id: 'mk-test', key: Buffer.alloc(32, 7).toString('base64') }] };
export const TEST_AUDIENCE = 'custody';

export interface TestTenant {
  id: string;
  businessAccountId: string;
  phoneNumberId: string;
  clientId: string;
  clientSecret: string;
  appSecret: string;
  token: () => Promise<string>;
}

export interface TenantStoreHarness {
  app: INestApplication;
  url: string;
  request: HttpRequest;
  privateJwks: { keys: JWK[] };
  operator: { clientId: string; clientSecret: string };
  operatorToken: () => Promise<string>;
  tokenFor: (clientId: string, clientSecret: string) => Promise<string>;
  newTenant: (overrides?: Record<string, unknown>) => Promise<TestTenant>;
  close: () => Promise<void>;
}

/**
 * Starts tenant-store in-process on an ephemeral port, against the real stack. `masterKeys`
 * replaces the shared test master key (e.g. a key file, for master key rotation).
 */
/** The key that seals ads credentials between tenant-store and marketing-export in the tests of one file. */
export const TEST_ADS_CREDENTIAL_KEY = randomBytes(32).toString('base64');

/**
 * `adsUrl`: the ads platform tenant-store checks credentials and ownership at (a sandbox's
 * `…/ads`); without it marketing authorizations answer 503, as in a deployment without one.
 */
export async function startTenantStore(
  options: { masterKeys?: KeyProvider; adsUrl?: string } = {},
): Promise<TenantStoreHarness> {
  configureLogging('tenant-store-test', process.env.LOG_LEVEL ?? 'silent');
  const privateJwks = await SigningKeys.generateJwks('ES256');
  process.env.KAFKA_GROUP_PREFIX ??= `test-${randomBytes(4).toString('hex')}`;
  // On a broker shared by many test files, a new group starts at the end, not at all history.
  process.env.KAFKA_NEW_GROUP_START = 'latest';
  const keys = await SigningKeys.fromJwks(privateJwks);
  const operator = { clientId: uniqueName('operator'), clientSecret: randomBytes(32).toString('base64url') };
  const env = loadConfig(TenantStoreEnv, {
    ...process.env,
    JWT_ISSUER: TEST_ISSUER,
    JWT_AUDIENCE: TEST_AUDIENCE,
    JWT_SIGNING_KEYS_FILE: '(in memory)',
    MASTER_KEY_FILE: '(in memory)',
    OPERATOR_CLIENT_ID: operator.clientId,
    OPERATOR_CLIENT_SECRET: operator.clientSecret,
    ADS_CREDENTIAL_KEY: TEST_ADS_CREDENTIAL_KEY,
    // The tests' webhook receivers listen on loopback (the explicit opt-in; off by default).
    EGRESS_ALLOW_LOOPBACK: 'true',
    ...(options.adsUrl ? { ADS_API_URL: options.adsUrl } : {}),
  });
  const app = await createApp(
    AppModule.register(env, keys, options.masterKeys ?? new LocalKeyProvider(TEST_MASTER_KEYS)),
    TENANT_STORE_META,
  );
  const url = await listen(app, 0, '127.0.0.1');
  // messages, statuses, erasure.
  await waitForStableGroups(process.env.KAFKA_GROUP_PREFIX, 3);
  const request = httpClient(url);

  const tokenFor = async (clientId: string, clientSecret: string): Promise<string> => {
    const res = await request('POST', '/v1/oauth/token', {
      form: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
    });
    if (res.status !== 200) {
      throw new Error(`token request failed: ${res.status} ${res.text}`);
    }
    return res.body.access_token as string;
  };
  const operatorToken = () => tokenFor(operator.clientId, operator.clientSecret);

  const newTenant = async (overrides: Record<string, unknown> = {}): Promise<TestTenant> => {
    const businessAccountId = uniqueDigits(15);
    const phoneNumberId = uniqueDigits(15);
    const appSecret = randomBytes(24).toString('base64url');
    const res = await request('POST', '/v1/tenants', {
      token: await operatorToken(),
      body: {
        businessAccountId,
        displayName: uniqueName('Tenant'),
        phoneNumbers: [{ phoneNumberId, displayPhoneNumber: `+1555${uniqueDigits(7)}` }],
        appSecret,
        ...overrides,
      },
    });
    if (res.status !== 201) {
      throw new Error(`tenant creation failed: ${res.status} ${res.text}`);
    }
    const { clientId, clientSecret } = res.body.credentials;
    // The account and first number as created, the caller's own when it gave them.
    const given = overrides as { businessAccountId?: string; phoneNumbers?: Array<{ phoneNumberId: string }> };
    return {
      id: res.body.tenant.id,
      businessAccountId: given.businessAccountId ?? businessAccountId,
      phoneNumberId: given.phoneNumbers?.[0]?.phoneNumberId ?? phoneNumberId,
      clientId,
      clientSecret,
      appSecret,
      token: () => tokenFor(clientId, clientSecret),
    };
  };

  return { app, url, request, privateJwks, operator, operatorToken, tokenFor, newTenant, close: () => app.close() };
}
