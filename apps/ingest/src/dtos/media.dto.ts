import { ApiProperty } from '@nestjs/swagger';

/** The answer to an upload. */
export class MediaUploadResponseDto {
  /** The media id: send it as `image.id` (etc.) or read it with `GET /{version}/{media-id}`. */
  @ApiProperty({ example: '1037543291543636' })
  id: string;
}

/** A media object's metadata, with a download URL. */
export class MediaMetadataDto {
  @ApiProperty({ example: 'whatsapp' })
  messaging_product: 'whatsapp';

  /** Download URL, valid for 5 minutes; fetch it with the same bearer token. */
  @ApiProperty()
  url: string;

  @ApiProperty({ example: 'image/jpeg' })
  mime_type: string;

  /** SHA-256 of the bytes, hex. */
  @ApiProperty()
  sha256: string;

  /** Size in bytes. */
  @ApiProperty()
  file_size: number;

  @ApiProperty()
  id: string;
}

export class MediaDeleteResponseDto {
  @ApiProperty({ example: true })
  success: true;
}

/** The multipart form of an upload, as the Cloud API takes it. */
export class MediaUploadFormDto {
  /** `whatsapp`. */
  @ApiProperty({ example: 'whatsapp' })
  messaging_product: string;

  /** The media's MIME type (e.g. `image/jpeg`); the file part's type when left out. */
  @ApiProperty({ required: false, example: 'image/jpeg' })
  type?: string;

  /** The media (at most 16 MB, and within its type's Cloud API limit). */
  @ApiProperty({ type: 'string', format: 'binary' })
  file: unknown;
}
