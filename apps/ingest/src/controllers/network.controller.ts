import { Body, Controller, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '@custody/auth';
import { NETWORK_SIGNATURE_HEADER, verifySignature } from '@custody/contracts';
import { IngestEnv } from '../config/ingest.env';
import { GraphCodes, GraphError, GraphErrorResponse } from '../services/graph-error';
import { NetworkInboundService } from '../services/network-inbound.service';

/** The messaging network's webhook into Custody: customer messages and delivery statuses. */
@ApiTags('network')
@Controller('network/v1')
export class NetworkController {
  constructor(
    private readonly inbound: NetworkInboundService,
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
    return this.inbound.receive(body);
  }
}
