import 'reflect-metadata';
import { configureLogging } from '@custody/observability';
import { createApp, listen, loadConfig, startService } from '@custody/platform';
import { AppModule } from './app.module';
import { IngestEnv } from './config/ingest.env';
import { APP_META } from './meta';
import { GraphExceptionFilter } from './services/graph-error';

startService('ingest', async () => {
  const env = loadConfig(IngestEnv);
  configureLogging('ingest', env.LOG_LEVEL);
  const app = await createApp(AppModule.register(env), {
    ...APP_META,
    rawBody: true,
    exceptionFilter: new GraphExceptionFilter(),
    docs: env.HTTP_DOCS,
    metricsPort: env.METRICS_PORT,
  });
  return listen(app, env.INGEST_PORT, env.HTTP_HOST);
});
