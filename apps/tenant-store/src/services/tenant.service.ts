import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Roles } from '@custody/auth';
import { CustomerIndexKeys, FieldCipher, TenantKeyring, WEBHOOK_APP_SECRET_AAD } from '@custody/crypto';
import { asTenantId } from '@custody/database';
import { checkEgressUrl, DomainError, notFound } from '@custody/platform';
import {
  ClientCredentialsDto,
  CreateCredentialDto,
  CreatedTenantResponseDto,
  CreateTenantDto,
  mapTenant,
  TenantPageDto,
  TenantResponseDto,
  UpdateTenantDto,
} from '../dtos/tenant.dto';
import { DuplicateError, TenantRepository } from '../repositories/tenant.repository';
import { OutboxService } from '@custody/kafka';
import { hashSecret, newClientId, newClientSecret } from './credential-secrets';

/** Whether an operator's webhookUrl may name a loopback address (EGRESS_ALLOW_LOOPBACK). */
export const WEBHOOK_URL_POLICY = Symbol('WEBHOOK_URL_POLICY');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class TenantService {
  constructor(
    private readonly tenants: TenantRepository,
    private readonly outbox: OutboxService,
    private readonly keyring: TenantKeyring,
    private readonly cipher: FieldCipher,
    private readonly indexKeys: CustomerIndexKeys,
    @Inject(WEBHOOK_URL_POLICY) private readonly webhookPolicy: { allowLoopback: boolean },
  ) {}

  async create(dto: CreateTenantDto): Promise<CreatedTenantResponseDto> {
    if (dto.webhookUrl !== undefined) {
      try {
        // The egress guard's static policy (scheme, credentials, literal addresses); host names
        // are checked again, resolved, on every request ingest makes to the URL.
        checkEgressUrl(dto.webhookUrl, this.webhookPolicy.allowLoopback);
      } catch {
        throw new DomainError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', [
          'webhookUrl is not allowed: it must be a public http(s) address without credentials',
        ]);
      }
    }
    const ids = dto.phoneNumbers.map((p) => p.phoneNumberId);
    if (new Set(ids).size !== ids.length) {
      throw new DomainError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', [
        'phoneNumbers must not repeat a phoneNumberId',
      ]);
    }
    const clientSecret = newClientSecret();
    const credential = { clientId: newClientId(), secretHash: hashSecret(clientSecret), roles: [Roles.TenantAdmin] };
    const id = asTenantId(randomUUID());
    // The tenant's data key exists before its first event: the tenants topic carries it (wrapped)
    // to the services that seal content at the edge, and the app secret is sealed under it.
    const appSecretCiphertext = await this.cipher.encrypt(id, dto.appSecret, WEBHOOK_APP_SECRET_AAD);
    // Likewise its customer index key: ingest turns customers' numbers into references from the first message on.
    await this.indexKeys.ensure(id);
    try {
      const tenant = await this.tenants.create({
        id,
        businessAccountId: dto.businessAccountId,
        displayName: dto.displayName,
        webhookUrl: dto.webhookUrl ?? null,
        appSecretCiphertext,
        messagesPerSecond: dto.messagesPerSecond ?? 80,
        phoneNumbers: dto.phoneNumbers,
        credential,
      });
      this.outbox.wake();
      return {
        tenant: mapTenant(tenant),
        credentials: { clientId: credential.clientId, clientSecret, roles: credential.roles },
      };
    } catch (error) {
      // No tenant, no key: the one just made for it goes.
      await this.keyring.purge(id).catch(() => undefined);
      await this.indexKeys.purge(id).catch(() => undefined);
      if (error instanceof DuplicateError) {
        const what = error.constraint.includes('phone') ? 'a phone number id' : 'the business account id';
        throw new DomainError(HttpStatus.CONFLICT, 'conflict', `Another tenant already uses ${what}`);
      }
      throw error;
    }
  }

  async get(id: string): Promise<TenantResponseDto> {
    if (!UUID.test(id)) {
      throw notFound('Tenant');
    }
    const tenant = await this.tenants.get(asTenantId(id));
    if (!tenant) {
      throw notFound('Tenant');
    }
    return mapTenant(tenant);
  }

  async list(limit = 50, cursor?: string): Promise<TenantPageDto> {
    let afterId: string | undefined;
    if (cursor) {
      afterId = Buffer.from(cursor, 'base64url').toString('utf8');
      if (!UUID.test(afterId)) {
        throw new DomainError(HttpStatus.BAD_REQUEST, 'bad_request', 'cursor is not valid');
      }
    }
    const rows = await this.tenants.listAll(limit + 1, afterId);
    const page = rows.slice(0, limit);
    return {
      data: page.map(mapTenant),
      nextCursor: rows.length > limit ? Buffer.from(page[page.length - 1].id, 'utf8').toString('base64url') : null,
    };
  }

  async setStatus(id: string, status: 'active' | 'suspended'): Promise<TenantResponseDto> {
    if (!UUID.test(id)) {
      throw notFound('Tenant');
    }
    const tenant = await this.tenants.setStatus(asTenantId(id), status);
    if (!tenant) {
      throw notFound('Tenant');
    }
    this.outbox.wake();
    return mapTenant(tenant);
  }

  async update(id: string, dto: UpdateTenantDto, limits: { min: number; max: number }): Promise<TenantResponseDto> {
    if (!UUID.test(id)) {
      throw notFound('Tenant');
    }
    if (dto.retentionDays === undefined && dto.messagesPerSecond === undefined) {
      throw new DomainError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', [
        'give retentionDays and/or messagesPerSecond',
      ]);
    }
    if (dto.retentionDays !== undefined && (dto.retentionDays < limits.min || dto.retentionDays > limits.max)) {
      throw new DomainError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', [
        `retentionDays must be between ${limits.min} and ${limits.max} (the operator's limits)`,
      ]);
    }
    const tenant = await this.tenants.update(asTenantId(id), dto);
    if (!tenant) {
      throw notFound('Tenant');
    }
    this.outbox.wake();
    return mapTenant(tenant);
  }

  async addCredential(id: string, dto: CreateCredentialDto): Promise<ClientCredentialsDto> {
    await this.get(id);
    const clientSecret = newClientSecret();
    const credential = { clientId: newClientId(), secretHash: hashSecret(clientSecret), roles: dto.roles };
    await this.tenants.addCredential(asTenantId(id), credential);
    return { clientId: credential.clientId, clientSecret, roles: credential.roles };
  }
}
