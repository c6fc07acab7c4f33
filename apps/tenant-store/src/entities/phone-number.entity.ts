import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TenantEntity } from './tenant.entity';

@Entity({ name: 'phone_numbers' })
export class PhoneNumberEntity {
  @PrimaryColumn({ name: 'phone_number_id', type: 'text' })
  phoneNumberId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'display_phone_number', type: 'text' })
  displayPhoneNumber: string;

  @ManyToOne(() => TenantEntity, (t) => t.phoneNumbers, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id' })
  tenant: TenantEntity;
}
