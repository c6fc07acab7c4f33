import 'reflect-metadata';
import { LocalKeyProvider } from '@custody/crypto';
import { configureLogging } from '@custody/observability';
import { createApp, listen, loadConfig, startService } from '@custody/platform';
import { AppModule } from './app.module';
import { IngestEnv } from './config/ingest.env';
import { APP_META } from './meta';
import { GraphExceptionFilter } from './services/graph-error';

startService('ingest', async () => {
  const env = loadConfig(IngestEnv);
  configureLogging('ingest', env.LOG_LEVEL);
  let masterKeys: LocalKeyProvider;
  try {
    masterKeys = LocalKeyProvider.fromFile(env.MASTER_KEY_FILE);
  } catch (error) {
    throw new Error(`MASTER_KEY_FILE: ${(error as Error).message}`, { cause: error });
  }
  const app = await createApp(AppModule.register(env, masterKeys), {
    ...APP_META,
    rawBody: true,
    exceptionFilter: new GraphExceptionFilter(),
    docs: env.HTTP_DOCS,
    metricsPort: env.METRICS_PORT,
  });
  return listen(app, env.INGEST_PORT, env.HTTP_HOST);
});
