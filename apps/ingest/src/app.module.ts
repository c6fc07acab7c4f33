import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@custody/auth';
import { DatabaseModule } from '@custody/database';
import { KafkaModule } from '@custody/kafka';
import { ObservabilityModule } from '@custody/observability';
import { kafkaSettings } from '@custody/platform';
import { IngestEnv } from './config/ingest.env';

@Module({})
export class AppModule {
  static register(env: IngestEnv): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule,
        DatabaseModule.forRoot({ url: env.DATABASE_URL, schema: 'ingest', entities: [] }),
        KafkaModule.forRoot(kafkaSettings(env, 'custody-ingest')),
        AuthModule.forRoot({ issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, jwksUrl: env.JWKS_URL }),
      ],
    };
  }
}
