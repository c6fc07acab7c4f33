import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { createApp, listen, loadConfig } from '@custody/platform';
import { httpClient } from '@custody/testing';
import { AppModule as SandboxModule } from '../../apps/sandbox/src/app.module';
import { SandboxEnv } from '../../apps/sandbox/src/config/sandbox.env';
import { APP_META as SANDBOX_META } from '../../apps/sandbox/src/meta';
import { freePort } from '../support/platform.harness';

/**
 * What every app's HTTP layer (libs/platform createApp) does for security, on an app that needs
 * no stack: security headers and `Cache-Control: no-store` on every answer (errors included), and
 * Swagger and `/metrics` that can be turned off or moved to an admin port.
 */
describe('HTTP hardening of every app', () => {
  const env = () =>
    loadConfig(SandboxEnv, {
      ...process.env,
      NETWORK_HMAC_SECRET: randomBytes(24).toString('base64url'),
      SANDBOX_ADS_ACCESS_TOKEN: randomBytes(24).toString('base64url'),
    });
  const apps: INestApplication[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
  });

  it('sends security headers and no-store on answers, errors and unknown paths', async () => {
    const app = await createApp(SandboxModule.register(env()), { ...SANDBOX_META, rawBody: true });
    apps.push(app);
    const request = httpClient(await listen(app, 0, '127.0.0.1'));
    for (const [method, path, status] of [
      ['GET', '/health/live', 200],
      ['GET', '/ads/_sandbox/faults', 200],
      ['POST', '/ads/v25.0/123/users', 401],
      ['GET', '/nowhere', 404],
    ] as const) {
      const res = await request(method, path);
      expect({ path, status: res.status }).toEqual({ path, status });
      expect({ path, ...pick(res.headers) }).toEqual({
        path,
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
      });
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
    expect((await request('GET', '/docs-json')).status).toBe(200);
    expect((await request('GET', '/metrics')).status).toBe(200);
  });

  it('turns Swagger off and moves /metrics to an admin port', async () => {
    const metricsPort = await freePort();
    const app = await createApp(SandboxModule.register(env()), {
      ...SANDBOX_META,
      rawBody: true,
      docs: false,
      metricsPort,
    });
    apps.push(app);
    const request = httpClient(await listen(app, 0, '127.0.0.1'));
    expect((await request('GET', '/docs-json')).status).toBe(404);
    expect((await request('GET', '/docs')).status).toBe(404);
    expect((await request('GET', '/metrics')).status).toBe(404);
    const admin = httpClient(`http://127.0.0.1:${metricsPort}`);
    const metrics = await admin('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('# HELP');
    expect((await admin('GET', '/health/live')).status).toBe(404);
  });
});

function pick(headers: Headers): Record<string, string | null> {
  return Object.fromEntries(
    ['cache-control', 'content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy'].map(
      (h) => [h, headers.get(h)],
    ),
  );
}
