import { APP_INTERCEPTOR, Reflector } from '@nestjs/core';
import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@custody/auth';
import { KeyProvider, keyUserProviders } from '@custody/crypto';
import { DatabaseModule, ReplicaRegistry } from '@custody/database';
import { KafkaModule } from '@custody/kafka';
import { ObservabilityModule } from '@custody/observability';
import { EgressGuard, RateLimitInterceptor, kafkaSettings, rateLimitSettings } from '@custody/platform';
import { IngestEnv } from './config/ingest.env';
import { DispatchConsumer } from './consumers/dispatch.consumer';
import { ErasureConsumer } from './consumers/erasure.consumer';
import { OffboardingConsumer } from './consumers/offboarding.consumer';
import { StoredConsumer } from './consumers/stored.consumer';
import { TenantsConsumer } from './consumers/tenants.consumer';
import { MessagesController } from './controllers/messages.controller';
import { NetworkController } from './controllers/network.controller';
import { MediaController } from './controllers/media.controller';
import { GraphNodeController } from './controllers/graph-node.controller';
import { TemplatesController } from './controllers/templates.controller';
import { BusinessProfileController } from './controllers/business-profile.controller';
import { SubscribedAppsController } from './controllers/subscribed-apps.controller';
import { SubscribedAppsService } from './services/subscribed-apps.service';
import { RetentionController } from './controllers/retention.controller';
import { WebhookController } from './controllers/webhook.controller';
import { IngestErasureRepository } from './repositories/erasure.repository';
import { IdempotencyRepository } from './repositories/idempotency.repository';
import { InboundMessageRepository } from './repositories/inbound-message.repository';
import { NetworkClient } from './repositories/network.client';
import { RoutingRepository } from './repositories/routing.repository';
import { TemplateRepository } from './repositories/template.repository';
import { BusinessProfileRepository } from './repositories/business-profile.repository';
import { WebhookRepository } from './repositories/webhook.repository';
import { WindowRepository } from './repositories/window.repository';
import { NetworkInboundService } from './services/network-inbound.service';
import { InboundMediaService } from './services/inbound-media.service';
import { SendAdmissionService } from './services/send-admission.service';
import { SendService } from './services/send.service';
import { WebhookSubscriptionService } from './services/webhook-subscription.service';
import { MediaService } from './services/media.service';
import { GraphNodeService } from './services/graph-node.service';
import { TemplateService } from './services/template.service';
import { BusinessProfileService } from './services/business-profile.service';
import { IngestRetentionService } from './services/retention.service';
import { WebhookWorkerService } from './services/webhook-worker.service';
import { CustomerRefBackfill } from './services/customer-ref-backfill.service';

@Module({})
export class AppModule {
  static register(env: IngestEnv, masterKeys: KeyProvider): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule,
        DatabaseModule.forRoot({
          url: env.DATABASE_URL,
          platformUrl: env.DATABASE_PLATFORM_URL,
          schema: 'ingest',
          entities: [],
          poolSize: 20,
        }),
        KafkaModule.forRoot(kafkaSettings(env, 'custody-ingest')),
        // The Graph API also takes the token as `?access_token=` (inboxes call e.g. GET …/message_templates so).
        AuthModule.forRoot({
          issuer: env.JWT_ISSUER,
          audience: env.JWT_AUDIENCE,
          jwksUrl: env.JWKS_URL,
          acceptQueryToken: true,
        }),
      ],
      // MediaController and GraphNodeController last: their `v:version/:id` routes must not shadow
      // ingest's own `/v1/…` ones.
      controllers: [
        MessagesController,
        NetworkController,
        WebhookController,
        RetentionController,
        TemplatesController,
        BusinessProfileController,
        SubscribedAppsController,
        MediaController,
        GraphNodeController,
      ],
      providers: [
        CustomerRefBackfill,
        {
          // API rate limits per tenant, divided among the live replicas (as the send limits are).
          provide: APP_INTERCEPTOR,
          useFactory: (reflector: Reflector, replicas: ReplicaRegistry) =>
            new RateLimitInterceptor(
              reflector,
              rateLimitSettings(env),
              () => replicas.live(),
              // The send endpoint keeps its own limits (per number, per pair): the hot path pays nothing more.
              (context) => context.getClass() === MessagesController,
            ),
          inject: [Reflector, ReplicaRegistry],
        },
        { provide: IngestEnv, useValue: env },
        // The tenants' data keys as tenant-store distributes them (ingest.data_keys, wrapped): used, never made.
        ...keyUserProviders(masterKeys),
        {
          // Every request to a tenant-chosen URL (webhook handshake and deliveries) goes through it.
          provide: EgressGuard,
          useValue: new EgressGuard({
            allowLoopback: env.EGRESS_ALLOW_LOOPBACK,
            timeoutMs: env.WEBHOOK_TIMEOUT_MS,
            maxResponseBytes: 64 * 1024,
          }),
        },
        RoutingRepository,
        SubscribedAppsService,
        WindowRepository,
        InboundMessageRepository,
        IdempotencyRepository,
        WebhookRepository,
        NetworkClient,
        ReplicaRegistry,
        SendService,
        SendAdmissionService,
        NetworkInboundService,
        InboundMediaService,
        WebhookSubscriptionService,
        WebhookWorkerService,
        TenantsConsumer,
        DispatchConsumer,
        StoredConsumer,
        IngestErasureRepository,
        ErasureConsumer,
        OffboardingConsumer,
        IngestRetentionService,
        MediaService,
        TemplateRepository,
        TemplateService,
        GraphNodeService,
        BusinessProfileRepository,
        BusinessProfileService,
      ],
    };
  }
}
