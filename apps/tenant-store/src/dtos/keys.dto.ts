import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class KeyVersionDto {
  /** The data key version (1, 2, …; the version named in each envelope it encrypted). */
  @ApiProperty()
  version: number;
  /** The master key that wraps this data key. */
  @ApiProperty()
  masterKeyId: string;
  /** Whether new data is encrypted under this version (at most one per tenant). */
  @ApiProperty()
  active: boolean;
  /** When the version was made (first use or rotation). */
  @ApiProperty()
  createdAt: string;
  /** When a rotation replaced it; a retired version still decrypts what it encrypted. */
  @ApiPropertyOptional({ nullable: true, type: String })
  retiredAt: string | null;
  /** When it was destroyed (crypto-shredded): the key is gone and the version is never reused. */
  @ApiPropertyOptional({ nullable: true, type: String })
  destroyedAt: string | null;
}

/** When a background job of this replica ran, and why it failed: shared by the key jobs. */
export abstract class BackgroundJobTimesDto {
  /** When the job started on this replica. */
  @ApiProperty()
  startedAt: string;
  /** When it finished (`done` or `failed`); null while running. */
  @ApiPropertyOptional({ nullable: true, type: String })
  finishedAt: string | null;
  /** Why it failed (`failed` only). */
  @ApiPropertyOptional({ nullable: true, type: String })
  error: string | null;
}

export class ReencryptionJobDto extends BackgroundJobTimesDto {
  /** `failed`: the job stopped on an error (see `error`); `POST …/reencrypt` starts it again. */
  @ApiProperty({ enum: ['running', 'done', 'failed'] })
  state: 'running' | 'done' | 'failed';
  /** Messages still under older versions, read so far. */
  @ApiProperty()
  scanned: number;
  /** Messages rewritten under the active version so far. */
  @ApiProperty()
  rewritten: number;
  /** Rows that did not decrypt and were left as they are. */
  @ApiProperty()
  failed: number;
}

export class KeyStatusDto {
  /** The tenant. */
  @ApiProperty({ format: 'uuid' })
  tenantId: string;
  /** The version new data is encrypted under; null before the tenant's first data key is made. */
  @ApiPropertyOptional({ nullable: true, type: Number })
  activeVersion: number | null;
  /** Every version the tenant ever had, destroyed ones included. */
  @ApiProperty({ type: [KeyVersionDto] })
  versions: KeyVersionDto[];
  /**
   * How many stored messages each data key version still protects directly (`v1` envelopes: the
   * durable progress of re-encryption). Messages sealed under a conversation key (`v2`) are not
   * counted here: they depend on a version through their key (`conversationKeysByKeyVersion`).
   */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { '1': 0, '2': 1234 } })
  messagesByKeyVersion: Record<string, number>;
  /**
   * How many live conversation keys each data key version wraps. Re-encryption rewraps them under
   * the active version (the messages stay as they are); a version that still wraps keys cannot be destroyed.
   */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { '2': 310 } })
  conversationKeysByKeyVersion: Record<string, number>;
  /** The re-encryption job on this replica, if one ran since it started. */
  @ApiPropertyOptional({ type: ReencryptionJobDto, nullable: true })
  job: ReencryptionJobDto | null;
}

export class DataKeysByMasterKeyDto {
  /** A master key id of MASTER_KEY_FILE. */
  @ApiProperty()
  masterKeyId: string;
  /** Live (not destroyed) data keys wrapped by it, over every tenant. */
  @ApiProperty()
  dataKeys: number;
}

export class RewrapFailureDto {
  /** The tenant whose data key failed. */
  @ApiProperty({ format: 'uuid' })
  tenantId: string;
  /** The data key version that failed. */
  @ApiProperty()
  version: number;
  /** Why (names key ids, never key material). */
  @ApiProperty()
  error: string;
}

export class RewrapJobDto extends BackgroundJobTimesDto {
  /** `failed`: the job stopped on an error (see `error`); single keys that fail (`failures`) do not fail it. */
  @ApiProperty({ enum: ['running', 'done', 'failed'] })
  state: 'running' | 'done' | 'failed';
  /** The master key the job wraps with. */
  @ApiPropertyOptional({ nullable: true, type: String })
  masterKeyId: string | null;
  /** Data keys rewrapped under the active master key so far (keys already under it are not counted). */
  @ApiProperty()
  rewrapped: number;
  /** Data keys that could not be rewrapped (e.g. their master key is not in the key file); they stay as they are. */
  @ApiProperty()
  failed: number;
  /** The first 100 failures. */
  @ApiProperty({ type: [RewrapFailureDto] })
  failures: RewrapFailureDto[];
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
