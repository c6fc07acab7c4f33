import { IsIn, IsInt, IsString, Length, Matches, Min } from 'class-validator';
import { EventBase, registerTopicSchema } from './events';
import { Topics } from './topics';

/**
 * consent publishes each checkpoint it signs (C2SP tlog-checkpoint in a signed note, see
 * docs/consent-log-format.md §6), keyed by tenant on the compacted `custody.consent.checkpoints.v1`,
 * so that services which cite consent (the marketing export's ledger) can name a checkpoint that
 * proves the entry they relied on. Only hashes and sizes: no personal data.
 */
export class ConsentCheckpointEvent extends EventBase {
  @IsIn(['consent.checkpoint'])
  type: 'consent.checkpoint';

  /** The log's origin, the checkpoint's first line. */
  @IsString()
  @Length(1, 300)
  origin: string;

  @IsInt()
  @Min(0)
  treeSize: number;

  /** RFC 6962 root hash, base64. */
  @Matches(/^[A-Za-z0-9+/]{43}=$/)
  rootHash: string;

  /** The signed note as the log serves it at GET …/checkpoint (without cosignatures). */
  @IsString()
  @Length(1, 16384)
  checkpoint: string;
}

registerTopicSchema(Topics.ConsentCheckpoints, ConsentCheckpointEvent);
