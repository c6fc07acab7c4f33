import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { backfillInBackground, CustomerIdentity } from '@custody/crypto';
import { TenantDb } from '@custody/database';

/**
 * Received message ids and customer media stored before customers had references: their numbers
 * wait in the holding table the migration put them in; ingest gives each row its reference (and
 * sealed number) when it starts, once the tenant's keys are here.
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
          table: 'inbound_messages',
          idColumn: 'message_id',
          refColumn: 'customer_ref',
          sealedColumn: 'wa_id_ciphertext',
        },
        { table: 'media', idColumn: 'id', refColumn: 'customer_ref' },
      ],
      this.logger,
    );
  }

  onApplicationShutdown(): void {
    this.running?.stop();
  }
}
