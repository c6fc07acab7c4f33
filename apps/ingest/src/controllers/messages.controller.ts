import { Body, Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { Auth, CurrentTenant, Roles } from '@custody/auth';
import { MarkReadResponseDto, SendMessageDto, SendMessageResponseDto } from '../dtos/send-message.dto';
import { GraphErrorResponse, invalidParameter } from '../services/graph-error';
import { SendService } from '../services/send.service';

@ApiTags('messages (Cloud API compatible)')
@ApiExtraModels(SendMessageResponseDto, MarkReadResponseDto)
@Controller()
export class MessagesController {
  constructor(private readonly sends: SendService) {}

  /**
   * Sends a message, as the Cloud API's `POST /{version}/{phone-number-id}/messages`; any
   * Graph-style version (`v23.0`, `v25.0`, `v1`) is accepted, so clients that pin one work
   * unchanged. The answer means accepted (durably in Kafka), not delivered: delivery arrives as
   * status webhooks. Hosted chats are not end-to-end encrypted (see `custody` in the answer).
   */
  @Post(':version/:phoneNumberId/messages')
  @HttpCode(200)
  @Auth(Roles.TenantAdmin, Roles.TenantAgent)
  @ApiOperation({ summary: 'Send a message or mark one as read' })
  @ApiParam({ name: 'version', description: 'Any Graph-style version, e.g. `v25.0` or `v1`.' })
  @ApiParam({ name: 'phoneNumberId', description: "The business number to send from; one of the caller tenant's." })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'A retried send with the same key returns the same message id and sends nothing new',
  })
  @ApiBody({ type: SendMessageDto })
  @ApiOkResponse({
    schema: { oneOf: [{ $ref: getSchemaPath(SendMessageResponseDto) }, { $ref: getSchemaPath(MarkReadResponseDto) }] },
  })
  @ApiBadRequestResponse({
    type: GraphErrorResponse,
    description:
      '100 invalid parameter (also a missing object of the message type, or a media id that is not an upload of the caller tenant); 131047 outside the 24-hour window (templates still allowed); 131053 uploaded media of a type the message type does not take; 132000 template parameter count, 132012 parameter type, 132005 too long once filled in, 132015 template paused, 132016 template disabled',
  })
  @ApiNotFoundResponse({
    type: GraphErrorResponse,
    description:
      'The phone number id is not one of the caller tenant’s (100); 132001 the template does not exist in that language or is not approved',
  })
  @ApiTooManyRequestsResponse({
    type: GraphErrorResponse,
    description: '130429 number throughput; 131056 pair rate to one customer',
  })
  @ApiServiceUnavailableResponse({
    type: GraphErrorResponse,
    description:
      '2 temporarily unavailable: ingest is at capacity (nothing was sent), retry after a short delay; 131016 service unavailable: the message could not be made durable within SEND_TIMEOUT_MS (e.g. Kafka unreachable), retry with the same Idempotency-Key',
  })
  send(
    @Param('version') version: string,
    @Param('phoneNumberId') phoneNumberId: string,
    @CurrentTenant() tenantId: string,
    @Body() body: unknown,
    // The header's documented spelling, so Swagger merges it with @ApiHeader (Nest reads headers case-insensitively).
    @Headers('Idempotency-Key') idempotencyKey?: string,
  ): Promise<SendMessageResponseDto | MarkReadResponseDto> {
    if (!/^v\d{1,3}(\.\d{1,3})?$/.test(version)) {
      throw invalidParameter('The version segment must look like v25.0 or v1');
    }
    if (!/^\d{1,32}$/.test(phoneNumberId)) {
      throw invalidParameter('The phone number id must be digits');
    }
    return this.sends.send(tenantId, phoneNumberId, body, idempotencyKey);
  }
}
