import { Injectable } from '@nestjs/common';
import { ConsentSettings } from '../config/consent.settings';
import { TenantConsentSummaryPageDto } from '../dtos/operator.dto';
import { PlatformRepository } from '../repositories/platform.repository';

/** The operator's platform-wide view: every tenant's log size, signing freshness and consent counts. */
@Injectable()
export class OperatorService {
  constructor(
    private readonly platform: PlatformRepository,
    private readonly settings: ConsentSettings,
  ) {}

  async logs(limit = 100, cursor?: string): Promise<TenantConsentSummaryPageDto> {
    const rows = await this.platform.logs(limit + 1, cursor);
    const page = rows.slice(0, limit);
    return {
      data: page.map((r) => ({
        tenantId: r.tenantId,
        origin: this.settings.originFor(r.tenantId),
        logSize: r.size,
        lastAppendAt: r.updatedAt.toISOString(),
        purposes: r.purposes,
        granted: r.granted,
        revoked: r.revoked,
        latestSignedHead: r.latestHead,
      })),
      nextCursor: rows.length > limit ? page[page.length - 1].tenantId : null,
    };
  }
}
