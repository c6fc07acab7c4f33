import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import { ConsentRef } from '../domain/data-use';
import { DestinationError } from '../domain/isolation';
import { ExportRecord } from '../repositories/export.repository';

export const LEDGER_STATUSES = ['pending', 'sending', 'sent', 'suppressed', 'rejected', 'removed'] as const;
export const LEDGER_OPERATIONS = ['add', 'event', 'remove'] as const;

export class LedgerQueryDto {
  /** Only this destination's records. */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  destinationId?: string;

  /**
   * Only records in this state: `pending` (waiting, or retrying), `sending` (leased to an upload), `sent`, `suppressed`
   * (not exported: see `reason`), `rejected` (see `reason`), `removed`.
   */
  @ApiPropertyOptional({ enum: LEDGER_STATUSES })
  @IsOptional()
  @IsIn(LEDGER_STATUSES)
  status?: (typeof LEDGER_STATUSES)[number];

  /** `add` (audience membership), `event` (conversion event) or `remove` (audience removal). */
  @ApiPropertyOptional({ enum: LEDGER_OPERATIONS })
  @IsOptional()
  @IsIn(LEDGER_OPERATIONS)
  operation?: (typeof LEDGER_OPERATIONS)[number];

  /** `nextCursor` of the previous page. */
  @ApiPropertyOptional({ example: '1042' })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'cursor must be a cursor returned by a previous page' })
  cursor?: string;

  /** Page size. */
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

/** A checkpoint of a tenant's consent log (C2SP tlog-checkpoint; docs/consent-log-format.md §6). */
export class CheckpointRefDto {
  /** The checkpoint's tree size. */
  @ApiProperty()
  treeSize: number;

  /** Its RFC 6962 root hash, base64. */
  @ApiProperty()
  rootHash: string;
}

/** The consent log entry a record was checked against. Prove it with an inclusion proof (docs/marketing-export.md). */
export class ConsentRefDto {
  /** The export's data use this entry was checked for. */
  @ApiProperty({ example: 'marketing.advertising.first_party.targeted' })
  requestedDataUse: string;

  /** The key of the consent purpose the entry is about. */
  @ApiProperty({ example: 'ads' })
  purposeKey: string;

  /** The purpose's data use (equal to, or an ancestor of, the requested one for a grant). */
  @ApiProperty({ example: 'marketing.advertising' })
  dataUse: string;

  /** The customer's pseudonym in the consent log (64 hex digits). */
  @ApiProperty()
  subject: string;

  /** The consent log entry's id (`eventId` of the inclusion-proof API). */
  @ApiProperty()
  eventId: string;

  /** The entry's leaf index in the tenant's consent log. */
  @ApiProperty()
  logIndex: number;

  /** RFC 6962 leaf hash of the entry (base64); an inclusion proof must prove exactly this leaf. */
  @ApiProperty()
  leafHash: string;

  /** When the customer gave (or withdrew) consent, as logged. */
  @ApiProperty()
  effectiveAt: string;

  /** The smallest tree containing the entry (logIndex + 1): any signed tree head at least this large proves it. */
  @ApiProperty()
  treeSize: number;

  /**
   * The consent log's checkpoint that proves the entry: the first one signed that contains it
   * (`GET …/proofs/inclusion?eventId=<eventId>&treeSize=<checkpoint.treeSize>` proves it against
   * `checkpoint.rootHash`). Null until the log has signed a checkpoint that contains the entry.
   */
  @ApiProperty({ type: () => CheckpointRefDto, nullable: true })
  checkpoint: CheckpointRefDto | null;
}

/** The destination's (Graph API's) error; it holds no personal data. */
export class DestinationErrorDto {
  /** The HTTP status; null when no answer came (timeout, connection error). */
  @ApiProperty({ type: Number, nullable: true })
  status: number | null;

  /** The destination's error message. */
  @ApiProperty()
  message: string;

  /** The Graph error `code`. */
  @ApiPropertyOptional()
  code?: number;

  /** The Graph `error_subcode`. */
  @ApiPropertyOptional()
  subcode?: number;

  /** The Graph `fbtrace_id`, for Meta support. */
  @ApiPropertyOptional()
  fbtraceId?: string;
}

export class LedgerEntryDto {
  /** The ledger id (`ledgerId` of `export.results` events). */
  @ApiProperty({ format: 'uuid' })
  id: string;

  /** The tenant's ads destination (of its marketing authorization). */
  @ApiProperty({ format: 'uuid' })
  destinationId: string;

