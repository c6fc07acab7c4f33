import { Logger, LoggerService } from '@nestjs/common';
import pino, { Logger as PinoLogger } from 'pino';
import { serializeError } from './error-serializer';
import { currentContext } from './request-context';

/**
 * Paths that must never reach a log line. pino replaces them before serialization, so a secret
 * passed in by mistake is still kept out.
 */
export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  'password',
  'secret',
  'clientSecret',
  'client_secret',
  'appSecret',
  'app_secret',
  'token',
  'access_token',
  'body',
  'text.body',
  'phone',
  'wa_id',
  'to',
  '*.password',
  '*.secret',
  '*.clientSecret',
  '*.client_secret',
  '*.appSecret',
  '*.token',
  '*.access_token',
  '*.body',
  '*.phone',
];

let root: PinoLogger | undefined;

export function rootLogger(): PinoLogger {
  root ??= pino({
    level: process.env.LOG_LEVEL ?? 'info',
    base: { service: process.env.CUSTODY_SERVICE },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Errors without the values they were thrown over (statement parameters, quoted input).
    serializers: { err: serializeError, error: serializeError },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const ctx = currentContext();
      return ctx ? { requestId: ctx.requestId, tenantId: ctx.tenantId } : {};
    },
  });
  return root;
}

export function configureLogging(service: string, level: string): void {
  root = undefined;
  process.env.CUSTODY_SERVICE = service;
  process.env.LOG_LEVEL = level;
  rootLogger();
  // Loggers created outside an app (CLIs, tests) also write JSON through pino.
  Logger.overrideLogger(new JsonLogger());
}

/** Nest's logger interface on top of pino; the Nest "context" (a class name) becomes a field. */
export class JsonLogger implements LoggerService {
  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, traceOrContext?: string, context?: string): void {
    const ctx = context ?? traceOrContext;
    const stack = context ? traceOrContext : undefined;
    const fields: Record<string, unknown> = { context: ctx };
    if (stack) {
      fields.stack = stack;
    }
    this.write('error', message, ctx, fields);
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }

  private write(level: pino.Level, message: unknown, context?: string, extra: Record<string, unknown> = {}): void {
    const logger = rootLogger();
    if (message instanceof Error) {
      logger[level]({ context, err: message, ...extra }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      logger[level]({ context, ...(message as Record<string, unknown>), ...extra });
    } else {
      logger[level]({ context, ...extra }, String(message));
    }
  }
}
