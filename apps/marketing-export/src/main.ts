import 'reflect-metadata';
import { configureLogging } from '@custody/observability';
import { createApp, listen, loadConfig, startService } from '@custody/platform';
import { AppModule } from './app.module';
import { MarketingExportEnv } from './config/marketing-export.env';
import { APP_META } from './meta';

startService('marketing-export', async () => {
  const env = loadConfig(MarketingExportEnv);
  configureLogging('marketing-export', env.LOG_LEVEL);
  const app = await createApp(AppModule.register(env), {
    ...APP_META,
    docs: env.HTTP_DOCS,
    metricsPort: env.METRICS_PORT,
  });
  return listen(app, env.MARKETING_EXPORT_PORT, env.HTTP_HOST);
});
