import { Controller, Delete, Get, HttpCode, Param, ParseIntPipe, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Auth, Roles } from '@custody/auth';
import { ApiErrorResponse } from '@custody/platform';
import { KeyStatusDto } from '../dtos/keys.dto';
import { KeyManagementService } from '../services/key-management.service';

const TENANT_ID_PARAM = { name: 'id', description: 'The tenant.' };

@ApiTags('encryption keys (operator)')
@Controller('v1/tenants/:id/keys')
export class KeysController {
  constructor(private readonly keys: KeyManagementService) {}

  /** Data key versions, how many messages each protects, and the re-encryption job's progress. */
  @Get()
  @Auth(Roles.Operator)
  @ApiOperation({ summary: "A tenant's data keys and re-encryption progress" })
  @ApiParam(TENANT_ID_PARAM)
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  status(@Param('id') id: string): Promise<KeyStatusDto> {
    return this.keys.status(id);
  }

  /** Makes a new data key version active and re-encrypts older messages in the background. */
  @Post('rotate')
  @HttpCode(202)
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Rotate the tenant’s data key (re-encryption runs in the background)' })
  @ApiParam(TENANT_ID_PARAM)
  @ApiNotFoundResponse({ type: ApiErrorResponse })
  rotate(@Param('id') id: string): Promise<KeyStatusDto> {
    return this.keys.rotate(id);
  }

  /** Restarts re-encryption to the active version (resumable; e.g. after a restart). */
  @Post('reencrypt')
  @HttpCode(202)
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Re-encrypt messages still under older key versions' })
  @ApiParam(TENANT_ID_PARAM)
  reencrypt(@Param('id') id: string): Promise<KeyStatusDto> {
    return this.keys.reencrypt(id);
  }

  /** Destroys a retired version that no message uses any more. */
  @Delete(':version')
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Destroy an unused, retired data key version' })
  @ApiParam(TENANT_ID_PARAM)
  @ApiParam({ name: 'version', description: 'The retired key version to destroy.' })
  @ApiConflictResponse({ type: ApiErrorResponse, description: 'The version is active or still protects messages' })
  destroy(@Param('id') id: string, @Param('version', ParseIntPipe) version: number): Promise<KeyStatusDto> {
    return this.keys.destroyVersion(id, version);
  }
}
