import { EnvPort, RemoteAuthEnv } from '@custody/platform';

export class ConsentEnv extends RemoteAuthEnv {
  @EnvPort()
  CONSENT_PORT = 3002;
}
