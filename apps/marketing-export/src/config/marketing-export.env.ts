import { EnvPort, RemoteAuthEnv } from '@custody/platform';

export class MarketingExportEnv extends RemoteAuthEnv {
  @EnvPort()
  MARKETING_EXPORT_PORT = 3003;
}
