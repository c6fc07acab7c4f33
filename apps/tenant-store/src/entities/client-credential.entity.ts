import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from '@custody/auth';

@Entity({ name: 'client_credentials' })
export class ClientCredentialEntity {
  @PrimaryColumn({ name: 'client_id', type: 'text' })
  clientId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  /** SHA-256 of the secret (the secret is 256 random bits, so a slow hash adds nothing). */
  @Column({ name: 'secret_hash', type: 'text', select: false })
  secretHash: string;

  @Column({ type: 'text', array: true })
  roles: Role[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
