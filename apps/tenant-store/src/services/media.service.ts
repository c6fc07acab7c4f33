import { HttpStatus, Injectable } from '@nestjs/common';
import { CUSTODY_MARKING } from '@custody/contracts';
import { DecryptionError, FieldCipher } from '@custody/crypto';
import { asTenantId, TenantDb, TenantId } from '@custody/database';
import { DomainError, notFound } from '@custody/platform';
import { MediaDto } from '../dtos/media.dto';
import { MEDIA_URL_TTL_MS } from './media-ids';
import { contentAad } from './message-store.service';

const MEDIA_ID = /^\d{16}$/;

interface MediaRow {
  id: string;
  tenant_id: TenantId;
  message_id: string;
  media_type: string;
  expires_at: Date;
}

const mediaExpired = (): DomainError =>
  new DomainError(HttpStatus.GONE, 'media_expired', 'This media id has expired (media ids are valid 30 days)');

/** The associated data of a download URL's token: it is valid for this media id only. */
function urlTokenAad(id: string): { messageId: string; field: string } {
  return { messageId: `media:${id}`, field: 'download-url' };
}

/**
 * Media ids and short-lived download URLs, as the Cloud API hands them out. Custody stores media
 * by link (inside the encrypted message content), so a download URL redirects to that link. The
 * URL's token is an AES-GCM envelope under the tenant's data key holding its expiry, bound to the
 * media id: it cannot be forged, extended or moved to another media id, and needs no new secret.
 */
/** Where download URLs point: tenant-store's public base URL, or nothing (a path, relative to the API). */
export class MediaSettings {
  constructor(readonly publicBaseUrl: string | undefined) {}
}

@Injectable()
export class MediaService {
  constructor(
    private readonly db: TenantDb,
    private readonly cipher: FieldCipher,
    private readonly settings: MediaSettings,
  ) {}

  /**
   * The download URL is built from configuration (PUBLIC_BASE_URL), never from the request's Host
   * header, which a client (or a proxy in between) chooses: without it the URL is a path.
   */
  async get(tenant: string, id: string): Promise<MediaDto> {
    const baseUrl = this.settings.publicBaseUrl ?? '';
    const tenantId = asTenantId(tenant);
    const rows: MediaRow[] = MEDIA_ID.test(id)
      ? await this.db.forTenant(tenantId, (m) =>
          m.query(`SELECT * FROM media_refs WHERE tenant_id = $1 AND id = $2`, [tenantId, id]),
        )
      : [];
    const row = rows[0];
    if (!row) {
      throw notFound('Media');
    }
    if (row.expires_at.getTime() <= Date.now()) {
      throw mediaExpired();
    }
    const urlExpiresAt = Date.now() + MEDIA_URL_TTL_MS;
    const token = await this.cipher.encrypt(tenantId, String(urlExpiresAt), urlTokenAad(id));
    return {
      id,
      messageId: row.message_id,
      mediaType: row.media_type,
      url: `${baseUrl}/v1/media/${id}/download?token=${encodeURIComponent(token)}`,
      urlExpiresAt: new Date(urlExpiresAt).toISOString(),
      expiresAt: row.expires_at.toISOString(),
      custody: { ...CUSTODY_MARKING },
    };
  }

  /** The media's link, for a download URL that is genuine and still valid. */
  async resolveDownload(id: string, token: string | undefined): Promise<string> {
    const rows: MediaRow[] =
      MEDIA_ID.test(id) && token
        ? await this.db.forPlatform((m) => m.query(`SELECT * FROM media_refs WHERE id = $1`, [id]))
        : [];
    const row = rows[0];
    if (!row) {
      throw notFound('Media');
    }
    let expiresAt: number;
    try {
      expiresAt = Number(await this.cipher.decryptString(row.tenant_id, token!, urlTokenAad(id)));
    } catch (error) {
      if (error instanceof DecryptionError) {
        throw notFound('Media');
      }
      throw error;
    }
    if (!(expiresAt > Date.now())) {
      throw new DomainError(
        HttpStatus.GONE,
        'url_expired',
        'This download URL has expired (URLs are valid 5 minutes): ask GET /v1/media/{id} for a new one',
      );
    }
    if (row.expires_at.getTime() <= Date.now()) {
      throw mediaExpired();
    }
    const stored: Array<{ content_ciphertext: string }> = await this.db.forTenant(row.tenant_id, (m) =>
      m.query(`SELECT content_ciphertext FROM messages WHERE tenant_id = $1 AND message_id = $2`, [
        row.tenant_id,
        row.message_id,
      ]),
    );
    if (!stored[0]) {
      throw notFound('Media');
    }
    const content = JSON.parse(
      await this.cipher.decryptString(row.tenant_id, stored[0].content_ciphertext, contentAad(row.message_id)),
    ) as { link?: unknown };
    // Only the media's own stored link, and only a web link (no javascript:, data:, file: …).
    if (typeof content.link !== 'string' || !/^https?:$/.test(safeProtocol(content.link))) {
      throw notFound('Media');
    }
    return content.link;
  }
}

function safeProtocol(link: string): string {
  try {
    return new URL(link).protocol;
  } catch {
    return '';
  }
}
