import { HttpStatus, Injectable } from '@nestjs/common';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { FieldCipher } from '@custody/crypto';
import { asTenantId, TenantDb, TenantId } from '@custody/database';
import { IngestEnv } from '../config/ingest.env';
import { checkMediaUpload } from '../domain/media-types';
import { RoutingRepository } from '../repositories/routing.repository';
import { GraphCodes, GraphError, invalidParameter } from './graph-error';

/** How long an upload is kept (the Cloud API's 30 days) and a download URL lasts (5 minutes). */
const MEDIA_LIFETIME_MS = 30 * 86_400_000;
const DOWNLOAD_URL_LIFETIME_MS = 5 * 60_000;
const INBOUND_MEDIA_LIFETIME_MS = 7 * 86_400_000;

export interface UploadedFile {
  buffer: Buffer;
  mimetype: string;
  size: number;
}

export interface MediaMetadata {
  messaging_product: 'whatsapp';
  url: string;
  mime_type: string;
  sha256: string;
  file_size: number;
  id: string;
}

interface MediaRow {
  id: string;
  phone_number_id: string;
  mime_type: string;
  sha256: string;
  file_size: string;
  content_ciphertext: string;
  download_token_hash: string | null;
  download_expires_at: Date | null;
}

const aadOf = (mediaId: string) => ({ messageId: mediaId, field: 'media' });
/** The id of a customer message's media: derived from the message (a message delivered twice keeps one copy). */
function inboundMediaId(tenantId: TenantId, messageId: string): string {
  const digest = createHash('sha256').update(`${tenantId}:${messageId}`).digest();
  // 16 digits, like the uploads' ids, from the first 8 bytes of the digest.
  return String(1000000000000000n + (digest.readBigUInt64BE(0) % 9000000000000000n));
}
const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * The Cloud API's media endpoints: upload to a business number, metadata with a download URL that
 * lasts 5 minutes, download (with the bearer token and that URL), delete. The bytes are sealed
 * under the tenant's data key before they are stored; every read is the tenant's own (a media id
 * of another tenant answers exactly like an unknown one).
 */
@Injectable()
export class MediaService {
  constructor(
    private readonly db: TenantDb,
    private readonly routing: RoutingRepository,
    private readonly cipher: FieldCipher,
    private readonly env: IngestEnv,
  ) {}

