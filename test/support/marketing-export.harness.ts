import type { INestApplication } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import {
  adsPhoneHash,
  CUSTODY_MARKING,
  conversationIdFor,
  adsCredentialAad,
  erasureEventKey,
  ErasureRequestedEvent,
  MarketingAuthorizationState,
  MarketingAuthorizedEvent,
  MarketingCandidate,
  marketingAdsCredentialKey,
  marketingAuthorizationKey,
  marketingCandidateKey,
  MarketingDestinationRef,
  Topics,
} from '@custody/contracts';
import { SecretSealer } from '@custody/crypto';
import { EventPublisher, EventSubscriber } from '@custody/kafka';
import { createApp, listen, loadConfig } from '@custody/platform';
import { httpClient, HttpRequest, uniqueDigits, waitForStableGroups } from '@custody/testing';
import { AppModule } from '../../apps/marketing-export/src/app.module';
import { ExportSettings } from '../../apps/marketing-export/src/config/export.settings';
import { MarketingExportEnv } from '../../apps/marketing-export/src/config/marketing-export.env';
import { APP_META } from '../../apps/marketing-export/src/meta';
import { TEST_ADS_CREDENTIAL_KEY, TEST_AUDIENCE, TEST_ISSUER } from './tenant-store.harness';
import { platformSql } from './sql';
import { customerRef, UNOPENABLE_CIPHERTEXT } from './sealing';

/**
 * A customer as tenant-store names one to marketing-export: the reference under the tenant's key
 * (a tenant tenant-store made) or, for a tenant with no keys, a stand-in derived from the number
 * (deterministic, so the same customer matches), and the ads match key.
 */
export async function exportCustomer(tenantId: string, waId: string): Promise<{ ref: string; memberHash?: string }> {
  let ref: string;
  try {
    ref = await customerRef(tenantId, waId);
  } catch {
    ref = createHash('sha256').update(`stand-in|${tenantId}|${waId}`).digest('base64url');
  }
  const memberHash = adsPhoneHash(waId);
  return { ref, ...(memberHash ? { memberHash } : {}) };
}

export interface ExportHarness {
  app: INestApplication;
  url: string;
  request: HttpRequest;
  publisher: EventPublisher;
  /**
   * Publishes an authorization state as tenant-store would, after the tenant's ads credential for
   * the destination's ad account (a token the sandbox issues, published once per tenant and account).
   */
  authorize: (tenantId: string, state: MarketingAuthorizationState) => Promise<void>;
  /** Publishes a tenant's ads credential as tenant-store would (`null`: deleted). */
  credential: (tenantId: string, adAccountId: string, token: string | null) => Promise<void>;
  /** Publishes a candidate as tenant-store would (the customer given by number); returns it. */
  candidate: (
    tenantId: string,
    fields: Omit<Partial<MarketingCandidate>, 'customer'> &
      Pick<MarketingCandidate, 'authorizationId' | 'destination'> & { customer: { waId: string } },
  ) => Promise<MarketingCandidate>;
  /** Publishes a candidate again (a replay), unchanged. */
  replay: (tenantId: string, candidate: MarketingCandidate) => Promise<void>;
  requestErasure: (tenantId: string, waId: string) => Promise<string>;
  /** Runs SQL as the owner in a platform-scoped transaction (assertions only). */
  sql: <T = any>(text: string, params?: unknown[]) => Promise<T[]>;
  close: () => Promise<void>;
}

export function audienceDestination(): MarketingDestinationRef {
  return {
    destinationId: randomUUID(),
    kind: 'customer_list_audience',
    adAccountId: `act_${uniqueDigits(8)}`,
    audienceId: uniqueDigits(15),
  };
}

export function datasetDestination(): MarketingDestinationRef {
  return {
    destinationId: randomUUID(),
    kind: 'conversions_dataset',
    adAccountId: `act_${uniqueDigits(8)}`,
    datasetId: uniqueDigits(15),
  };
}

/**
 * marketing-export in this process against the real Kafka and PostgreSQL, talking to the given
 * ads destination. Its consumer groups are new and start at the topics' end, so it sees what the
 * test publishes (through the app's own schema-checking EventPublisher, as tenant-store would).
 */
