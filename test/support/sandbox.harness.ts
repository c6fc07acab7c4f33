import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { configureLogging } from '@custody/observability';
import { createApp, listen, loadConfig } from '@custody/platform';
import { httpClient, HttpRequest } from '@custody/testing';
import { AppModule as SandboxModule } from '../../apps/sandbox/src/app.module';
import { SandboxEnv } from '../../apps/sandbox/src/config/sandbox.env';
import { APP_META as SANDBOX_META } from '../../apps/sandbox/src/meta';

export interface SandboxHarness {
  app: INestApplication;
  url: string;
  request: HttpRequest;
  /** The token the simulated ads platform accepts. */
  adsAccessToken: string;
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
  return {
    app,
    url,
    request: httpClient(url),
    adsAccessToken: config.SANDBOX_ADS_ACCESS_TOKEN,
    close: () => app.close(),
  };
}
