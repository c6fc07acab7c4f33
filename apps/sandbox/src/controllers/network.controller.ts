import {
  Body,
  Controller,
  ForbiddenException,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { NETWORK_SIGNATURE_HEADER, NetworkOutboundMessage, verifySignature } from '@custody/contracts';
import { SandboxEnv } from '../config/sandbox.env';
import { NetworkService, ReadReceipt } from '../services/network.service';
import { SubmittedTemplate, TemplateReviewService } from '../services/template-review.service';

/** The network's side of the link: Custody hands it outbound messages (signed). */
@ApiExcludeController()
@Controller('network/v1')
export class NetworkController {
  constructor(
    private readonly network: NetworkService,
    private readonly review: TemplateReviewService,
    private readonly env: SandboxEnv,
  ) {}

  @Post('messages')
  @HttpCode(202)
  accept(
    @Req() req: Request & { rawBody?: Buffer },
    @Body() body: { messages?: NetworkOutboundMessage[] },
  ): { accepted: number } {
    this.checkSignature(req);
    if (this.network.behaviour.unavailable) {
      throw new ServiceUnavailableException('the network is unavailable (sandbox outage)');
    }
    const messages = Array.isArray(body.messages) ? body.messages : [];
    this.network.accept(messages);
    return { accepted: messages.length };
  }

  /** Read receipts: the business read customers' messages (signed like the messages). */
  @Post('receipts')
  @HttpCode(202)
  receipts(
    @Req() req: Request & { rawBody?: Buffer },
    @Body() body: { receipts?: ReadReceipt[] },
  ): { accepted: number } {
    this.checkSignature(req);
    if (this.network.behaviour.unavailable) {
      throw new ServiceUnavailableException('the network is unavailable (sandbox outage)');
    }
    const receipts = Array.isArray(body.receipts) ? body.receipts : [];
    return { accepted: this.network.receive(receipts) };
  }

  /** A customer's media, fetched by Custody (the request path is signed, the body being empty). */
  @Get('media/:mediaId')
  media(@Req() req: Request, @Param('mediaId') mediaId: string, @Res() res: Response): void {
    const signature = req.headers[NETWORK_SIGNATURE_HEADER];
    if (
      !verifySignature(
        this.env.NETWORK_HMAC_SECRET,
        req.originalUrl,
        typeof signature === 'string' ? signature : undefined,
      )
    ) {
      throw new ForbiddenException('bad network signature');
    }
    if (this.network.behaviour.unavailable) {
      throw new ServiceUnavailableException('the network is unavailable (sandbox outage)');
    }
    const found = this.network.mediaFor(mediaId);
    if (!found) {
      // Unknown or expired: a final answer (Custody delivers the message with the media unavailable).
      throw new NotFoundException('no such media');
    }
    if (found.redirectTo) {
      res.redirect(302, found.redirectTo);
      return;
    }
    res.setHeader('content-type', found.mimeType);
    res.status(200).end(found.bytes);
  }

  /** Templates submitted for review (signed like the messages); verdicts go back to ingest later. */
  @Post('templates')
  @HttpCode(202)
  templates(
    @Req() req: Request & { rawBody?: Buffer },
    @Body() body: { templates?: Array<Omit<SubmittedTemplate, 'status' | 'reason' | 'submittedAt' | 'ingestStatus'>> },
  ): { accepted: number } {
    this.checkSignature(req);
    if (this.network.behaviour.unavailable) {
      throw new ServiceUnavailableException('the network is unavailable (sandbox outage)');
    }
    const templates = Array.isArray(body.templates) ? body.templates : [];
    return { accepted: this.review.submit(templates) };
  }

  private checkSignature(req: Request & { rawBody?: Buffer }): void {
    const signature = req.headers[NETWORK_SIGNATURE_HEADER];
    if (
      !verifySignature(
        this.env.NETWORK_HMAC_SECRET,
        req.rawBody ?? '',
        typeof signature === 'string' ? signature : undefined,
      )
    ) {
      throw new ForbiddenException('bad network signature');
    }
  }
}
