import { HttpStatus, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { asTenantId } from '@custody/database';
import { EgressError, EgressGuard } from '@custody/platform';
import { DeliveryPageDto, ListDeliveriesQueryDto, SetWebhookDto, WebhookConfigDto } from '../dtos/webhook.dto';
import { RoutingRepository } from '../repositories/routing.repository';
import { WebhookRepository } from '../repositories/webhook.repository';
import { GraphCodes, GraphError } from './graph-error';

@Injectable()
export class WebhookSubscriptionService {
  constructor(
    private readonly routing: RoutingRepository,
    private readonly webhooks: WebhookRepository,
    private readonly egress: EgressGuard,
  ) {}

  async get(tenant: string): Promise<WebhookConfigDto> {
    const target = await this.routing.webhookFor(asTenantId(tenant));
    return {
      url: target?.configuredUrl ?? null,
      source: target?.source ?? 'operator',
      verifiedAt: target?.verifiedAt?.toISOString() ?? null,
      subscribed: target?.subscribed ?? true,
    };
  }

  /**
   * The Cloud API's verification handshake: GET url?hub.mode=subscribe&hub.verify_token=…&
   * hub.challenge=…; the endpoint must answer 200 with exactly the challenge. Only then is the
   * URL saved.
   */
  async set(tenant: string, dto: SetWebhookDto): Promise<WebhookConfigDto> {
    const tenantId = asTenantId(tenant);
    const challenge = randomBytes(16).toString('hex');
    const url = new URL(dto.url);
    url.searchParams.set('hub.mode', 'subscribe');
    url.searchParams.set('hub.verify_token', dto.verifyToken);
    url.searchParams.set('hub.challenge', challenge);
    let answer: string;
    let status: number;
    try {
      const res = await this.egress.request(url.toString());
      status = res.status;
      answer = res.body.toString('utf8').trim();
    } catch (error) {
      // The guard's words only: nothing about what is (or is not) behind the URL.
      throw verificationFailed(error instanceof EgressError ? error.message : 'the URL could not be reached');
    }
    if (status !== 200 || answer !== challenge) {
      // No status code: it would tell a prober what answers behind the URL.
      throw verificationFailed('the URL did not answer 200 with the hub.challenge value');
    }
    if (!(await this.routing.setTenantWebhook(tenantId, dto.url))) {
      throw new GraphError(
        HttpStatus.NOT_FOUND,
        GraphCodes.InvalidParameter,
        'Unknown tenant',
        'ingest has not yet received this tenant',
      );
    }
    return this.get(tenant);
  }

  async deliveries(tenant: string, q: ListDeliveriesQueryDto): Promise<DeliveryPageDto> {
    const limit = q.limit ?? 50;
    const rows = await this.webhooks.list(asTenantId(tenant), q.state, limit + 1, q.cursor);
    const page = rows.slice(0, limit);
    return { data: page, nextCursor: rows.length > limit ? page[page.length - 1].id : null };
  }
}

function verificationFailed(details: string): GraphError {
  return new GraphError(HttpStatus.BAD_REQUEST, GraphCodes.InvalidParameter, 'Webhook verification failed', details);
}
