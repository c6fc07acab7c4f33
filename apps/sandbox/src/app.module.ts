import { DynamicModule, Module } from '@nestjs/common';
import { ObservabilityModule } from '@custody/observability';
import { SandboxEnv } from './config/sandbox.env';
import { AdsSandboxController } from './controllers/ads-sandbox.controller';
import { AdsController } from './controllers/ads.controller';
import { CustomerController } from './controllers/customer.controller';
import { NetworkController } from './controllers/network.controller';
import { TemplateReviewController } from './controllers/template-review.controller';
import { ClockRepository } from './repositories/clock.repository';
import { AdsAccountsService } from './services/ads-accounts.service';
import { AdsAudienceService } from './services/ads-audience.service';
import { AdsDatasetService } from './services/ads-dataset.service';
import { AdsFaultService } from './services/ads-fault.service';
import { NetworkService } from './services/network.service';
import { TemplateReviewService } from './services/template-review.service';

@Module({})
export class AppModule {
  static register(env: SandboxEnv): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule],
      // The inspection routes first: `GET /ads/_sandbox/faults` would otherwise match `GET /ads/:version/:objectId`.
      controllers: [
        NetworkController,
        CustomerController,
        TemplateReviewController,
        AdsSandboxController,
        AdsController,
      ],
      providers: [
        { provide: SandboxEnv, useValue: env },
        NetworkService,
        TemplateReviewService,
        ClockRepository,
        AdsAccountsService,
        AdsAudienceService,
        AdsDatasetService,
        AdsFaultService,
      ],
    };
  }
}
