import { logLevel, LogEntry } from 'kafkajs';
import { rootLogger } from '@custody/observability';

/** Routes kafkajs's own logs into the JSON logger (warnings and errors only). */
export function kafkaLogCreator(): (entry: LogEntry) => void {
  const logger = rootLogger().child({ context: 'kafkajs' });
  return ({ level, log }) => {
    const { message, ...rest } = log;
    if (level <= logLevel.ERROR) {
      logger.error(rest, message);
    } else if (level === logLevel.WARN) {
      logger.warn(rest, message);
    }
  };
}
