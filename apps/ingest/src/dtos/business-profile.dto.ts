import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { BUSINESS_VERTICALS } from '../domain/business-profile';
import { PagingDto } from './template.dto';

/** A change of the business profile, as `POST /{phone-number-id}/whatsapp_business_profile` takes it: given fields change. */
export class BusinessProfileUpdateDto {
  /** Always `whatsapp`. */
  @ApiProperty({ enum: ['whatsapp'] })
  messaging_product: 'whatsapp';

  /** The profile's "About" text, 1 to 139 characters. */
  @ApiPropertyOptional({ example: 'Shoes for every road' })
  about?: string;

  /** Up to 256 characters. */
  @ApiPropertyOptional()
  address?: string;

  /** Up to 512 characters. */
  @ApiPropertyOptional()
  description?: string;

  /** Up to 128 characters. */
  @ApiPropertyOptional({ example: 'help@shoes.example.com' })
  email?: string;

  /** Up to 2 http(s) URLs of up to 256 characters. */
  @ApiPropertyOptional({ type: [String] })
  websites?: string[];

  @ApiPropertyOptional({ enum: BUSINESS_VERTICALS })
  vertical?: string;

  /** Accepted as in the Cloud API; Custody keeps no profile picture. */
  @ApiPropertyOptional()
  profile_picture_handle?: string;
}

export class BusinessProfileDto {
  @ApiProperty({ enum: ['whatsapp'] })
  messaging_product: 'whatsapp';

  @ApiPropertyOptional()
  about?: string;

  @ApiPropertyOptional()
  address?: string;

  @ApiPropertyOptional()
  description?: string;

  @ApiPropertyOptional()
  email?: string;

  @ApiPropertyOptional({ type: [String] })
  websites?: string[];

  @ApiPropertyOptional({ enum: BUSINESS_VERTICALS })
  vertical?: string;
}

/** The profile, as the Cloud API answers it (one item). */
export class BusinessProfilePageDto {
  @ApiProperty({ type: [BusinessProfileDto] })
  data: BusinessProfileDto[];
}

export class ThroughputDto {
  /** `STANDARD` (up to 80 messages/s) or `HIGH` (up to 1,000). */
  @ApiProperty({ enum: ['STANDARD', 'HIGH'] })
  level: string;
}

/** A business phone number, as the Cloud API's `GET /{phone-number-id}` answers it. */
export class PhoneNumberDto {
  @ApiProperty({ example: '100000000000011' })
  id: string;

  @ApiPropertyOptional({ example: '+15550000011' })
  display_phone_number?: string;

  /** The business's display name at Custody. */
  @ApiPropertyOptional({ example: 'Demo Shoes' })
  verified_name?: string;

  /** Always `NA`: Custody does not rate quality. */
  @ApiPropertyOptional({ enum: ['GREEN', 'YELLOW', 'RED', 'NA'] })
  quality_rating?: string;

  @ApiPropertyOptional({ type: ThroughputDto })
  throughput?: ThroughputDto;

  @ApiPropertyOptional({ enum: ['CLOUD_API'] })
  platform_type?: string;

  @ApiPropertyOptional({ enum: ['VERIFIED'] })
  code_verification_status?: string;

  @ApiPropertyOptional({ enum: ['APPROVED'] })
  name_status?: string;

  @ApiPropertyOptional({ enum: ['LIVE'] })
  account_mode?: string;

  /** `CONNECTED`, or `RESTRICTED` while the tenant is suspended. */
  @ApiPropertyOptional({ enum: ['CONNECTED', 'RESTRICTED'] })
  status?: string;
}

export class PhoneNumberPageDto {
  @ApiProperty({ type: [PhoneNumberDto] })
  data: PhoneNumberDto[];

  /** Absent when the page is empty. */
  @ApiPropertyOptional({ type: PagingDto })
  paging?: PagingDto;
}
