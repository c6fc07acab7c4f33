import { APP_INTERCEPTOR, Reflector } from '@nestjs/core';
import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule, SigningKeys, TokenVerifier } from '@custody/auth';
import {
  ConversationKeyring,
  CustomerIdentity,
  CustomerIndexKeys,
  FieldCipher,
  KeyProvider,
  SqlConversationKeyStore,
  SqlCustomerIndexKeyStore,
  SqlDataKeyStore,
  TenantKeyring,
} from '@custody/crypto';
import { DatabaseModule, ReplicaRegistry, TenantDb } from '@custody/database';
import { KafkaModule, OutboxService } from '@custody/kafka';
import { ObservabilityModule } from '@custody/observability';
import { RateLimitInterceptor, kafkaSettings, rateLimitSettings } from '@custody/platform';
import { TenantStoreEnv } from './config/tenant-store.env';
import { ConversationController } from './controllers/conversation.controller';
import { KeysController } from './controllers/keys.controller';
import { RetentionController } from './controllers/retention.controller';
import { ExportController } from './controllers/export.controller';
import { ErasureController } from './controllers/erasure.controller';
import { MasterKeysController } from './controllers/master-keys.controller';
import { MasterKeyService } from './services/master-key.service';
import { MediaController } from './controllers/media.controller';
import { MediaService, MediaSettings } from './services/media.service';
import { ErasureConsumer } from './consumers/erasure.consumer';
import { OffboardingConsumer } from './consumers/offboarding.consumer';
import { OffboardingRepository } from './repositories/offboarding.repository';
import { ErasureRepository } from './repositories/erasure.repository';
import { CustomerErasureService } from './services/customer-erasure.service';
import { ErasureService } from './services/erasure.service';
import { ExportService } from './services/export.service';
import { OffboardingService } from './services/offboarding.service';
import { RETENTION_LIMITS } from './controllers/tenant.controller';
import { RetentionService } from './services/retention.service';
import { KeyManagementService } from './services/key-management.service';
import { KeyDistributionService } from './services/key-distribution.service';
import { TenantController } from './controllers/tenant.controller';
import { AuditorCredentialController } from './controllers/auditor-credential.controller';
import { AuditorCredentialRepository } from './repositories/auditor-credential.repository';
import { AuditorCredentialService } from './services/auditor-credential.service';
import { MessagesConsumer } from './consumers/messages.consumer';
import { MessageRepository } from './repositories/message.repository';
import { MarketingAuthorizationRepository } from './repositories/marketing-authorization.repository';
import { MarketingAuthorizationController } from './controllers/marketing-authorization.controller';
import { MarketingAuthorizationService } from './services/marketing-authorization.service';
import { AdsCredentialController } from './controllers/ads-credential.controller';
import { OperatorAccessController } from './controllers/operator-access.controller';
import { OperatorAccessService } from './services/operator-access.service';
import { AdsCredentialRepository } from './repositories/ads-credential.repository';
import { AdsPlatformRepository, AdsPlatformSettings } from './repositories/ads-platform.repository';
import { AdsCredentialService } from './services/ads-credential.service';
import { ConversationService } from './services/conversation.service';
import { MessageStoreService } from './services/message-store.service';
import { TokenController } from './controllers/token.controller';
import { ENTITIES } from './entities';
import { TenantRepository } from './repositories/tenant.repository';
import { TenantService, WEBHOOK_URL_POLICY } from './services/tenant.service';
import { TokenService, TokenSettings } from './services/token.service';
import { CustomerRefBackfill } from './services/customer-ref-backfill.service';

