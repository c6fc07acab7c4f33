import { ConfigError, loadConfig } from './config';
import { EnvPort, EnvSecret, EnvUrl } from './config-decorators';
import { RemoteAuthEnv } from './env';

class PortEnv extends RemoteAuthEnv {
  @EnvPort()
  INGEST_PORT = 3000;
}

class ServiceAEnv extends RemoteAuthEnv {
  static readonly SERVICE_PREFIX = 'SERVICE_A';
}

class LinkEnv extends RemoteAuthEnv {
  @EnvSecret()
  LINK_SECRET: string;

  @EnvUrl()
  LINK_URL: string;
}

const valid = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5433/db',
  DATABASE_PLATFORM_URL: 'postgres://p:p@127.0.0.1:5433/db',
  JWT_ISSUER: 'http://issuer',
  JWT_AUDIENCE: 'custody',
  JWKS_URL: 'http://127.0.0.1:3001/.well-known/jwks.json',
};

describe('loadConfig', () => {
  it('applies defaults and converts types', () => {
    const env = loadConfig(PortEnv, valid);
    expect(env.INGEST_PORT).toBe(3000);
    expect(env.KAFKA_SSL).toBe(false);
    expect(loadConfig(PortEnv, { ...valid, INGEST_PORT: '4100', KAFKA_SSL: 'true' })).toMatchObject({
      INGEST_PORT: 4100,
      KAFKA_SSL: true,
    });
  });

  it("takes a service's own database URLs over the shared ones, and only its own", () => {
    const own = {
      ...valid,
      SERVICE_A_DATABASE_URL: 'postgres://a:p@127.0.0.1:5433/db',
      SERVICE_A_DATABASE_PLATFORM_URL: 'postgres://a_platform:p@127.0.0.1:5433/db',
      SERVICE_B_DATABASE_URL: 'postgres://b:p@127.0.0.1:5433/db',
    };
    expect(loadConfig(ServiceAEnv, own)).toMatchObject({
      DATABASE_URL: own.SERVICE_A_DATABASE_URL,
      DATABASE_PLATFORM_URL: own.SERVICE_A_DATABASE_PLATFORM_URL,
    });
    // Another app (or one without a prefix) keeps the shared names.
    expect(loadConfig(PortEnv, own)).toMatchObject({ DATABASE_URL: valid.DATABASE_URL });
    // Without the shared names, the service's own suffice; an empty one counts as unset.
    const { DATABASE_URL: _u, DATABASE_PLATFORM_URL: _p, ...rest } = own;
    expect(loadConfig(ServiceAEnv, rest).DATABASE_URL).toBe(own.SERVICE_A_DATABASE_URL);
    expect(loadConfig(ServiceAEnv, { ...own, SERVICE_A_DATABASE_URL: '' }).DATABASE_URL).toBe(valid.DATABASE_URL);
  });

  it.each([['abc'], ['0'], ['70000'], ['30.5']])('rejects INGEST_PORT=%s naming the variable', (value) => {
    expect(() => loadConfig(PortEnv, { ...valid, INGEST_PORT: value })).toThrow(/INGEST_PORT: must be an integer port/);
  });

  it('names every missing required variable and never echoes values', () => {
    try {
      loadConfig(PortEnv, { DATABASE_URL: 'mysql://secret-password@host/db' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      for (const name of [
        'KAFKA_BROKERS',
        'DATABASE_URL',
        'DATABASE_PLATFORM_URL',
        'JWT_ISSUER',
        'JWT_AUDIENCE',
        'JWKS_URL',
      ]) {
        expect(message).toContain(name);
      }
      expect(message).not.toContain('secret-password');
    }
  });

  it('takes a secret of 16 characters or more and an http(s) URL, host names without a TLD included', () => {
    const env = loadConfig(LinkEnv, { ...valid, LINK_SECRET: 'x'.repeat(16), LINK_URL: 'http://ingest:3000' });
    expect(env).toMatchObject({ LINK_SECRET: 'x'.repeat(16), LINK_URL: 'http://ingest:3000' });
  });

  it.each([
    [{ LINK_SECRET: 'short-secret-15', LINK_URL: 'http://ingest:3000' }, /LINK_SECRET: must be at least 16 characters/],
    [{ LINK_SECRET: 'x'.repeat(16), LINK_URL: 'ingest:3000' }, /LINK_URL/],
    [{ LINK_SECRET: 'x'.repeat(16), LINK_URL: 'ftp://ingest' }, /LINK_URL/],
  ])('rejects a short secret or a URL that is not http(s), without echoing the secret (%#)', (vars, error) => {
    expect(() => loadConfig(LinkEnv, { ...valid, ...vars })).toThrow(error);
    expect(() => loadConfig(LinkEnv, { ...valid, ...vars })).not.toThrow(/short-secret-15/);
  });
});
