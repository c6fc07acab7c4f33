import { BaseEnv, EnvPort } from '@custody/platform';

export class SandboxEnv extends BaseEnv {
  @EnvPort()
  SANDBOX_PORT = 3004;
}
