import { ApiProperty } from '@nestjs/swagger';
import { Equals } from 'class-validator';

/**
 * The custody marking every hosted conversation, message and message event carries: a third
 * party (Custody) holds the chat and its keys, so it is not end-to-end encrypted.
 */
export class CustodyMarking {
  /** Always false: Custody can read hosted chats, so they are not end-to-end encrypted. */
  @ApiProperty({ example: false, enum: [false] })
  @Equals(false)
  e2e: false;

  /** Who holds the chat on the business's behalf. */
  @ApiProperty({ example: 'custody', enum: ['custody'] })
  @Equals('custody')
  hostedBy: 'custody';
}

export const CUSTODY_MARKING: Readonly<CustodyMarking> = Object.freeze({ e2e: false, hostedBy: 'custody' });
