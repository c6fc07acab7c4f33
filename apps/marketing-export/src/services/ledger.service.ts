import { ForbiddenException, HttpStatus, Injectable } from '@nestjs/common';
import { Principal, Roles } from '@custody/auth';
import { asTenantId, TenantId } from '@custody/database';
import { DomainError } from '@custody/platform';
import { LedgerPageDto, LedgerQueryDto, mapLedgerEntry } from '../dtos/ledger.dto';
import { ConsentCheckpointRepository } from '../repositories/consent-checkpoint.repository';
import { ExportRepository } from '../repositories/export.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads the export ledger for a tenant's admins and for auditors. */
@Injectable()
export class LedgerService {
  constructor(
    private readonly records: ExportRepository,
    private readonly checkpoints: ConsentCheckpointRepository,
  ) {}

  /** The tenant whose ledger the caller may read: its own, or any for a platform-wide auditor. */
  tenantFor(principal: Principal, tenantId: string): TenantId {
    if (!UUID.test(tenantId)) {
      throw new DomainError(HttpStatus.NOT_FOUND, 'not_found', 'Ledger not found');
    }
    const platformWide = principal.roles.includes(Roles.Auditor) && !principal.tenantId;
    if (!platformWide && principal.tenantId !== tenantId.toLowerCase()) {
      throw new ForbiddenException({ code: 'forbidden', message: 'This token may only read its own tenant’s ledger' });
    }
    return asTenantId(tenantId);
  }

  async page(tenantId: TenantId, query: LedgerQueryDto): Promise<LedgerPageDto> {
    const limit = query.limit ?? 100;
    const rows = await this.records.page(
      tenantId,
      { destinationId: query.destinationId, status: query.status, operation: query.operation },
      limit + 1,
      query.cursor ? Number(query.cursor) : undefined,
    );
    const page = rows.slice(0, limit);
    // Each consent reference cites the first checkpoint of the consent log that contains its
    // entry (null until the log has signed one): the auditor proves the entry against it.
    const covering = await this.checkpoints.firstCovering(
      tenantId,
      page.flatMap((r) => (r.consent ?? []).map((c) => c.logIndex)),
    );
    return {
      data: page.map((r) => mapLedgerEntry(r, (index) => covering.get(index) ?? null)),
      nextCursor: rows.length > limit ? String(page[page.length - 1].seq) : null,
    };
  }
}
