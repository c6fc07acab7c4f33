import { ApiProperty } from '@nestjs/swagger';
import { CustodyMarking } from '@custody/contracts';

/** A media reference, as the Cloud API's `GET /{media-id}` answers it. */
export class MediaDto {
  /** The media id (16 digits), as in the stored message's content. */
  @ApiProperty({ example: '4417360284519823' })
  id: string;
  /** The message the media came with. */
  @ApiProperty({ example: 'wamid.HBgLMTU1NTAxMDAyMjIVAgARGBI3' })
  messageId: string;
  /** The message's type. */
  @ApiProperty({ enum: ['image', 'document', 'audio', 'video'] })
  mediaType: string;
  /** Where to download the media: valid until `urlExpiresAt` (5 minutes), no token needed; it redirects to the media. */
  @ApiProperty()
  url: string;
  /** When `url` stops working (5 minutes after this answer); ask again for a new one. */
  @ApiProperty()
  urlExpiresAt: string;
  /** When the media id itself expires (30 days after the message). */
  @ApiProperty()
  expiresAt: string;
  /** Hosted chats are not end-to-end encrypted: Custody holds them. */
  @ApiProperty({ type: CustodyMarking })
  custody: CustodyMarking;
}
