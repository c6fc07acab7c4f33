import { Injectable } from '@nestjs/common';
import { TenantDb } from '@custody/database';

export interface AuditorCredential {
  clientId: string;
  /** null: platform-wide (every tenant's consent log). */
  tenantId: string | null;
  label: string;
  expiresAt: Date;
  createdAt: Date;
  revokedAt: Date | null;
}

interface Raw {
  client_id: string;
  tenant_id: string | null;
  secret_hash: string;
  label: string;
  expires_at: Date;
  created_at: Date;
  revoked_at: Date | null;
}

const map = (r: Raw): AuditorCredential => ({
  clientId: r.client_id,
  tenantId: r.tenant_id,
  label: r.label,
  expiresAt: r.expires_at,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

const COLUMNS = 'client_id, tenant_id, secret_hash, label, expires_at, created_at, revoked_at';

/** Operator-minted auditor credentials (platform work: a platform-wide one has no tenant). */
@Injectable()
export class AuditorCredentialRepository {
  constructor(private readonly db: TenantDb) {}

  async insert(credential: {
    clientId: string;
    tenantId: string | null;
    secretHash: string;
    label: string;
    expiresAt: Date;
  }): Promise<AuditorCredential> {
    return this.db.forPlatform(async (m) => {
      const rows: Raw[] = await m.query(
        `INSERT INTO auditor_credentials (client_id, tenant_id, secret_hash, label, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
        [credential.clientId, credential.tenantId, credential.secretHash, credential.label, credential.expiresAt],
      );
      return map(rows[0]);
    });
  }

  /** Auth path: with its secret hash. */
  find(clientId: string): Promise<(AuditorCredential & { secretHash: string; tenantStatus: string | null }) | null> {
    return this.db.forPlatform(async (m) => {
      const rows: Array<Raw & { status: string | null }> = await m.query(
        `SELECT a.client_id, a.tenant_id, a.secret_hash, a.label, a.expires_at, a.created_at, a.revoked_at, t.status
           FROM auditor_credentials a LEFT JOIN tenants t ON t.id = a.tenant_id WHERE a.client_id = $1`,
        [clientId],
      );
      return rows[0] ? { ...map(rows[0]), secretHash: rows[0].secret_hash, tenantStatus: rows[0].status } : null;
    });
  }

  /** Newest first, `limit` after the cursor (a client id of the previous page). */
  list(limit: number, before?: { createdAt: Date; clientId: string }): Promise<AuditorCredential[]> {
    return this.db.forPlatform(async (m) => {
      const rows: Raw[] = await m.query(
        `SELECT ${COLUMNS} FROM auditor_credentials
          WHERE ($2::timestamptz IS NULL OR (created_at, client_id) < ($2, $3))
          ORDER BY created_at DESC, client_id DESC LIMIT $1`,
        [limit, before?.createdAt ?? null, before?.clientId ?? null],
      );
      return rows.map(map);
    });
  }

  revoke(clientId: string): Promise<AuditorCredential | null> {
    return this.db.forPlatform(async (m) => {
      // An UPDATE … RETURNING answers [rows, affected] through TypeORM's query().
      const [rows]: [Raw[], number] = await m.query(
        `UPDATE auditor_credentials SET revoked_at = coalesce(revoked_at, now()) WHERE client_id = $1 RETURNING ${COLUMNS}`,
        [clientId],
      );
      return rows[0] ? map(rows[0]) : null;
    });
  }
}
