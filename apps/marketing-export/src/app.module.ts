import { APP_INTERCEPTOR, Reflector } from '@nestjs/core';
import { DynamicModule, Module } from '@nestjs/common';
import { AuditReadInterceptor, AuditReadLog, AuthModule } from '@custody/auth';
import { AuditReadRepository, DatabaseModule, ReplicaRegistry } from '@custody/database';
import { KafkaModule, OutboxService } from '@custody/kafka';
import { ObservabilityModule } from '@custody/observability';
import { RateLimitInterceptor, kafkaSettings, rateLimitSettings } from '@custody/platform';
import { ExportSettings } from './config/export.settings';
import { AdsCredentialRepository } from './repositories/ads-credential.repository';
import { MarketingExportEnv } from './config/marketing-export.env';
import { ExportConsumers } from './consumers/export.consumers';
import { LedgerController } from './controllers/ledger.controller';
import { AdsDestinationRepository } from './repositories/ads-destination.repository';
import { ConsentStateRepository } from './repositories/consent-state.repository';
import { ConsentCheckpointRepository } from './repositories/consent-checkpoint.repository';
import { ConsentCheckpointService } from './services/consent-checkpoint.service';
import { ErasureRepository } from './repositories/erasure.repository';
import { ExportRepository } from './repositories/export.repository';
import { CandidateService } from './services/candidate.service';
import { ConsentViewService } from './services/consent-view.service';
import { OffboardedTenants } from './repositories/offboarded-tenants.repository';
import { OffboardingCompletion } from './services/offboarding-completion.service';
import { OffboardingService } from './services/offboarding.service';
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
        DatabaseModule.forRoot({
          url: env.DATABASE_URL,
          platformUrl: env.DATABASE_PLATFORM_URL,
          schema: 'marketing_export',
          entities: [],
        }),
        KafkaModule.forRoot(kafkaSettings(env, 'custody-marketing-export')),
        AuthModule.forRoot({ issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, jwksUrl: env.JWKS_URL }),
      ],
      controllers: [LedgerController],
      providers: [
        ReplicaRegistry,
        {
          // API rate limits per tenant (and the token endpoint's), divided among the live replicas.
          provide: APP_INTERCEPTOR,
          useFactory: (reflector: Reflector, replicas: ReplicaRegistry) =>
            new RateLimitInterceptor(reflector, rateLimitSettings(env), () => replicas.live()),
          inject: [Reflector, ReplicaRegistry],
        },
        { provide: ExportSettings, useValue: settings },
        OutboxService,
        ConsentStateRepository,
        ConsentCheckpointRepository,
        AuditReadRepository,
        { provide: AuditReadLog, useExisting: AuditReadRepository },
        AuditReadInterceptor,
        ConsentCheckpointService,
        ExportRepository,
        ErasureRepository,
        AdsCredentialRepository,
        AdsDestinationRepository,
        ExportWorker,
        CandidateService,
        ConsentViewService,
        ErasureService,
        OffboardedTenants,
        OffboardingCompletion,
        OffboardingService,
        LedgerService,
        ExportConsumers,
      ],
    };
  }
}
