import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { DATA_USE_PATTERN, LANGUAGE_PATTERN, PURPOSE_KEY_PATTERN } from '@custody/contracts';

export const LANGUAGE_MESSAGE = 'language must be a language tag such as en, fr or pt-BR';

export class WordingInputDto {
  /** BCP 47 language tag of the wording, e.g. `en`, `fr`, `pt-BR`. */
  @ApiProperty({ example: 'en' })
  @Matches(LANGUAGE_PATTERN, { message: LANGUAGE_MESSAGE })
  language: string;

  /** The exact text the customer is shown. Versions are immutable: changing it creates a new version. */
  @ApiProperty({ example: 'Acme Shoes may use your chats with us to show you our ads on Facebook and Instagram.' })
  @IsString()
  @Length(1, 4000)
  text: string;
}

export class CreatePurposeDto {
  /** The tenant's name for the purpose (lower case, digits, `_ . -`). */
  @ApiProperty({ example: 'ads-retargeting' })
  @Matches(PURPOSE_KEY_PATTERN, {
    message: 'key must be 1-64 characters of a-z, 0-9, _ . - and start with a letter or digit',
  })
  key: string;

  /** What the data is used for, from the data-use taxonomy; a consent covers this use and its descendants. */
  @ApiProperty({ example: 'marketing.advertising.first_party.targeted' })
  @Matches(DATA_USE_PATTERN, {
    message: 'dataUse must be a dotted data-use key such as marketing.advertising.first_party.targeted',
  })
  dataUse: string;

  /** The first wording (optional: wordings can be added later). */
  @ApiPropertyOptional({ type: WordingInputDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => WordingInputDto)
  wording?: WordingInputDto;
}

export class WordingDto {
  /** The purpose key. */
  @ApiProperty({ example: 'ads-retargeting' })
  purpose: string;

  /** The data use the purpose gates. */
  @ApiProperty({ example: 'marketing.advertising.first_party.targeted' })
  dataUse: string;

  /** Language tag of the wording. */
  @ApiProperty({ example: 'en' })
  language: string;

  /** 1, 2, … per purpose and language. */
  @ApiProperty({ example: 1 })
  version: number;

  /** SHA-256 (hex) of the version's canonical content: the version's identity in the consent log. */
  @ApiProperty({ example: '9f2c…' })
  hash: string;

  /** The exact text the customer is shown. */
  @ApiProperty()
  text: string;

  /** When this version was published. */
  @ApiProperty()
  createdAt: string;
}

export class PurposeResponseDto {
  /** The tenant's purpose key. */
  @ApiProperty({ example: 'ads-retargeting' })
  key: string;

  /** The data use the purpose gates (and its descendants). */
  @ApiProperty({ example: 'marketing.advertising.first_party.targeted' })
  dataUse: string;

  /** The newest version per language: what a new prompt shows. */
  @ApiProperty({ type: [WordingDto] })
  current: WordingDto[];

  /** Every version ever published, oldest first. */
  @ApiProperty({ type: [WordingDto] })
  wordings: WordingDto[];

  /** When the purpose was defined. */
  @ApiProperty()
  createdAt: string;
}

export class PurposeListDto {
  @ApiProperty({ type: [PurposeResponseDto] })
  data: PurposeResponseDto[];
}

export class OptInPromptInputDto {
  /** Language of the wordings STOP and START confirmations show. */
  @ApiProperty({ example: 'en' })
  @Matches(LANGUAGE_PATTERN, { message: LANGUAGE_MESSAGE })
  language: string;

  /** The purposes an in-chat START grants (each needs a wording in `language`). */
  @ApiProperty({ example: ['newsletter'], type: [String] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ArrayUnique()
  @Matches(PURPOSE_KEY_PATTERN, { each: true, message: 'each purpose must be a purpose key' })
  purposes: string[];
}

export class OptInPromptResponseDto {
  /** Language of the wordings STOP and START confirmations show. */
  @ApiProperty({ example: 'en' })
  language: string;

  /** The current wording of each purpose START grants. */
  @ApiProperty({ type: [WordingDto] })
  wordings: WordingDto[];

  /** When the prompt was last set. */
  @ApiProperty()
  updatedAt: string;
}
