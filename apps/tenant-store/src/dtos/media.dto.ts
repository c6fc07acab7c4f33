import { ApiProperty } from '@nestjs/swagger';
import { CustodyMarking } from '@custody/contracts';

/** A media reference, as the Cloud API's `GET /{media-id}` answers it. */
export class MediaDto {
  @ApiProperty({ example: '4417360284519823' })
  id: string;
  @ApiProperty({ example: 'wamid.HBgLMTU1NTAxMDAyMjIVAgARGBI3' })
  messageId: string;
  @ApiProperty({ enum: ['image', 'document', 'audio', 'video'] })
  mediaType: string;
  /** Where to download the media: valid until `urlExpiresAt` (5 minutes), no token needed; it redirects to the media. */
  @ApiProperty()
  url: string;
  @ApiProperty()
  urlExpiresAt: string;
  /** When the media id itself expires (30 days after the message). */
  @ApiProperty()
  expiresAt: string;
  @ApiProperty({ type: CustodyMarking })
  custody: CustodyMarking;
}
