import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { SigningKeys } from '@custody/auth';
import { LocalKeyProvider } from '@custody/crypto';
import { configureLogging } from '@custody/observability';
import { createApp, listen, loadConfig, startService } from '@custody/platform';
import { AppModule } from './app.module';
import { TenantStoreEnv } from './config/tenant-store.env';
import { TENANT_STORE_META } from './meta';

startService('tenant-store', async () => {
  const env = loadConfig(TenantStoreEnv);
  configureLogging('tenant-store', env.LOG_LEVEL);
  let keys: SigningKeys;
  try {
    keys = await SigningKeys.fromJwks(JSON.parse(await readFile(env.JWT_SIGNING_KEYS_FILE, 'utf8')));
  } catch (error) {
    throw new Error(`JWT_SIGNING_KEYS_FILE: cannot load signing keys: ${(error as Error).message}`, { cause: error });
  }
  let masterKeys: LocalKeyProvider;
  try {
    masterKeys = LocalKeyProvider.fromFile(env.MASTER_KEY_FILE);
  } catch (error) {
    throw new Error(`MASTER_KEY_FILE: ${(error as Error).message}`, { cause: error });
  }
  const app = await createApp(AppModule.register(env, keys, masterKeys), {
    ...TENANT_STORE_META,
    docs: env.HTTP_DOCS,
    metricsPort: env.METRICS_PORT,
  });
  return listen(app, env.TENANT_STORE_PORT, env.HTTP_HOST);
});
