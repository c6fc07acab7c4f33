import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';

/** RFC 6749 client credentials grant; accepted as form or JSON. Client auth by HTTP Basic or in the body. */
export class TokenRequestDto {
  @ApiProperty({ enum: ['client_credentials'] })
  @IsIn(['client_credentials'], { message: 'grant_type must be client_credentials' })
  grant_type: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  client_id?: string;

  @ApiPropertyOptional({ writeOnly: true })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  client_secret?: string;

  /** Space-separated roles to narrow the token to (default: all of the credential's roles). */
  @ApiPropertyOptional({ example: 'tenant_admin' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  scope?: string;
}

export class TokenResponseDto {
  @ApiProperty()
  access_token: string;

  @ApiProperty({ example: 'Bearer' })
  token_type: 'Bearer';

  @ApiProperty({ example: 900 })
  expires_in: number;

  @ApiProperty({ example: 'tenant_admin' })
  scope: string;
}
