import { Body, Controller, Get, Headers, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth, CurrentPrincipal, CurrentTenant, Roles } from '@custody/auth';
import type { Principal } from '@custody/auth';
import { ApiErrorResponse } from '@custody/platform';
import {
  CreateErasureRequestDto,
  ErasureRequestDto,
  ErasureRequestPageDto,
  ListErasureRequestsQueryDto,
} from '../dtos/erasure.dto';
import { ErasureService } from '../services/erasure.service';

@ApiTags('erasure')
@Controller('v1/erasure-requests')
export class ErasureController {
  constructor(private readonly erasures: ErasureService) {}

  /**
   * Asks Custody to forget one customer (GDPR Art. 17): tenant-store, ingest, consent and
   * marketing-export each erase what they hold and report. While a request for the same customer
   * is pending, the same request is returned (200); a new one answers 202.
   */
  @Post()
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'Request the erasure of a customer (by phone number or wa_id)' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'A retried request with the same key returns the same erasure request (1-200 characters of A-Z a-z 0-9 . _ : -)',
  })
  @ApiResponse({ status: 202, type: ErasureRequestDto, description: 'Created; services are erasing' })
  @ApiResponse({
    status: 200,
    type: ErasureRequestDto,
    description: 'The pending request for this customer (or for this Idempotency-Key)',
  })
  @ApiBadRequestResponse({
    type: ApiErrorResponse,
    description: 'Malformed phone number, neither/both of phoneNumber and waId, or a malformed Idempotency-Key',
  })
  @ApiConflictResponse({ type: ApiErrorResponse, description: 'The Idempotency-Key was used for another customer' })
  async create(
    @CurrentTenant() tenantId: string,
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateErasureRequestDto,
    @Res({ passthrough: true }) res: Response,
    // The header's documented spelling, so Swagger merges it with @ApiHeader (Nest reads headers case-insensitively).
    @Headers('Idempotency-Key') idempotencyKey?: string,
  ): Promise<ErasureRequestDto> {
    const { created, request } = await this.erasures.request(tenantId, dto, principal.subject, idempotencyKey);
    res.status(created ? HttpStatus.ACCEPTED : HttpStatus.OK);
    return request;
  }

  @Get()
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: "The tenant's erasure requests, newest first" })
  list(@CurrentTenant() tenantId: string, @Query() query: ListErasureRequestsQueryDto): Promise<ErasureRequestPageDto> {
    return this.erasures.list(tenantId, query);
  }

  @Get(':id')
  @Auth(Roles.TenantAdmin)
  @ApiOperation({ summary: 'One erasure request with each service’s status' })
  @ApiParam({ name: 'id', description: "The erasure request id (another tenant's, or not a UUID, answers 404)." })
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  get(@CurrentTenant() tenantId: string, @Param('id') id: string): Promise<ErasureRequestDto> {
    return this.erasures.get(tenantId, id);
  }
}
