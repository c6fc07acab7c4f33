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

  /** Signs webhooks to the tenant (HMAC key); never returned by any API. */
  @Column({ name: 'app_secret', type: 'text', select: false })
  appSecret: string;

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
