import { HttpStatus, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { asTenantId } from '@custody/database';
import { IngestEnv } from '../config/ingest.env';
import { DeliveryPageDto, ListDeliveriesQueryDto, SetWebhookDto, WebhookConfigDto } from '../dtos/webhook.dto';
import { RoutingRepository } from '../repositories/routing.repository';
import { WebhookRepository } from '../repositories/webhook.repository';
import { GraphCodes, GraphError } from './graph-error';

@Injectable()
export class WebhookSubscriptionService {
  constructor(
    private readonly env: IngestEnv,
    private readonly routing: RoutingRepository,
    private readonly webhooks: WebhookRepository,
  ) {}

  async get(tenant: string): Promise<WebhookConfigDto> {
    const target = await this.routing.webhookFor(asTenantId(tenant));
    return {
      url: target?.url ?? null,
      source: target?.source ?? 'operator',
      verifiedAt: target?.verifiedAt?.toISOString() ?? null,
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
      const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(this.env.WEBHOOK_TIMEOUT_MS) });
      status = res.status;
      answer = (await res.text()).trim();
    } catch (error) {
      throw verificationFailed(`could not reach the URL: ${(error as Error).message}`);
    }
    if (status !== 200 || answer !== challenge) {
      throw verificationFailed(`expected HTTP 200 with the hub.challenge value, got HTTP ${status}`);
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
