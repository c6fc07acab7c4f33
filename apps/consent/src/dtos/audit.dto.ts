import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { IsOptional, IsUUID, Matches } from 'class-validator';
import { CursorPageDto, PageLimit, QueryInt } from '@custody/platform';

export class SignedTreeHeadDto {
  /** Which log: `<CONSENT_LOG_ORIGIN>/<tenantId>`. */
  @ApiProperty({ example: 'consent.custody.local/6f1c1f9e-7a40-4a43-9e8e-3f6a1c2b9d10' })
  origin: string;

  /** Number of entries the head covers. */
  @ApiProperty()
  treeSize: number;

  /** MTH (RFC 6962) of the first treeSize entries, base64. */
  @ApiProperty()
  rootHash: string;

  /** Milliseconds since the epoch. */
  @ApiProperty()
  timestamp: number;

  /** `kid` of the log key that signed it (see `GET /v1/audit/log-keys`). */
  @ApiProperty()
  keyId: string;

  /** JWS compact serialization (EdDSA/Ed25519) over the canonical statement; see docs/consent-log-format.md. */
  @ApiProperty()
  signature: string;

  /**
   * The same size and root as a C2SP tlog-checkpoint in a signed note, signed by the log's own key
   * (`GET …/checkpoint-keys`); the source of truth for witnesses and Go's `sumdb/note`. Null for
   * heads signed before checkpoints existed.
   */
  @ApiProperty({ type: String, nullable: true })
  checkpoint: string | null;
}

export class TreeHeadListDto {
  @ApiProperty({ type: [SignedTreeHeadDto] })
  data: SignedTreeHeadDto[];

  /** Pass as `cursor` for the next (older) page; null on the last page. */
  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

export class TreeHeadListQueryDto {
  /** How many heads, newest first. */
  @PageLimit(500, 100)
  limit?: number;

  /** `nextCursor` of the previous page. */
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,17}$/, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;
}

export class CheckpointKeyDto {
  /** C2SP verifier key (`<origin>+<key id>+<base64>`): give it to `note.NewVerifier` or `custody-audit --log-key`. */
  @ApiProperty({
    example:
      'consent.custody.local/6f1c1f9e-7a40-4a43-9e8e-3f6a1c2b9d10+7f3837cf+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4',
  })
  verifierKey: string;

  /** The key id, 8 hex digits. */
  @ApiProperty()
  keyId: string;

  /** `kid` of the operator's log key (`GET /v1/audit/log-keys`) this log's key is derived from. */
  @ApiProperty()
  derivedFrom: string;

  /** When the key starts signing (RFC 3339), null when unbounded. */
  @ApiProperty({ type: String, nullable: true })
  validFrom: string | null;

  /** When the key stops signing (RFC 3339), null when unbounded. Checkpoints it signed stay valid. */
  @ApiProperty({ type: String, nullable: true })
  validUntil: string | null;

  /** Whether it signs new checkpoints now. */
  @ApiProperty()
  active: boolean;
}

export class CheckpointKeysDto {
  /** The log's origin: the first line of its checkpoints and the name of its keys. */
  @ApiProperty()
  origin: string;

  @ApiProperty({ type: [CheckpointKeyDto] })
  keys: CheckpointKeyDto[];
}

export class InclusionQueryDto {
  /** The leaf index to prove (or give eventId). */
  @QueryInt({ min: 0 })
  index?: number;

  /** The entry id to prove (or give index). */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  eventId?: string;

  /** The tree size to prove against (a signed head's treeSize; default: the current size). */
  @QueryInt({ min: 1 })
  treeSize?: number;
}

export class InclusionProofDto {
  /** The proven entry's position in the log. */
  @ApiProperty()
  leafIndex: number;

  /** The tree size the proof is against. */
  @ApiProperty()
  treeSize: number;

  /** Base64 leaf hash: SHA-256(0x00 || canonical entry). */
  @ApiProperty()
  leafHash: string;

  /** Base64 sibling hashes from the leaf up (RFC 6962 PATH). */
  @ApiProperty({ type: [String] })
  auditPath: string[];

  /** The entry, so its leaf hash can be recomputed. */
  @ApiProperty({ type: 'object', additionalProperties: true })
  entry: Record<string, unknown>;
}

export class ConsistencyQueryDto {
  /** The older tree size (e.g. a head you kept). */
  @QueryInt({ min: 0, required: true })
  first: number;

  /** The newer tree size; at least `first`. */
  @QueryInt({ min: 0, required: true })
  second: number;
}

export class ConsistencyProofDto {
  /** The older tree size. */
  @ApiProperty()
  firstSize: number;

  /** The newer tree size. */
  @ApiProperty()
  secondSize: number;

  /** Base64 hashes (RFC 6962 PROOF). */
  @ApiProperty({ type: [String] })
  proof: string[];
}

export class ExportQueryDto {
  /** First leaf index (default 0). */
  @QueryInt({ min: 0 })
  from?: number;

  /** End (exclusive) — use a signed head's treeSize; default: the current size. */
  @QueryInt({ min: 0 })
  to?: number;
}

export class LogKeysDto {
  /** Public Ed25519 JWKs (kty OKP, crv Ed25519, alg EdDSA) that sign tree heads. */
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } })
  keys: object[];
}

export class AuditLogDto {
  /** The tenant whose log it is. */
  @ApiProperty({ format: 'uuid' })
  tenantId: string;

  /** The log's name: `<CONSENT_LOG_ORIGIN>/<tenantId>`. */
  @ApiProperty()
  origin: string;

  /** Entries in the log now. */
  @ApiProperty()
  size: number;
}

export class AuditLogListDto extends CursorPageDto(AuditLogDto) {}

export class AuditWordingDto {
  /** The purpose key. */
  @ApiProperty()
  purpose: string;

  /** Language tag of the wording. */
  @ApiProperty()
  language: string;

  /** 1, 2, … per purpose and language. */
  @ApiProperty()
  version: number;

  /** SHA-256 (hex) of `content`. */
  @ApiProperty()
  hash: string;

  /** The canonical JSON the hash covers (type, purpose, dataUse, language, version, text). */
  @ApiProperty()
  content: string;
}

export class AuditWordingListDto {
  @ApiProperty({ type: [AuditWordingDto] })
  data: AuditWordingDto[];
}

export class PageQueryDto {
  /** Page size. */
  @PageLimit(500, 100)
  limit?: number;

  /** Opaque cursor from a previous page. */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  cursor?: string;
}