export async function startMarketingExport(options: {
  jwksUrl: string;
  adsUrl: string;
  /** Issues a token of an ad account at the ads platform (the sandbox's `adsTokenFor`). */
  adsTokenFor: (adAccountId: string) => Promise<string>;
  env?: Record<string, string>;
}): Promise<ExportHarness> {
  const group = `export-test-${randomUUID().slice(0, 8)}`;
  process.env.KAFKA_NEW_GROUP_START = 'latest';
  const env = loadConfig(MarketingExportEnv, {
    ...process.env,
    JWT_ISSUER: TEST_ISSUER,
    JWT_AUDIENCE: TEST_AUDIENCE,
    JWKS_URL: options.jwksUrl,
    ADS_API_URL: options.adsUrl,
    ADS_CREDENTIAL_KEY: TEST_ADS_CREDENTIAL_KEY,
    MARKETING_EXPORT_CONSUMER_GROUP: group,
    EXPORT_CONSENT_GRACE_MS: '1500',
    EXPORT_POLL_INTERVAL_MS: '50',
    EXPORT_RETRY_BASE_MS: '200',
    EXPORT_RETRY_MAX_MS: '1000',
    ADS_API_TIMEOUT_MS: '5000',
    ...options.env,
  });
  const app = await createApp(AppModule.register(env, ExportSettings.from(env)), APP_META);
  const url = await listen(app, 0, '127.0.0.1');
  await waitForStableGroups(app.get(EventSubscriber).groupName(group), 4);
  const publisher = app.get(EventPublisher);

  const publishAuthorized = (tenantId: string, key: string, event: MarketingAuthorizedEvent) =>
    publisher.publish(Topics.MarketingAuthorized, key, event);

  const candidate: ExportHarness['candidate'] = async (tenantId, fields) => {
    const messageId = `wamid.test${uniqueDigits(20)}`;
    const phoneNumberId = fields.phoneNumberId ?? uniqueDigits(12);
    const customer = await exportCustomer(tenantId, fields.customer.waId);
    const c: MarketingCandidate = {
      authorizationVersion: 1,
      dataUses: ['marketing.advertising.first_party.targeted'],
      messageId,
      conversationId: conversationIdFor(tenantId, phoneNumberId, customer.ref),
      phoneNumberId,
      origin: 'customer',
      networkTimestamp: new Date().toISOString(),
      custody: { ...CUSTODY_MARKING },
      ...fields,
      customer,
    };
    await replay(tenantId, c);
    return c;
  };
  const replay = (tenantId: string, c: MarketingCandidate) =>
    publishAuthorized(tenantId, marketingCandidateKey(tenantId, c.conversationId), {
      eventId: `${c.authorizationId}:${c.messageId}`,
      tenantId,
      occurredAt: new Date().toISOString(),
      type: 'marketing.candidate',
      candidate: c,
    });

  const sql = platformSql;
  const sealer = SecretSealer.fromBase64(TEST_ADS_CREDENTIAL_KEY);
  const published = new Set<string>();
  const credential: ExportHarness['credential'] = async (tenantId, adAccountId, token) => {
    const changedAt = new Date().toISOString();
    await publishAuthorized(tenantId, marketingAdsCredentialKey(tenantId, adAccountId), {
      eventId: `ads-credential:${adAccountId}:${changedAt}`,
      tenantId,
      occurredAt: changedAt,
      type: 'marketing.ads_credential',
      adsCredential: token
        ? {
            adAccountId,
            status: 'active',
            sealedToken: sealer.seal(token, adsCredentialAad(tenantId, adAccountId)),
            changedAt,
          }
        : { adAccountId, status: 'deleted', changedAt },
    });
    published.add(`${tenantId}:${adAccountId}`);
  };

  return {
    app,
    url,
    request: httpClient(url),
    publisher,
    credential,
    authorize: async (tenantId, state) => {
      if (!published.has(`${tenantId}:${state.destination.adAccountId}`)) {
        await credential(
          tenantId,
          state.destination.adAccountId,
          await options.adsTokenFor(state.destination.adAccountId),
        );
      }
      await publishAuthorized(tenantId, marketingAuthorizationKey(tenantId, state.authorizationId), {
        eventId: `${state.authorizationId}:v${state.version}`,
        tenantId,
        occurredAt: new Date().toISOString(),
        type: 'marketing.authorization',
        authorization: state,
      });
    },
    candidate,
    replay,
    requestErasure: async (tenantId, waId) => {
      const requestId = randomUUID();
      const event: ErasureRequestedEvent = {
        eventId: requestId,
        tenantId,
        occurredAt: new Date().toISOString(),
        type: 'erasure.requested',
        requestId,
        customer: { ref: (await exportCustomer(tenantId, waId)).ref, waIdCiphertext: UNOPENABLE_CIPHERTEXT },
      };
      await publisher.publish(Topics.ErasureRequests, erasureEventKey(tenantId, requestId), event);
      return requestId;
    },
    sql,
    close: () => app.close(),
  };
}
