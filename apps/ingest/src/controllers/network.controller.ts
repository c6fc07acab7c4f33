import { Body, Controller, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '@custody/auth';
import { NETWORK_SIGNATURE_HEADER, verifySignature } from '@custody/contracts';
import { IngestEnv } from '../config/ingest.env';
import { GraphCodes, GraphError, GraphErrorResponse } from '../services/graph-error';
import { REJECTION_REASONS } from '../domain/templates';
import { NetworkInboundService } from '../services/network-inbound.service';
import { TemplateReviewEvent, TemplateService } from '../services/template.service';

const REVIEW_EVENTS = ['APPROVED', 'REJECTED', 'PAUSED', 'DISABLED'];

/** A batch of template verdicts, or why it is malformed. */
function reviewBatch(body: unknown): TemplateReviewEvent[] | string {
  const events = (body as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length < 1 || events.length > 100) {
    return 'the body must be {"events": [...]} with 1-100 template events';
  }
  for (const [i, e] of events.entries()) {
    const ev = e as Partial<TemplateReviewEvent> | null;
    if (
      typeof ev !== 'object' ||
      ev === null ||
      typeof ev.templateId !== 'string' ||
      !/^\d{15}$/.test(ev.templateId) ||
      typeof ev.businessAccountId !== 'string' ||
      !/^\d{1,32}$/.test(ev.businessAccountId) ||
      !REVIEW_EVENTS.includes(String(ev.event)) ||
      (ev.reason !== undefined && ev.reason !== null && !(REJECTION_REASONS as readonly string[]).includes(ev.reason))
    ) {
      return `events[${i}]: templateId (15 digits), businessAccountId, event (${REVIEW_EVENTS.join(', ')}) and an optional reason are required`;
    }
  }
  return events as TemplateReviewEvent[];
}

/** The messaging network's webhook into Custody: customer messages and delivery statuses. */
@ApiTags('network')
@Controller('network/v1')
export class NetworkController {
  constructor(
    private readonly inbound: NetworkInboundService,
    private readonly templates: TemplateService,
    private readonly env: IngestEnv,
  ) {}

  /**
   * Signed by the network with `X-Network-Signature: sha256=<HMAC-SHA256 of the raw body>`.
   * A bad signature gets 403 and a malformed batch 400; in both cases nothing is published.
   */
  @Post('events')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Network events (customer messages, statuses), HMAC-signed' })
  @ApiForbiddenResponse({ type: GraphErrorResponse })
  @ApiBadRequestResponse({ type: GraphErrorResponse })
  receive(@Req() req: Request & { rawBody?: Buffer }, @Body() body: unknown): Promise<{ accepted: number }> {
    this.checkSignature(req);
    return this.inbound.receive(body);
  }

  /**
   * The network's template review: verdicts (APPROVED, REJECTED with a reason) and later changes
   * (PAUSED, DISABLED), signed like the events. Stored, and announced to the tenant as
   * `message_template_status_update` webhooks.
   */
  @Post('template-events')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Template review verdicts and status changes, HMAC-signed' })
  @ApiForbiddenResponse({ type: GraphErrorResponse })
  @ApiBadRequestResponse({ type: GraphErrorResponse })
  templateEvents(@Req() req: Request & { rawBody?: Buffer }, @Body() body: unknown): Promise<{ accepted: number }> {
    this.checkSignature(req);
    const events = reviewBatch(body);
    if (typeof events === 'string') {
      throw new GraphError(HttpStatus.BAD_REQUEST, GraphCodes.InvalidParameter, '(#100) Invalid parameter', events);
    }
    return this.templates.applyReview(events);
  }

  private checkSignature(req: Request & { rawBody?: Buffer }): void {
    const signature = req.headers[NETWORK_SIGNATURE_HEADER];
    if (
      !req.rawBody ||
      !verifySignature(this.env.NETWORK_HMAC_SECRET, req.rawBody, typeof signature === 'string' ? signature : undefined)
    ) {
      throw new GraphError(
        HttpStatus.FORBIDDEN,
        GraphCodes.Permission,
        'Invalid network signature',
        'X-Network-Signature does not match the body',
      );
    }
  }
}
