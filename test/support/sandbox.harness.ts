import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { configureLogging } from '@custody/observability';
import { createApp, listen, loadConfig } from '@custody/platform';
import { httpClient, HttpRequest, uniqueDigits } from '@custody/testing';
import { AppModule as SandboxModule } from '../../apps/sandbox/src/app.module';
import { SandboxEnv } from '../../apps/sandbox/src/config/sandbox.env';
import { APP_META as SANDBOX_META } from '../../apps/sandbox/src/meta';

export interface SandboxHarness {
  app: INestApplication;
  url: string;
  request: HttpRequest;
  /** The simulated ads platform's administrator token (SANDBOX_ADS_ACCESS_TOKEN): it issues ad-account tokens. */
  adsAdminToken: string;
  /** A new access token of the ad account (`act_<digits>`): it reaches that account's audiences and datasets only. */
  adsTokenFor: (adAccountId: string) => Promise<string>;
  close: () => Promise<void>;
}

/**
 * The sandbox alone (it needs neither Kafka nor PostgreSQL), in this process on a free loopback
 * port; e.g. as the ads destination of the marketing export in its tests.
 */
export async function startSandbox(env: Record<string, string> = {}): Promise<SandboxHarness> {
  configureLogging('sandbox-test', process.env.LOG_LEVEL ?? 'silent');
  const adsAccessToken = randomBytes(24).toString('base64url');
  const config = loadConfig(SandboxEnv, {
    ...process.env,
    NETWORK_HMAC_SECRET: randomBytes(24).toString('base64url'),
    INGEST_URL: 'http://127.0.0.1:1',
    SANDBOX_ADS_ACCESS_TOKEN: adsAccessToken,
    ...env,
  });
  const app = await createApp(SandboxModule.register(config), { ...SANDBOX_META, rawBody: true });
  const url = await listen(app, 0, '127.0.0.1');
  const request = httpClient(url);
  return {
    app,
    url,
    request,
    adsAdminToken: config.SANDBOX_ADS_ACCESS_TOKEN,
    adsTokenFor: (adAccountId) => issueAdsToken(request, config.SANDBOX_ADS_ACCESS_TOKEN, adAccountId),
    close: () => app.close(),
  };
}

/** Issues an access token for an ad account at a sandbox (`request` is the sandbox's client). */
export async function issueAdsToken(request: HttpRequest, adminToken: string, adAccountId: string): Promise<string> {
  const res = await request('POST', `/ads/_sandbox/ad-accounts/${adAccountId}/tokens`, { token: adminToken });
  if (res.status !== 201) {
    throw new Error(`the sandbox did not issue an ads token: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
  return (res.body as { accessToken: string }).accessToken;
}

/**
 * Registers a new ad account of the tenant at tenant-store (`storeRequest`), with a token the
 * sandbox's ads platform issued for it, as a tenant does before authorizing a destination of that
 * account. Returns the ad account id.
 */
export async function registerAdsAccount(
  storeRequest: HttpRequest,
  tenantToken: string,
  adsTokenFor: (adAccountId: string) => Promise<string>,
): Promise<string> {
  const adAccountId = `act_${uniqueDigits(12)}`;
  const res = await storeRequest('PUT', `/v1/marketing/ads-accounts/${adAccountId}`, {
    token: tenantToken,
    body: { accessToken: await adsTokenFor(adAccountId) },
  });
  if (res.status !== 200) {
    throw new Error(`tenant-store did not register the ads credential: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
  return adAccountId;
}
