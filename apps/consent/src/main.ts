import 'reflect-metadata';
import { configureLogging } from '@custody/observability';
import { createApp, listen, loadConfig, startService } from '@custody/platform';
import { AppModule } from './app.module';
import { ConsentEnv } from './config/consent.env';
import { APP_META } from './meta';

startService('consent', async () => {
  const env = loadConfig(ConsentEnv);
  configureLogging('consent', env.LOG_LEVEL);
  const app = await createApp(AppModule.register(env), APP_META);
  return listen(app, env.CONSENT_PORT, env.HTTP_HOST);
});