@Module({})
export class AppModule {
  static register(env: TenantStoreEnv, keys: SigningKeys, masterKeys: KeyProvider): DynamicModule {
    const tokenSettings: TokenSettings = {
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      ttlSeconds: env.TOKEN_TTL_SECONDS,
      operatorClientId: env.OPERATOR_CLIENT_ID,
      operatorClientSecret: env.OPERATOR_CLIENT_SECRET,
    };
    return {
      module: AppModule,
      imports: [
        ObservabilityModule,
        DatabaseModule.forRoot({
          url: env.DATABASE_URL,
          platformUrl: env.DATABASE_PLATFORM_URL,
          schema: 'tenant_store',
          entities: ENTITIES,
        }),
        KafkaModule.forRoot(kafkaSettings(env, 'custody-tenant-store')),
        AuthModule.forRoot({
          verifier: new TokenVerifier({
            issuer: env.JWT_ISSUER,
            audience: env.JWT_AUDIENCE,
            jwks: () => keys.publicJwks(),
          }),
        }),
      ],
      controllers: [
        TokenController,
        TenantController,
        AuditorCredentialController,
        ConversationController,
        KeysController,
        RetentionController,
        ExportController,
        MarketingAuthorizationController,
        AdsCredentialController,
        OperatorAccessController,
        ErasureController,
        MasterKeysController,
        MediaController,
      ],
      providers: [
        ReplicaRegistry,
        {
          // API rate limits per tenant (and the token endpoint's), divided among the live replicas.
          provide: APP_INTERCEPTOR,
          useFactory: (reflector: Reflector, replicas: ReplicaRegistry) =>
            new RateLimitInterceptor(reflector, rateLimitSettings(env), () => replicas.live()),
          inject: [Reflector, ReplicaRegistry],
        },
        { provide: SigningKeys, useValue: keys },
        {
          provide: TenantKeyring,
          useFactory: (db: TenantDb) => new TenantKeyring(new SqlDataKeyStore(db), masterKeys),
          inject: [TenantDb],
        },
        {
          // Conversation keys (custody_keys): tenant-store seals its hosted-chat notice, opens
          // content for the API and export, destroys keys on erasure and offboarding, rewraps them on rotation.
          provide: ConversationKeyring,
          useFactory: (db: TenantDb, keyring: TenantKeyring) =>
            new ConversationKeyring(new SqlConversationKeyStore(db), keyring),
          inject: [TenantDb, TenantKeyring],
        },
        {
          provide: FieldCipher,
          useFactory: (keyring: TenantKeyring, conversations: ConversationKeyring) =>
            new FieldCipher(keyring, conversations),
          inject: [TenantKeyring, ConversationKeyring],
        },
        {
          // The tenants' customer index keys (owned here: made with the tenant, distributed wrapped).
          provide: CustomerIndexKeys,
          useFactory: (db: TenantDb) => new CustomerIndexKeys(new SqlCustomerIndexKeyStore(db), masterKeys),
          inject: [TenantDb],
        },
        {
          provide: CustomerIdentity,
          useFactory: (keys: CustomerIndexKeys, cipher: FieldCipher) => new CustomerIdentity(keys, cipher),
          inject: [CustomerIndexKeys, FieldCipher],
        },
        {
          provide: TokenService,
          useFactory: (repo: TenantRepository, auditors: AuditorCredentialRepository) =>
            new TokenService(keys, tokenSettings, repo, auditors),
          inject: [TenantRepository, AuditorCredentialRepository],
        },
        TenantRepository,
        AuditorCredentialRepository,
        AuditorCredentialService,
        TenantService,
        OutboxService,
        MessageRepository,
        MarketingAuthorizationRepository,
        MarketingAuthorizationService,
        {
          provide: AdsPlatformSettings,
          useValue: new AdsPlatformSettings(
            env.ADS_API_URL?.replace(/\/+$/, ''),
            env.ADS_API_VERSION,
            env.ADS_API_TIMEOUT_MS,
            env.ADS_CREDENTIAL_KEY,
          ),
        },
        AdsPlatformRepository,
        AdsCredentialRepository,
        AdsCredentialService,
        OperatorAccessService,
        MessageStoreService,
        ConversationService,
        KeyManagementService,
        KeyDistributionService,
        CustomerRefBackfill,
        ExportService,
        OffboardingService,
        { provide: WEBHOOK_URL_POLICY, useValue: { allowLoopback: env.EGRESS_ALLOW_LOOPBACK } },
        { provide: RETENTION_LIMITS, useValue: { min: env.RETENTION_MIN_DAYS, max: env.RETENTION_MAX_DAYS } },
        {
          provide: RetentionService,
          useFactory: (db: TenantDb) =>
            new RetentionService(db, {
              intervalSeconds: env.RETENTION_PURGE_INTERVAL_SECONDS,
              batchSize: env.RETENTION_BATCH_SIZE,
            }),
          inject: [TenantDb],
        },
        MessagesConsumer,
        ErasureRepository,
        OffboardingRepository,
        ErasureService,
        CustomerErasureService,
        ErasureConsumer,
        OffboardingConsumer,
        MasterKeyService,
        { provide: MediaSettings, useValue: new MediaSettings(env.PUBLIC_BASE_URL?.replace(/\/+$/, '')) },
        MediaService,
      ],
    };
  }
}
