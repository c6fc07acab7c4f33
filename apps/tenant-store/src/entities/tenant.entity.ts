import { Column, CreateDateColumn, Entity, OneToMany, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { PhoneNumberEntity } from './phone-number.entity';

export type TenantStatus = 'active' | 'suspended';

@Entity({ name: 'tenants' })
export class TenantEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'business_account_id', type: 'text', unique: true })
  businessAccountId: string;

  @Column({ name: 'display_name', type: 'text' })
  displayName: string;

  @Column({ name: 'webhook_url', type: 'text', nullable: true })
  webhookUrl: string | null;

  /**
   * The key ingest signs webhooks to the tenant with (HMAC), sealed under the tenant's data key
   * (`WEBHOOK_APP_SECRET_AAD`); never returned by any API, never in clear at rest or on a topic.
   */
  @Column({ name: 'app_secret_ciphertext', type: 'text', select: false })
  appSecretCiphertext: string;

  /** Whether the sealed secret and the wrapped data keys were published (false: KeyDistributionService does it at boot). */
  @Column({ name: 'keys_distributed', type: 'boolean', select: false })
  keysDistributed: boolean;

  @Column({ type: 'text' })
  status: TenantStatus;

  @Column({ name: 'messages_per_second', type: 'int' })
  messagesPerSecond: number;

  /** Messages older than this many days are purged. */
  @Column({ name: 'retention_days', type: 'int' })
  retentionDays: number;

  @OneToMany(() => PhoneNumberEntity, (p) => p.tenant)
  phoneNumbers: PhoneNumberEntity[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
