import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { backfillInBackground, CustomerIdentity } from '@custody/crypto';
import { TenantDb } from '@custody/database';

/**
 * Conversations stored before customers had references: their numbers wait in the holding table
 * the migration put them in; tenant-store gives each its reference and sealed number when it starts.
 */
@Injectable()
export class CustomerRefBackfill implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CustomerRefBackfill.name);
  private running?: { stop(): void };

  constructor(
    private readonly db: TenantDb,
    private readonly identity: CustomerIdentity,
  ) {}

  onApplicationBootstrap(): void {
    this.running = backfillInBackground(
      this.db,
      this.identity,
      [
        {
          table: 'conversations',
          idColumn: 'id',
          refColumn: 'customer_ref',
          sealedColumn: 'customer_wa_id_ciphertext',
        },
      ],
      this.logger,
    );
  }

  onApplicationShutdown(): void {
    this.running?.stop();
  }
}
