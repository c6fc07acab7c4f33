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
