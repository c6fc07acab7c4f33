import { ForbiddenException, HttpStatus, Injectable } from '@nestjs/common';
import { Principal, Roles } from '@custody/auth';
import { asTenantId, TenantId } from '@custody/database';
import { DomainError } from '@custody/platform';
import {
  assembleProof,
  encodeHash,
  nodeKey,
  parseTilePath,
  planConsistencyProof,
  planInclusionProof,
  planNodes,
  ProofPlan,
  TILE_HEIGHT,
  TILE_WIDTH,
} from '@custody/transparency-log';
import { ConsentSettings } from '../config/consent.settings';
import {
  AuditLogListDto,
  AuditWordingListDto,
  CheckpointKeysDto,
  ConsistencyProofDto,
  InclusionProofDto,
  InclusionQueryDto,
} from '../dtos/audit.dto';
import { ConsentLogRepository } from '../repositories/consent-log.repository';
import { LogKeysRepository } from '../repositories/log-keys.repository';
import { PlatformRepository } from '../repositories/platform.repository';
import { PurposeRepository } from '../repositories/purpose.repository';

const EXPORT_PAGE = 2000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const bad = (message: string): DomainError => new DomainError(HttpStatus.BAD_REQUEST, 'bad_request', message);

/**
 * The auditor's read-only view of a tenant's log: proofs computed from stored tree nodes (one
 * read of O(log n) nodes, no leaves), and a streamed export. Tenant-scoped auditors and tenant
 * admins see their own tenant; a platform-wide auditor (no tenant in the token) sees every log.
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly log: ConsentLogRepository,
    private readonly purposes: PurposeRepository,
    private readonly platform: PlatformRepository,
    private readonly keys: LogKeysRepository,
    private readonly settings: ConsentSettings,
  ) {}

  /** Public: any UUID names a log (the key is derived, nothing is looked up), so this reveals no tenant. */
  checkpointKeys(tenantId: string): CheckpointKeysDto {
    const origin = this.settings.originFor(tenantId.toLowerCase());
    return { origin, keys: this.keys.checkpointKeys(origin, Date.now()) };
  }

  /** The tenant whose log the caller may read, or 403. */
  tenantFor(principal: Principal, tenantId: string): TenantId {
    if (!UUID.test(tenantId)) {
      throw new DomainError(HttpStatus.NOT_FOUND, 'not_found', 'Log not found');
    }
    const platformWide = principal.roles.includes(Roles.Auditor) && !principal.tenantId;
    if (!platformWide && principal.tenantId !== tenantId.toLowerCase()) {
      throw new ForbiddenException({ code: 'forbidden', message: 'This token may only read its own tenant’s log' });
    }
    return asTenantId(tenantId);
  }

  async logs(principal: Principal, limit: number, cursor?: string): Promise<AuditLogListDto> {
    if (principal.tenantId) {
      const tenantId = asTenantId(principal.tenantId);
      const { size } = await this.log.head(tenantId);
      return { data: [{ tenantId, origin: this.settings.originFor(tenantId), size }], nextCursor: null };
    }
    const rows = await this.platform.logs(limit + 1, cursor);
    const page = rows.slice(0, limit);
    return {
      data: page.map((r) => ({ tenantId: r.tenantId, origin: this.settings.originFor(r.tenantId), size: r.size })),
      nextCursor: rows.length > limit ? page[page.length - 1].tenantId : null,
    };
  }

  async inclusion(tenantId: TenantId, query: InclusionQueryDto): Promise<InclusionProofDto> {
    if ((query.index === undefined) === (query.eventId === undefined)) {
      throw bad('Give exactly one of index and eventId');
    }
    const { size } = await this.log.head(tenantId);
    const treeSize = query.treeSize ?? size;
    if (treeSize > size) {
      throw bad(`treeSize ${treeSize} is beyond the log's size ${size}`);
    }
    let index = query.index;
    if (query.eventId !== undefined) {
      const found = await this.log.findById(tenantId, query.eventId);
      if (!found) {
        throw new DomainError(HttpStatus.NOT_FOUND, 'not_found', `No entry ${query.eventId} in this log`);
      }
      index = found.leafIndex;
    }
    if (index! >= treeSize) {
      throw bad(`index ${index} is not within a tree of size ${treeSize}`);
    }
    const plan = planInclusionProof(index!, treeSize);
    const leafNode = { level: 0, index: index! };
    const [nodes, stored] = await Promise.all([
      this.log.nodes(tenantId, [...planNodes(plan), leafNode]),
      this.log.entryAt(tenantId, index!),
    ]);
    const path = assembleProof(plan, (c) => nodes.get(nodeKey(c)));
    const leafHash = nodes.get(nodeKey(leafNode));
    if (!leafHash || !stored) {
      throw new Error(`log entry ${index} or its leaf is missing from storage`);
    }
    return {
      leafIndex: index!,
      treeSize,
      leafHash: encodeHash(leafHash),
      auditPath: path.map(encodeHash),
      entry: stored.entry as unknown as Record<string, unknown>,
    };
  }

  async consistency(tenantId: TenantId, first: number, second: number): Promise<ConsistencyProofDto> {
    const { size } = await this.log.head(tenantId);
    if (first > second || second > size) {
      throw bad(`need first <= second <= ${size} (the log's size)`);
    }
    const proof = await this.assemble(tenantId, planConsistencyProof(first, second));
    return { firstSize: first, secondSize: second, proof: proof.map(encodeHash) };
  }

  /**
   * The export as JSON Lines, one entry per line: `{"index":…,"leafHash":…,"entry":…}` with the
   * entry's stored bytes verbatim. Ends at `to` (default: the size when the export started).
   */
  async *exportLines(tenantId: TenantId, from = 0, to?: number): AsyncGenerator<string> {
    const { size } = await this.log.head(tenantId);
    const end = Math.min(to ?? size, size);
    let next = from;
    while (next < end) {
      const rows = await this.log.exportPage(tenantId, next, end, EXPORT_PAGE);
      if (rows.length === 0) {
        return;
      }
      let chunk = '';
      for (const r of rows) {
        chunk += `{"index":${r.leafIndex},"leafHash":${r.leafHash ? `"${encodeHash(r.leafHash)}"` : 'null'},"entry":${r.entry.toString('utf8')}}\n`;
      }
      yield chunk;
      next = rows[rows.length - 1].leafIndex + 1;
    }
  }

  /**
   * A C2SP tlog-tiles resource: a hash tile (the stored nodes at tree level 8·L, read in one query)
   * or an entry bundle (each entry's stored bytes behind a big-endian uint16 length). A tile exists
   * once the log is large enough to hold it; what it holds never changes.
   */
  async tile(tenantId: TenantId, segments: string[]): Promise<Buffer> {
    const tile = parseTilePath(segments);
    const notFound = () =>
      new DomainError(HttpStatus.NOT_FOUND, 'not_found', `No tile ${segments.join('/')} in this log`);
    if (!tile) {
      throw notFound();
    }
    const { size } = await this.log.head(tenantId);
    const first = tile.index * TILE_WIDTH;
    if (tile.level === 'entries') {
      if (first + tile.width > size) {
        throw notFound();
      }
      const rows = await this.log.exportPage(tenantId, first, first + tile.width, tile.width);
      const parts: Buffer[] = [];
      for (const r of rows) {
        if (r.entry.length > 0xffff) {
          throw new Error(`entry ${r.leafIndex} is longer than a tile bundle can hold`);
        }
        const length = Buffer.alloc(2);
        length.writeUInt16BE(r.entry.length);
        parts.push(length, r.entry);
      }
      return Buffer.concat(parts);
    }
    // Each hash at tree level 8·L covers 256^L leaves.
    const level = tile.level;
    const span = TILE_WIDTH ** level;
    if ((first + tile.width) * span > size) {
      throw notFound();
    }
    const coords = Array.from({ length: tile.width }, (_, i) => ({ level: level * TILE_HEIGHT, index: first + i }));
    const nodes = await this.log.nodes(tenantId, coords);
    return Buffer.concat(
      coords.map((c) => {
        const hash = nodes.get(nodeKey(c));
        if (!hash) {
          throw new Error(`stored node ${c.level}/${c.index} is missing`);
        }
        return hash;
      }),
    );
  }

  async wordings(tenantId: TenantId): Promise<AuditWordingListDto> {
    const rows = await this.purposes.wordings(tenantId);
    return {
      data: rows.map((w) => ({
        purpose: w.purposeKey,
        language: w.language,
        version: w.version,
        hash: w.hash,
        content: w.content.toString('utf8'),
      })),
    };
  }

  private async assemble(tenantId: TenantId, plan: ProofPlan): Promise<Buffer[]> {
    const nodes = await this.log.nodes(tenantId, planNodes(plan));
    return assembleProof(plan, (c) => nodes.get(nodeKey(c)));
  }
}
