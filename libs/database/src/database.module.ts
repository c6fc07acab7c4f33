import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HealthRegistry } from '@custody/observability';
import { createDataSource, DatabaseSettings } from './data-source';
import { TenantDb } from './tenant-db';

@Injectable()
class DatabaseLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly health: HealthRegistry,
  ) {}
  onModuleInit(): void {
    this.health.register('postgres', async () => {
      await this.dataSource.query('SELECT 1');
    });
  }
  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) {
      await this.dataSource.destroy();
    }
  }
}

/** PostgreSQL for one app: its DataSource (its own schema), the tenant-scoped transaction helper, a readiness check. */
@Module({})
export class DatabaseModule {
  static forRoot(settings: DatabaseSettings): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        {
          provide: DataSource,
          useFactory: async () => {
            const dataSource = createDataSource(settings);
            await dataSource.initialize();
            return dataSource;
          },
        },
        { provide: TenantDb, useFactory: (ds: DataSource) => new TenantDb(ds), inject: [DataSource] },
        DatabaseLifecycle,
      ],
      exports: [DataSource, TenantDb],
    };
  }
}
