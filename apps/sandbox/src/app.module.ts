import { Module } from '@nestjs/common';
import { ObservabilityModule } from '@custody/observability';

@Module({ imports: [ObservabilityModule] })
export class AppModule {}
