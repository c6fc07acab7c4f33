import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { badRequest } from '@custody/platform';
import { CustomerBehaviourDto, CustomerMessageDto, NetworkBehaviourDto } from '../dtos/sandbox.dto';
import { DeliveredMessage, NetworkService, SentMessage } from '../services/network.service';

const WA_ID = /^\d{6,20}$/;

function checkWaId(waId: string): string {
  if (!WA_ID.test(waId)) {
    throw badRequest('waId must be 6-20 digits');
  }
  return waId;
}

const WA_ID_PARAM = { name: 'waId', description: "The simulated customer's WhatsApp id (digits)." };

/** Scripts the simulated customers (demo, tests, benchmarks). No authentication: demo-only app. */
@ApiTags('sandbox customers')
@Controller('sandbox/v1')
export class CustomerController {
  constructor(private readonly network: NetworkService) {}

  @Post('customers/:waId/messages')
  @ApiOperation({ summary: 'A customer sends a message to a business number (delivered to ingest, signed)' })
  @ApiParam(WA_ID_PARAM)
  async send(
    @Param('waId') waId: string,
    @Body() dto: CustomerMessageDto,
  ): Promise<{ messageId: string; ingestStatus: number }> {
    if ([dto.text, dto.button, dto.interactive, dto.media].filter((x) => x !== undefined).length !== 1) {
      throw badRequest('give one of text, button, interactive or media');
    }
    const { messageId, status } = await this.network.customerSends(checkWaId(waId), dto.phoneNumberId, {
      text: dto.text,
      button: dto.button,
      interactive: dto.interactive,
      media: dto.media,
      contextId: dto.replyTo,
      referral: dto.referral as Record<string, string> | undefined,
      profileName: dto.profileName,
    });
    return { messageId, ingestStatus: status };
  }

  @Get('customers/:waId/inbox')
  @ApiOperation({ summary: 'What a customer has received from a business number' })
  @ApiParam(WA_ID_PARAM)
  @ApiQuery({ name: 'phoneNumberId', description: 'The business number whose messages to show' })
  inbox(@Param('waId') waId: string, @Query('phoneNumberId') phoneNumberId: string): DeliveredMessage[] {
    return this.network.inbox(checkWaId(waId), phoneNumberId ?? '');
  }

  @Get('customers/:waId/sent')
  @ApiOperation({ summary: 'What a customer sent to a business number, with read receipts (the blue ticks)' })
  @ApiParam(WA_ID_PARAM)
  @ApiQuery({ name: 'phoneNumberId', description: 'The business number the messages went to' })
  sent(@Param('waId') waId: string, @Query('phoneNumberId') phoneNumberId: string): SentMessage[] {
    return this.network.sent(checkWaId(waId), phoneNumberId ?? '');
  }

  @Put('customers/:waId/behaviour')
  @ApiOperation({ summary: 'Make deliveries to this customer fail (or succeed again)' })
  @ApiParam(WA_ID_PARAM)
  behave(@Param('waId') waId: string, @Body() dto: CustomerBehaviourDto): { waId: string; fail: boolean } {
    if (dto.fail) {
      this.network.behaviour.failing.add(checkWaId(waId));
    } else {
      this.network.behaviour.failing.delete(checkWaId(waId));
    }
    return { waId, fail: dto.fail };
  }

  @Put('network')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Tune the simulated network: duplicates, delays, whether customers read, an outage (HTTP 503)',
  })
  tune(@Body() dto: NetworkBehaviourDto): object {
    Object.assign(this.network.behaviour, Object.fromEntries(Object.entries(dto).filter(([, v]) => v !== undefined)));
    return { ...this.network.behaviour, failing: [...this.network.behaviour.failing] };
  }

  @Get('stats')
  @ApiOperation({ summary: 'Counters of the simulated network' })
  stats(): object {
    return this.network.stats;
  }
}