  async upload(
    callerTenantId: string,
    phoneNumberId: string,
    fields: Record<string, unknown>,
    file: UploadedFile | undefined,
  ): Promise<{ id: string }> {
    const tenantId = asTenantId(callerTenantId);
    const route = await this.routing.routeFor(phoneNumberId);
    if (!route || route.tenantId !== tenantId) {
      throw unknownObject('post', phoneNumberId);
    }
    if (fields.messaging_product !== 'whatsapp') {
      throw invalidParameter('messaging_product must be "whatsapp"');
    }
    if (!file) {
      throw invalidParameter('The multipart field "file" (the media) is required');
    }
    const declared = typeof fields.type === 'string' && fields.type.length > 0 ? fields.type : undefined;
    const check = checkMediaUpload(declared, file.mimetype, file.size);
    if (!check.ok) {
      throw new GraphError(
        HttpStatus.BAD_REQUEST,
        GraphCodes.MediaUpload,
        '(#131053) Media upload error',
        check.details,
      );
    }
    // 16 digits, like Graph ids (randomInt takes ranges below 2^48, hence two draws).
    const id = `${randomInt(1e7, 1e8)}${String(randomInt(0, 1e8)).padStart(8, '0')}`;
    const sealed = await this.cipher.encrypt(tenantId, file.buffer, aadOf(id));
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO media (id, tenant_id, phone_number_id, mime_type, sha256, file_size, content_ciphertext, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          id,
          tenantId,
          phoneNumberId,
          check.mimeType,
          createHash('sha256').update(file.buffer).digest('hex'),
          file.size,
          sealed,
          new Date(Date.now() + MEDIA_LIFETIME_MS),
        ],
      ),
    );
    return { id };
  }

  /**
   * A customer's media, received from the network: sealed and kept like an upload, for 7 days (the
   * Cloud API's lifetime of media ids from webhooks), under an id derived from the message (a
   * message delivered twice keeps one copy). Answers the id and the hex SHA-256.
   */
  async storeInbound(
    tenantId: TenantId,
    phoneNumberId: string,
    customerRef: string,
    messageId: string,
    mimeType: string,
    bytes: Buffer,
  ): Promise<{ id: string; sha256: string }> {
    const id = inboundMediaId(tenantId, messageId);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const sealed = await this.cipher.encrypt(tenantId, bytes, aadOf(id));
    await this.db.forTenant(tenantId, (m) =>
      m.query(
        `INSERT INTO media (id, tenant_id, phone_number_id, mime_type, sha256, file_size, content_ciphertext, expires_at, customer_ref)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
        [
          id,
          tenantId,
          phoneNumberId,
          mimeType,
          sha256,
          bytes.length,
          sealed,
          new Date(Date.now() + INBOUND_MEDIA_LIFETIME_MS),
          customerRef,
        ],
      ),
    );
    return { id, sha256 };
  }

  /**
   * The media already kept for these customer messages (a batch the network delivers again), by
   * message id: one read per tenant of a batch with media, so a redelivery fetches nothing twice.
   */
  async storedInbound(
    tenantId: TenantId,
    messageIds: string[],
  ): Promise<Map<string, { id: string; mimeType: string; sha256: string }>> {
    const ids = new Map(messageIds.map((messageId) => [inboundMediaId(tenantId, messageId), messageId]));
    const rows: Array<{ id: string; mime_type: string; sha256: string }> = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT id, mime_type, sha256 FROM media WHERE tenant_id = $1 AND id = ANY($2::text[]) AND expires_at > now()`,
        [tenantId, [...ids.keys()]],
      ),
    );
    return new Map(rows.map((r) => [ids.get(r.id) as string, { id: r.id, mimeType: r.mime_type, sha256: r.sha256 }]));
  }

  /**
   * The uploaded media a send names by id, when it is the tenant's and not expired (one primary-key
   * read, only for sends of media by id).
   */
  async forSend(tenantId: TenantId, mediaId: string): Promise<{ mimeType: string; sha256: string } | null> {
    const rows: Array<{ mime_type: string; sha256: string }> = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT mime_type, sha256 FROM media WHERE tenant_id = $1 AND id = $2 AND expires_at > now()`, [
        tenantId,
        mediaId,
      ]),
    );
    return rows[0] ? { mimeType: rows[0].mime_type, sha256: rows[0].sha256 } : null;
  }

  /** Metadata, with a download URL valid for 5 minutes (each call issues a new one). */
  async metadata(
    callerTenantId: string,
    version: string,
    mediaId: string,
    phoneNumberId?: string,
  ): Promise<MediaMetadata> {
    const tenantId = asTenantId(callerTenantId);
    const token = randomBytes(24).toString('base64url');
    // An UPDATE … RETURNING answers [rows, count] through TypeORM.
    const [rows]: [MediaRow[], number] = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `UPDATE media SET download_token_hash = $3, download_expires_at = $4
          WHERE tenant_id = $1 AND id = $2 AND expires_at > now() AND ($5::text IS NULL OR phone_number_id = $5)
          RETURNING id, phone_number_id, mime_type, sha256, file_size`,
        [tenantId, mediaId, tokenHash(token), new Date(Date.now() + DOWNLOAD_URL_LIFETIME_MS), phoneNumberId ?? null],
      ),
    );
    const row = rows[0];
    if (!row) {
      throw unknownObject('get', mediaId);
    }
    const base = this.env.PUBLIC_BASE_URL?.replace(/\/+$/, '') ?? '';
    return {
      messaging_product: 'whatsapp',
      url: `${base}/${version}/media/${row.id}/content?token=${token}`,
      mime_type: row.mime_type,
      sha256: row.sha256,
      file_size: Number(row.file_size),
      id: row.id,
    };
  }

  /** The bytes, opened; the URL's token must be the latest issued and not expired. */
  async content(
    callerTenantId: string,
    mediaId: string,
    token: string | undefined,
  ): Promise<{ mimeType: string; body: Buffer }> {
    const tenantId = asTenantId(callerTenantId);
    const rows: MediaRow[] = await this.db.forTenant(tenantId, (m) =>
      m.query(
        `SELECT id, mime_type, content_ciphertext, download_token_hash, download_expires_at FROM media
          WHERE tenant_id = $1 AND id = $2 AND expires_at > now()`,
        [tenantId, mediaId],
      ),
    );
    const row = rows[0];
    if (!row) {
      throw unknownObject('get', mediaId);
    }
    if (
      !token ||
      row.download_token_hash !== tokenHash(token) ||
      !row.download_expires_at ||
      row.download_expires_at.getTime() < Date.now()
    ) {
      throw new GraphError(
        HttpStatus.UNAUTHORIZED,
        GraphCodes.AccessToken,
        'The media URL has expired or is not valid',
        'Call GET /{media-id} again for a new URL (it lasts 5 minutes)',
      );
    }
    return {
      mimeType: row.mime_type,
      body: await this.cipher.decrypt(tenantId, row.content_ciphertext, aadOf(row.id)),
    };
  }

  async remove(callerTenantId: string, mediaId: string, phoneNumberId?: string): Promise<{ success: true }> {
    const tenantId = asTenantId(callerTenantId);
    const [, deleted]: [unknown, number] = await this.db.forTenant(tenantId, (m) =>
      m.query(`DELETE FROM media WHERE tenant_id = $1 AND id = $2 AND ($3::text IS NULL OR phone_number_id = $3)`, [
        tenantId,
        mediaId,
        phoneNumberId ?? null,
      ]),
    );
    if (deleted === 0) {
      throw unknownObject('delete', mediaId);
    }
    return { success: true };
  }
}

/** The Graph answer for an object that does not exist or is not the caller's (the same for both). */
export function unknownObject(method: 'get' | 'post' | 'delete', id: string): GraphError {
  return new GraphError(
    HttpStatus.NOT_FOUND,
    GraphCodes.InvalidParameter,
    `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
    undefined,
    'GraphMethodException',
  );
}
