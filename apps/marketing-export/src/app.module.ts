import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@custody/auth';
import { DatabaseModule } from '@custody/database';
import { KafkaModule, OutboxService } from '@custody/kafka';
import { ObservabilityModule } from '@custody/observability';
import { kafkaSettings } from '@custody/platform';
import { ExportSettings } from './config/export.settings';
import { MarketingExportEnv } from './config/marketing-export.env';
import { ExportConsumers } from './consumers/export.consumers';
import { LedgerController } from './controllers/ledger.controller';
import { AdsDestinationRepository } from './repositories/ads-destination.repository';
import { ConsentStateRepository } from './repositories/consent-state.repository';
import { ConsentCheckpointRepository } from './repositories/consent-checkpoint.repository';
import { AuditReadRepository } from './repositories/audit-read.repository';
import { AuditReadInterceptor } from './controllers/audit-read.interceptor';
import { ConsentCheckpointService } from './services/consent-checkpoint.service';
import { ErasureRepository } from './repositories/erasure.repository';
import { ExportRepository } from './repositories/export.repository';
import { CandidateService } from './services/candidate.service';
import { ConsentViewService } from './services/consent-view.service';
import { ErasureService } from './services/erasure.service';
import { ExportWorker } from './services/export-worker.service';
import { LedgerService } from './services/ledger.service';

@Module({})
export class AppModule {
  static register(env: MarketingExportEnv, settings: ExportSettings = ExportSettings.from(env)): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule,
        DatabaseModule.forRoot({ url: env.DATABASE_URL, schema: 'marketing_export', entities: [] }),
        KafkaModule.forRoot(kafkaSettings(env, 'custody-marketing-export')),
        AuthModule.forRoot({ issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, jwksUrl: env.JWKS_URL }),
      ],
      controllers: [LedgerController],
      providers: [
        { provide: ExportSettings, useValue: settings },
        OutboxService,
        ConsentStateRepository,
        ConsentCheckpointRepository,
        AuditReadRepository,
        AuditReadInterceptor,
        ConsentCheckpointService,
        ExportRepository,
        ErasureRepository,
        AdsDestinationRepository,
        ExportWorker,
        CandidateService,
        ConsentViewService,
        ErasureService,
        LedgerService,
        ExportConsumers,
      ],
    };
  }
}
