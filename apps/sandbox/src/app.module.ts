import { DynamicModule, Module } from '@nestjs/common';
import { ObservabilityModule } from '@custody/observability';
import { SandboxEnv } from './config/sandbox.env';
import { CustomerController } from './controllers/customer.controller';
import { NetworkController } from './controllers/network.controller';
import { NetworkService } from './services/network.service';

@Module({})
export class AppModule {
  static register(env: SandboxEnv): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule],
      controllers: [NetworkController, CustomerController],
      providers: [{ provide: SandboxEnv, useValue: env }, NetworkService],
    };
  }
}
