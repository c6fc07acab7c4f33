import type { INestApplication } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { LocalKeyProvider } from '@custody/crypto';
import { configureLogging } from '@custody/observability';
import { createApp, listen, loadConfig } from '@custody/platform';
import { httpClient, HttpRequest, uniqueDigits, waitForStableGroups } from '@custody/testing';
import { AppModule as IngestModule } from '../../apps/ingest/src/app.module';
import { IngestEnv } from '../../apps/ingest/src/config/ingest.env';
import { APP_META as INGEST_META } from '../../apps/ingest/src/meta';
import { GraphExceptionFilter } from '../../apps/ingest/src/services/graph-error';
import { AppModule as SandboxModule } from '../../apps/sandbox/src/app.module';
import { SandboxEnv } from '../../apps/sandbox/src/config/sandbox.env';
import { APP_META as SANDBOX_META } from '../../apps/sandbox/src/meta';
import {
  startTenantStore,
  TenantStoreHarness,
  TestTenant,
  TEST_AUDIENCE,
  TEST_ISSUER,
  TEST_MASTER_KEYS,
} from './tenant-store.harness';
import { issueAdsToken } from './sandbox.harness';
import { waitFor } from './wait';
import { platformSql } from './sql';

export interface PlatformOptions {
  ingestEnv?: Record<string, string>;
  sandboxEnv?: Record<string, string>;
}

export interface PlatformHarness {
  store: TenantStoreHarness;
  ingest: HttpRequest;
  ingestUrl: string;
  sandbox: HttpRequest;
  sandboxUrl: string;
  networkSecret: string;
  /** The sandbox ads platform's administrator token (SANDBOX_ADS_ACCESS_TOKEN): it issues ad-account tokens. */
  adsAdminToken: string;
  /** A new access token of the ad account at the sandbox's ads platform. */
  adsTokenFor: (adAccountId: string) => Promise<string>;
  groupPrefix: string;
  /** A tenant that ingest already routes. */
  newTenant: (overrides?: Record<string, unknown>) => Promise<TestTenant>;
  /** A new customer wa_id. */
  newCustomer: () => string;
  /** Runs SQL as the owner in a platform-scoped transaction (for assertions only). */
  sql: <T = any>(text: string, params?: unknown[]) => Promise<T[]>;
  close: () => Promise<void>;
}

async function closeWithin(app: INestApplication, name: string, ms = 20_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    app.close(),
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        process.stderr.write(`test harness: ${name} did not close within ${ms} ms\n`);
        resolve();
      }, ms);
    }),
  ]);
  clearTimeout(timer);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * tenant-store, ingest and the sandbox network in this process, on loopback, against the real
 * Kafka and PostgreSQL. Consumer groups get a prefix of their own so parallel test files do not
 * share (and rebalance) groups.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<PlatformHarness> {
  const groupPrefix = `test-${randomUUID().slice(0, 8)}`;
  process.env.KAFKA_GROUP_PREFIX = groupPrefix;
  const [ingestPort, sandboxPort] = [await freePort(), await freePort()];
  const ingestUrl = `http://127.0.0.1:${ingestPort}`;
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const store = await startTenantStore({ adsUrl: `${sandboxUrl}/ads` });
  configureLogging('platform-test', process.env.LOG_LEVEL ?? 'silent');
  const networkSecret = randomBytes(24).toString('base64url');
  const adsAdminToken = randomBytes(24).toString('base64url');

  const sandboxEnv = loadConfig(SandboxEnv, {
    ...process.env,
    INGEST_URL: ingestUrl,
    NETWORK_HMAC_SECRET: networkSecret,
    SANDBOX_ADS_ACCESS_TOKEN: adsAdminToken,
    ...options.sandboxEnv,
  });
  const sandboxApp = await createApp(SandboxModule.register(sandboxEnv), { ...SANDBOX_META, rawBody: true });
  await listen(sandboxApp, sandboxPort, '127.0.0.1');

  const ingestEnv = loadConfig(IngestEnv, {
    ...process.env,
    JWT_ISSUER: TEST_ISSUER,
    JWT_AUDIENCE: TEST_AUDIENCE,
    JWKS_URL: `${store.url}/.well-known/jwks.json`,
    NETWORK_HMAC_SECRET: networkSecret,
    NETWORK_URL: sandboxUrl,
    MASTER_KEY_FILE: '(in memory)',
    WEBHOOK_RETRY_BASE_MS: '200',
    WEBHOOK_TIMEOUT_MS: '1500',
    // The tests' webhook receivers listen on loopback (the explicit opt-in; off by default).
    EGRESS_ALLOW_LOOPBACK: 'true',
    KAFKA_GROUP_PREFIX: groupPrefix,
    KAFKA_NEW_GROUP_START: 'latest',
    ...options.ingestEnv,
  });
  const ingestApp: INestApplication = await createApp(
    IngestModule.register(ingestEnv, new LocalKeyProvider(TEST_MASTER_KEYS)),
    {
      ...INGEST_META,
      rawBody: true,
      exceptionFilter: new GraphExceptionFilter(),
    },
  );
  await listen(ingestApp, ingestPort, '127.0.0.1');
  // tenant-store's 3 groups and ingest's 4.
  await waitForStableGroups(groupPrefix, 7);

  const sql = platformSql;

  const newTenant = async (overrides: Record<string, unknown> = {}): Promise<TestTenant> => {
    const tenant = await store.newTenant(overrides);
    await waitFor('ingest to route the new tenant', async () => {
      const rows = await sql(`SELECT 1 FROM ingest.tenant_numbers WHERE phone_number_id = $1`, [tenant.phoneNumberId]);
      return rows.length > 0;
    });
    return tenant;
  };

  return {
    store,
    ingest: httpClient(ingestUrl),
    ingestUrl,
    sandbox: httpClient(sandboxUrl),
    sandboxUrl,
    networkSecret,
    adsAdminToken,
    adsTokenFor: (adAccountId) => issueAdsToken(httpClient(sandboxUrl), adsAdminToken, adAccountId),
    groupPrefix,
    newTenant,
    newCustomer: () => `1555${uniqueDigits(7)}`,
    sql,
    close: async () => {
      // Bounded: a slow shutdown (seen once: a Kafka consumer leaving its group) must not fail a
      // suite whose tests passed; the run's --forceExit reclaims whatever is left.
      await Promise.all([
        closeWithin(ingestApp, 'ingest'),
        closeWithin(sandboxApp, 'sandbox'),
        closeWithin(store.app, 'tenant-store'),
      ]);
    },
  };
}
