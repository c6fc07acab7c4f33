import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, Roles } from '@custody/auth';
import { MasterKeyStatusDto } from '../dtos/keys.dto';
import { MasterKeyService } from '../services/master-key.service';

@ApiTags('encryption keys (operator)')
@Controller('v1/master-keys')
export class MasterKeysController {
  constructor(private readonly masterKeys: MasterKeyService) {}

  /** The active master key, how many data keys each master key still wraps, and the last rewrap. */
  @Get()
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Master keys in use and rewrap progress' })
  status(): Promise<MasterKeyStatusDto> {
    return this.masterKeys.status();
  }

  /**
   * Rewraps every live data key under the active master key, in the background (master key
   * rotation, after the new key is first in MASTER_KEY_FILE on every replica).
   */
  @Post('rewrap')
  @HttpCode(202)
  @Auth(Roles.Operator)
  @ApiOperation({ summary: 'Rewrap all data keys under the active master key (background)' })
  rewrap(): Promise<MasterKeyStatusDto> {
    return this.masterKeys.rewrap();
  }
}
