import { encodeHash } from '@custody/transparency-log';
import { LogEntry } from '../domain/log-entry';
import { ConsentRecordResponseDto, LogEntryDto } from '../dtos/consent.dto';

export function mapEntry(entry: LogEntry, leafHash: Buffer): LogEntryDto {
  return {
    id: entry.id,
    kind: entry.kind,
    leafIndex: entry.index,
    leafHash: encodeHash(leafHash),
    entry: entry as unknown as Record<string, unknown>,
  };
}

export function mapRecord(entry: LogEntry, leafHash: Buffer, inclusionPromise: string): ConsentRecordResponseDto {
  return {
    ...mapEntry(entry, leafHash),
    inclusionPromise,
    subject: entry.subject,
    purposes: entry.kind === 'consent.prompted' ? entry.purposes : [entry.purpose],
    occurredAt: entry.occurredAt,
    recordedAt: entry.recordedAt,
  };
}
