import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { LocalKeyProvider } from '@custody/crypto';
import { configureLogging } from '@custody/observability';
import { createApp, listen, loadConfig, startService } from '@custody/platform';
import { AppModule } from './app.module';
import { ConsentEnv } from './config/consent.env';
import { APP_META } from './meta';
import { LogKeysRepository } from './repositories/log-keys.repository';

startService('consent', async () => {
  const env = loadConfig(ConsentEnv);
  configureLogging('consent', env.LOG_LEVEL);
  let keys: LogKeysRepository;
  try {
    keys = await LogKeysRepository.load(JSON.parse(await readFile(env.CONSENT_LOG_KEY_FILE, 'utf8')));
  } catch (error) {
    throw new Error(`CONSENT_LOG_KEY_FILE: cannot load the log signing key: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let masterKeys: LocalKeyProvider;
  try {
    masterKeys = LocalKeyProvider.fromFile(env.MASTER_KEY_FILE);
  } catch (error) {
    throw new Error(`MASTER_KEY_FILE: ${(error as Error).message}`, { cause: error });
  }
  const app = await createApp(AppModule.register(env, keys, masterKeys), {
    ...APP_META,
    docs: env.HTTP_DOCS,
    metricsPort: env.METRICS_PORT,
  });
  return listen(app, env.CONSENT_PORT, env.HTTP_HOST);
});
