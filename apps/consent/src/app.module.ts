import { APP_INTERCEPTOR, Reflector } from '@nestjs/core';
import { DynamicModule, Module } from '@nestjs/common';
import { AuditReadInterceptor, AuditReadLog, AuthModule } from '@custody/auth';
import { KeyProvider, keyUserProviders } from '@custody/crypto';
import { AuditReadRepository, DatabaseModule, ReplicaRegistry } from '@custody/database';
import { KafkaModule, OutboxService } from '@custody/kafka';
import { ObservabilityModule } from '@custody/observability';
import { RateLimitInterceptor, kafkaSettings, rateLimitSettings } from '@custody/platform';
import { ConsentEnv } from './config/consent.env';
import { ConsentSettings } from './config/consent.settings';
import { ErasureConsumer } from './consumers/erasure.consumer';
import { OffboardingConsumer } from './consumers/offboarding.consumer';
import { InboundMessageConsumer } from './consumers/inbound-message.consumer';
import { TenantKeysConsumer } from './consumers/tenant-keys.consumer';
import { AuditController } from './controllers/audit.controller';
import { ConsentController } from './controllers/consent.controller';
import { OperatorController } from './controllers/operator.controller';
import { PurposeController } from './controllers/purpose.controller';
import { ConsentLogRepository } from './repositories/consent-log.repository';
import { LogKeysRepository } from './repositories/log-keys.repository';
import { PlatformRepository } from './repositories/platform.repository';
import { PseudonymRepository } from './repositories/pseudonym.repository';
import { PurposeRepository } from './repositories/purpose.repository';
import { TreeHeadRepository } from './repositories/tree-head.repository';
import { WitnessRepository } from './repositories/witness.repository';
import { AuditService } from './services/audit.service';
import { ChatConsentService } from './services/chat-consent.service';
import { ConsentService } from './services/consent.service';
import { ConsentErasureService } from './services/erasure.service';
import { ConsentOffboardingService } from './services/offboarding.service';
import { LogWriter } from './services/log-writer.service';
import { OperatorService } from './services/operator.service';
import { PurposeService } from './services/purpose.service';
import { TreeHeadService } from './services/tree-head.service';

@Module({})
export class AppModule {
  static register(
    env: ConsentEnv,
    logKeys: LogKeysRepository,
    masterKeys: KeyProvider,
    settings: ConsentSettings = ConsentSettings.from(env),
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule,
        DatabaseModule.forRoot({
          url: env.DATABASE_URL,
          platformUrl: env.DATABASE_PLATFORM_URL,
          schema: 'consent',
          entities: [],
          poolSize: 20,
        }),
        KafkaModule.forRoot(kafkaSettings(env, 'custody-consent')),
        AuthModule.forRoot({ issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, jwksUrl: env.JWKS_URL }),
      ],
      controllers: [PurposeController, ConsentController, AuditController, OperatorController],
      providers: [
        ReplicaRegistry,
        {
          // API rate limits per tenant (and the token endpoint's), divided among the live replicas.
          provide: APP_INTERCEPTOR,
          useFactory: (reflector: Reflector, replicas: ReplicaRegistry) =>
            new RateLimitInterceptor(reflector, rateLimitSettings(env), () => replicas.live()),
          inject: [Reflector, ReplicaRegistry],
        },
        { provide: ConsentSettings, useValue: settings },
        { provide: LogKeysRepository, useValue: logKeys },
        // The tenants' data keys as tenant-store distributes them (consent.data_keys, wrapped): used, never made.
        ...keyUserProviders(masterKeys),
        TenantKeysConsumer,
        ConsentLogRepository,
        PlatformRepository,
        PseudonymRepository,
        PurposeRepository,
        TreeHeadRepository,
        WitnessRepository,
        AuditReadRepository,
        { provide: AuditReadLog, useExisting: AuditReadRepository },
        AuditReadInterceptor,
        OutboxService,
        LogWriter,
        PurposeService,
        ConsentService,
        ChatConsentService,
        TreeHeadService,
        AuditService,
        OperatorService,
        InboundMessageConsumer,
        ConsentErasureService,
        ErasureConsumer,
        ConsentOffboardingService,
        OffboardingConsumer,
      ],
    };
  }
}
