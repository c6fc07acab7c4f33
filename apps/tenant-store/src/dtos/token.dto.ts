import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';

const NO_CONTROL = /^\P{Cc}*$/u;

/** RFC 6749 client credentials grant; accepted as form or JSON. Client auth by HTTP Basic or in the body. */
export class TokenRequestDto {
  /** Only the client credentials grant. */
  @ApiProperty({ enum: ['client_credentials'] })
  @IsIn(['client_credentials'], { message: 'grant_type must be client_credentials' })
  grant_type: string;

  /** The client id, unless given with HTTP Basic. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @Matches(NO_CONTROL, { message: 'client_id must not contain control characters' })
  client_id?: string;

  /** The client secret, unless given with HTTP Basic. */
  @ApiPropertyOptional({ writeOnly: true })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  @Matches(NO_CONTROL, { message: 'client_secret must not contain control characters' })
  client_secret?: string;

  /** Space-separated roles to narrow the token to (default: all of the credential's roles). */
  @ApiPropertyOptional({ example: 'tenant_admin' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  scope?: string;
}

export class TokenResponseDto {
  /** A JWT (ES256 or EdDSA, `kid` in the header) to send as `Authorization: Bearer`. */
  @ApiProperty()
  access_token: string;

  /** Always `Bearer`. */
  @ApiProperty({ example: 'Bearer' })
  token_type: 'Bearer';

  /** Seconds until it expires. */
  @ApiProperty({ example: 900 })
  expires_in: number;

  /** The roles it carries, space-separated. */
  @ApiProperty({ example: 'tenant_admin' })
  scope: string;
}
