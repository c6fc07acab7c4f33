import { ApiProperty } from '@nestjs/swagger';
import { Equals } from 'class-validator';

/**
 * The custody marking every hosted conversation, message and message event carries: a third
 * party (Custody) holds the chat and its keys, so it is not end-to-end encrypted.
 */
export class CustodyMarking {
  // Descriptions are given explicitly: libs are built by tsc, without the Swagger plugin that reads doc comments.
  @ApiProperty({
    description: 'Always false: Custody can read hosted chats, so they are not end-to-end encrypted.',
    example: false,
    enum: [false],
  })
  @Equals(false)
  e2e: false;

  @ApiProperty({ description: "Who holds the chat on the business's behalf.", example: 'custody', enum: ['custody'] })
  @Equals('custody')
  hostedBy: 'custody';
}

export const CUSTODY_MARKING: Readonly<CustodyMarking> = Object.freeze({ e2e: false, hostedBy: 'custody' });
