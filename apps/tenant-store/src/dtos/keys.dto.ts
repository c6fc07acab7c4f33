import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class KeyVersionDto {
  @ApiProperty()
  version: number;
  /** The master key that wraps this data key. */
  @ApiProperty()
  masterKeyId: string;
  @ApiProperty()
  active: boolean;
  @ApiProperty()
  createdAt: string;
  @ApiPropertyOptional({ nullable: true, type: String })
  retiredAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String })
  destroyedAt: string | null;
}

export class ReencryptionJobDto {
  @ApiProperty({ enum: ['running', 'done', 'failed'] })
  state: 'running' | 'done' | 'failed';
  @ApiProperty()
  scanned: number;
  @ApiProperty()
  rewritten: number;
  /** Rows that did not decrypt and were left as they are. */
  @ApiProperty()
  failed: number;
  @ApiProperty()
  startedAt: string;
  @ApiPropertyOptional({ nullable: true, type: String })
  finishedAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String })
  error: string | null;
}

export class KeyStatusDto {
  @ApiProperty({ format: 'uuid' })
  tenantId: string;
  @ApiPropertyOptional({ nullable: true, type: Number })
  activeVersion: number | null;
  @ApiProperty({ type: [KeyVersionDto] })
  versions: KeyVersionDto[];
  /** How many stored messages each data key version still protects (the durable progress of re-encryption). */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { '1': 0, '2': 1234 } })
  messagesByKeyVersion: Record<string, number>;
  /** The re-encryption job on this replica, if one ran since it started. */
  @ApiPropertyOptional({ type: ReencryptionJobDto, nullable: true })
  job: ReencryptionJobDto | null;
}

export class DataKeysByMasterKeyDto {
  @ApiProperty()
  masterKeyId: string;
  /** Live (not destroyed) data keys wrapped by it, over every tenant. */
  @ApiProperty()
  dataKeys: number;
}

export class RewrapFailureDto {
  @ApiProperty({ format: 'uuid' })
  tenantId: string;
  @ApiProperty()
  version: number;
  /** Why (names key ids, never key material). */
  @ApiProperty()
  error: string;
}

export class RewrapJobDto {
  @ApiProperty({ enum: ['running', 'done', 'failed'] })
  state: 'running' | 'done' | 'failed';
  /** The master key the job wraps with. */
  @ApiPropertyOptional({ nullable: true, type: String })
  masterKeyId: string | null;
  @ApiProperty()
  rewrapped: number;
  /** Data keys that could not be rewrapped (e.g. their master key is not in the key file); they stay as they are. */
  @ApiProperty()
  failed: number;
  /** The first 100 failures. */
  @ApiProperty({ type: [RewrapFailureDto] })
  failures: RewrapFailureDto[];
  @ApiProperty()
  startedAt: string;
  @ApiPropertyOptional({ nullable: true, type: String })
  finishedAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String })
  error: string | null;
}

export class MasterKeyStatusDto {
  /** The master key new data keys are wrapped with (the first key of MASTER_KEY_FILE). */
  @ApiProperty({ example: 'mk-2027-05' })
  activeMasterKeyId: string;
  /**
   * Live data keys per master key, from the database: when no key is left under an old master
   * key, that key can be removed from the key file.
   */
  @ApiProperty({ type: [DataKeysByMasterKeyDto] })
  dataKeysByMasterKey: DataKeysByMasterKeyDto[];
  /** The last rewrap on this replica, if one ran since it started. */
  @ApiPropertyOptional({ type: RewrapJobDto, nullable: true })
  rewrap: RewrapJobDto | null;
}
