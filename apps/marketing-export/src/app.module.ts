import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@custody/auth';
import { DatabaseModule } from '@custody/database';
import { KafkaModule } from '@custody/kafka';
import { ObservabilityModule } from '@custody/observability';
import { kafkaSettings } from '@custody/platform';
import { MarketingExportEnv } from './config/marketing-export.env';

@Module({})
export class AppModule {
  static register(env: MarketingExportEnv): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule,
        DatabaseModule.forRoot({ url: env.DATABASE_URL, schema: 'marketing_export', entities: [] }),
        KafkaModule.forRoot(kafkaSettings(env, 'custody-marketing-export')),
        AuthModule.forRoot({ issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, jwksUrl: env.JWKS_URL }),
      ],
    };
  }
}
