import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HealthRegistry } from '@custody/observability';
import { createDataSource, DatabaseSettings } from './data-source';
import { TenantDb } from './tenant-db';

/** The DataSource of the platform role's pool (cross-tenant work); see TenantDb.forPlatform. */
export const PLATFORM_DATA_SOURCE = Symbol('PLATFORM_DATA_SOURCE');

export interface DatabaseModuleSettings extends DatabaseSettings {
  /** The platform role's URL (DATABASE_PLATFORM_URL). */
  platformUrl: string;
  /** Size of the platform pool (default 4): relays, sweeps and operator paths, not the message path. */
  platformPoolSize?: number;
}

@Injectable()
class DatabaseLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(PLATFORM_DATA_SOURCE) private readonly platformDataSource: DataSource,
    private readonly health: HealthRegistry,
  ) {}
  onModuleInit(): void {
    this.health.register('postgres', async () => {
      await this.dataSource.query('SELECT 1');
      await this.platformDataSource.query('SELECT 1');
    });
  }
  async onApplicationShutdown(): Promise<void> {
    for (const ds of [this.dataSource, this.platformDataSource]) {
      if (ds.isInitialized) {
        await ds.destroy();
      }
    }
  }
}

/** PostgreSQL for one app: its DataSource (its own schema), the tenant-scoped transaction helper, a readiness check. */
@Module({})
export class DatabaseModule {
  static forRoot(settings: DatabaseModuleSettings): DynamicModule {
    const { platformUrl, platformPoolSize, ...tenantSettings } = settings;
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        {
          provide: DataSource,
          useFactory: async () => {
            const dataSource = createDataSource(tenantSettings);
            await dataSource.initialize();
            return dataSource;
          },
        },
        {
          provide: PLATFORM_DATA_SOURCE,
          useFactory: async () => {
            const dataSource = createDataSource({
              ...tenantSettings,
              url: platformUrl,
              poolSize: platformPoolSize ?? 4,
              applicationName: `${tenantSettings.applicationName ?? `custody-${tenantSettings.schema}`}-platform`,
            });
            await dataSource.initialize();
            return dataSource;
          },
        },
        {
          provide: TenantDb,
          useFactory: (ds: DataSource, platform: DataSource) => new TenantDb(ds, platform),
          inject: [DataSource, PLATFORM_DATA_SOURCE],
        },
        DatabaseLifecycle,
      ],
      exports: [DataSource, PLATFORM_DATA_SOURCE, TenantDb],
    };
  }
}
