import 'reflect-metadata';
import { configureLogging } from '@custody/observability';
import { createApp, listen, loadConfig, startService } from '@custody/platform';
import { AppModule } from './app.module';
import { SandboxEnv } from './config/sandbox.env';
import { APP_META } from './meta';

startService('sandbox', async () => {
  const env = loadConfig(SandboxEnv);
  configureLogging('sandbox', env.LOG_LEVEL);
  const app = await createApp(AppModule.register(env), {
    ...APP_META,
    rawBody: true,
    docs: env.HTTP_DOCS,
    metricsPort: env.METRICS_PORT,
  });
  return listen(app, env.SANDBOX_PORT, env.HTTP_HOST);
});
