import { EnvPort, RemoteAuthEnv } from '@custody/platform';

export class IngestEnv extends RemoteAuthEnv {
  @EnvPort()
  INGEST_PORT = 3000;
}