  /** A customer list audience (`add`, `remove`) or a conversions dataset (`event`). */
  @ApiProperty({ enum: ['customer_list_audience', 'conversions_dataset'] })
  destinationKind: string;

  /** The destination's ad account. */
  @ApiProperty({ example: 'act_1234' })
  adAccountId: string;

  /** The audience or dataset id at the destination. */
  @ApiProperty()
  targetId: string;

  /** `add` (audience membership), `event` (conversion event) or `remove` (audience removal). */
  @ApiProperty({ enum: LEDGER_OPERATIONS })
  operation: string;

  /** Exports move `pending → sending → sent | suppressed | rejected`; removals end `removed`. */
  @ApiProperty({ enum: LEDGER_STATUSES })
  status: string;

  /**
   * Why: for `suppressed` one of `no_consent`, `revoked`, `authorization_withdrawn`, `too_old`,
   * `erased`; for `rejected` `destination_rejected`, `destination_unavailable` or `invalid_identifier`; for `sent`
   * without an upload `already_member`; for removals `revoked` or `erasure`.
   */
  @ApiProperty({ type: String, nullable: true })
  reason: string | null;

  /** The destination's error (rejected records; the last transient error of a retried one). */
  @ApiProperty({ type: DestinationErrorDto, nullable: true })
  error: DestinationError | null;

  /** The consent entries the record was checked against (grants for exports; the revoke for a removal). */
  @ApiProperty({ type: [ConsentRefDto] })
  consent: Array<ConsentRef & { checkpoint: CheckpointRefDto | null }>;

  /** The message that made the candidate (null for removals and after the customer's erasure). */
  @ApiProperty({ type: String, nullable: true })
  messageId: string | null;

  /** The marketing authorization the export was made under (null for removals). */
  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  authorizationId: string | null;

  /** Its version the candidate was made under; at send time the authorization must still be active at it. */
  @ApiProperty({ type: Number, nullable: true })
  authorizationVersion: number | null;

  /** The data uses the record serves; consent was checked for each. */
  @ApiProperty({ type: [String] })
  dataUses: string[];

  /** Where it went: `{sessionId, batchSeq, lastBatch}` for audiences, `{fbtraceId}` for events. */
  @ApiProperty({ type: Object, nullable: true })
  batch: Record<string, unknown> | null;

  /** The erasure request a removal served. */
  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  erasureRequestId: string | null;

  /** How often the record was taken for upload (retries after transient errors included). */
  @ApiProperty()
  attempts: number;

  /** When the record was made (the candidate arrived, or the removal was decided). */
  @ApiProperty()
  createdAt: string;

  /** When consent was (last) checked, i.e. the moment the export relied on it. */
  @ApiProperty({ type: String, nullable: true })
  checkedAt: string | null;

  /** When it reached its final state (`sent`, `suppressed`, `rejected` or `removed`); null before. */
  @ApiProperty({ type: String, nullable: true })
  completedAt: string | null;
}

export class LedgerPageDto {
  /** The page's records, oldest first. */
  @ApiProperty({ type: [LedgerEntryDto] })
  data: LedgerEntryDto[];

  /** Pass as `cursor` for the next page; null when this is the last one. */
  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

export function mapLedgerEntry(
  r: ExportRecord,
  checkpointFor: (logIndex: number) => CheckpointRefDto | null = () => null,
): LedgerEntryDto {
  return {
    id: r.id,
    destinationId: r.destinationId,
    destinationKind: r.destinationKind,
    adAccountId: r.adAccountId,
    targetId: r.targetId,
    operation: r.operation,
    status: r.status,
    reason: r.reason,
    error: r.error,
    consent: (r.consent ?? []).map((c) => ({ ...c, checkpoint: checkpointFor(c.logIndex) })),
    messageId: r.messageId,
    authorizationId: r.authorizationId,
    authorizationVersion: r.authorizationVersion,
    dataUses: r.dataUses,
    batch: r.batch,
    erasureRequestId: r.erasureRequestId,
    attempts: r.attempts,
    createdAt: r.createdAt.toISOString(),
    checkedAt: r.checkedAt?.toISOString() ?? null,
    completedAt: r.completedAt?.toISOString() ?? null,
  };
}

export class AuditReadQueryDto {
  /** `nextCursor` of the previous page. */
  @ApiPropertyOptional({ example: '1042' })
  @IsOptional()
  @Matches(/^[1-9]\d{0,17}$/, { message: 'cursor must be a cursor returned by a previous page' })
  cursor?: string;

  /** Page size. */
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}
