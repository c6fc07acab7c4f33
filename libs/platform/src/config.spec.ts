import { ConfigError, loadConfig } from './config';
import { EnvPort } from './config-decorators';
import { RemoteAuthEnv } from './env';

class PortEnv extends RemoteAuthEnv {
  @EnvPort()
  INGEST_PORT = 3000;
}

const valid = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5433/db',
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
      for (const name of ['KAFKA_BROKERS', 'DATABASE_URL', 'JWT_ISSUER', 'JWT_AUDIENCE', 'JWKS_URL']) {
        expect(message).toContain(name);
      }
      expect(message).not.toContain('secret-password');
    }
  });
});
