import type { TenantId } from '@custody/database';
import type { DataKeyRecord } from './data-key-store';
import type { FieldAad } from './field-cipher';

/**
 * A tenant's data key as it travels from its owner (tenant-store) to the services that use it
 * (ingest, consent) on the tenants topic: only ever wrapped by the master key, so the topic and
 * the receiving service's table hold no usable key without the key provider. A destroyed version
 * travels as a tombstone without key material.
 */
export interface DistributedDataKey {
  version: number;
  masterKeyId: string;
  /** base64 of the wrapped key; absent once destroyed. */
  wrappedKey?: string;
  createdAt: string;
  retiredAt?: string;
  destroyedAt?: string;
}

/** The records of one tenant as they are distributed. */
export function distributeDataKeys(records: readonly DataKeyRecord[]): DistributedDataKey[] {
  return records.map((r) => ({
    version: r.version,
    masterKeyId: r.masterKeyId,
    ...(r.wrappedKey && !r.destroyedAt ? { wrappedKey: r.wrappedKey.toString('base64') } : {}),
    createdAt: r.createdAt.toISOString(),
    ...(r.retiredAt ? { retiredAt: r.retiredAt.toISOString() } : {}),
    ...(r.destroyedAt ? { destroyedAt: r.destroyedAt.toISOString() } : {}),
  }));
}

/** The distributed keys of a tenant as records of a receiving service's store. */
export function receivedDataKeys(tenantId: TenantId, keys: readonly DistributedDataKey[]): DataKeyRecord[] {
  return keys.map((k) => {
    const destroyed = k.destroyedAt !== undefined || k.wrappedKey === undefined;
    return {
      tenantId,
      version: k.version,
      masterKeyId: k.masterKeyId,
      wrappedKey: destroyed ? null : Buffer.from(k.wrappedKey!, 'base64'),
      createdAt: new Date(k.createdAt),
      retiredAt: k.retiredAt ? new Date(k.retiredAt) : destroyed ? new Date(k.destroyedAt ?? k.createdAt) : null,
      destroyedAt: destroyed ? new Date(k.destroyedAt ?? k.createdAt) : null,
    };
  });
}

/**
 * A store that receives a tenant's keys from their owner: `replaceAll` makes the tenant's rows
 * exactly the given ones (an empty list: the tenant is gone, its keys with it).
 */
export interface ReceivedDataKeyStore {
  replaceAll(tenantId: TenantId, records: readonly DataKeyRecord[]): Promise<void>;
}

/**
 * The associated data of a message's content: the whole type-specific payload (text, caption,
 * filename, template parameters, reaction, links…) is one envelope, sealed where the message
 * enters Custody and stored as it is.
 */
export function messageContentAad(messageId: string): FieldAad {
  return { messageId, field: 'content' };
}

/** The associated data of a tenant's webhook app secret (one per tenant; the tenant is in the AAD already). */
export const WEBHOOK_APP_SECRET_AAD: FieldAad = Object.freeze({ messageId: 'tenant', field: 'webhook_app_secret' });

/**
 * Where a tenant's keys arrive on a service that only uses them: its copy becomes exactly the
 * distributed versions, and this replica forgets what it had cached (other replicas within the
 * keyring's cache lifetimes).
 */
export class DataKeyReceiver {
  constructor(
    private readonly store: ReceivedDataKeyStore,
    private readonly keyring: { evict(tenantId?: TenantId): void },
  ) {}

  /** `keys` undefined: the event says nothing about keys (an older event), nothing changes; `[]`: the tenant's keys are gone. */
  async receive(tenantId: TenantId, keys: readonly DistributedDataKey[] | undefined): Promise<void> {
    if (keys === undefined) {
      return;
    }
    await this.store.replaceAll(tenantId, receivedDataKeys(tenantId, keys));
    this.keyring.evict(tenantId);
  }
}
