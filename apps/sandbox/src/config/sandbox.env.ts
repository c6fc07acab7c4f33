import { IsOptional } from 'class-validator';
import { BaseEnv, EnvInt, EnvPort, EnvSecret, EnvUrl } from '@custody/platform';

export class SandboxEnv extends BaseEnv {
  @EnvPort()
  SANDBOX_PORT = 3004;

  /** Where the network delivers customer messages and statuses: ingest's base URL. */
  @IsOptional()
  @EnvUrl()
  INGEST_URL = 'http://127.0.0.1:3000';

  /** Shared HMAC secret of the network link (same value as ingest's). */
  @EnvSecret()
  NETWORK_HMAC_SECRET: string;

  /** Percent of statuses the simulated network sends twice. */
  @EnvInt(0, 100)
  NETWORK_DUPLICATE_PERCENT = 20;

  /** Upper bound of the random delay before each status, in ms (so they arrive out of order). */
  @EnvInt(0, 60000)
  NETWORK_MAX_DELAY_MS = 300;

  /**
   * The access token the simulated ads platform accepts (`Authorization: Bearer …`). Required:
   * dev and test start-ups generate one; never a default in the app.
   */
  @EnvSecret()
  SANDBOX_ADS_ACCESS_TOKEN: string;

  /** Memory bound: members kept per simulated audience (adds beyond it are refused). */
  @EnvInt(1, 10000000)
  SANDBOX_ADS_MAX_MEMBERS = 200_000;

  /** Memory bound: accepted events kept per simulated dataset (the oldest are dropped). */
  @EnvInt(1, 10000000)
  SANDBOX_ADS_MAX_EVENTS = 100_000;

  /** Memory bound: simulated audiences, and datasets, each (requests for more are refused). */
  @EnvInt(1, 1000000)
  SANDBOX_ADS_MAX_OBJECTS = 1_000;
}
