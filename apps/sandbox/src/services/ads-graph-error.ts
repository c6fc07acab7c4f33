import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { currentContext } from '@custody/observability';
import { isBodyParserError, toErrorBody } from '@custody/platform';

/** Graph error codes the simulated ads platform answers with. */
export const AdsErrorCodes = {
  /** Service temporarily unavailable (transient). */
  Temporary: 2,
  /** Application request limit reached. */
  AppRateLimit: 4,
  /** User request limit reached. */
  UserRateLimit: 17,
  InvalidParameter: 100,
  AccessToken: 190,
} as const;

/** Subcodes. Those marked "observed" are what the real platform sends; the others are the sandbox's own. */
export const AdsErrorSubcodes = {
  /** Object does not exist or does not support the operation (observed). */
  UnknownObject: 33,
  /** Event time more than 7 days old (observed in clients of the real API, "Event Timestamp Too Old"). */
  EventTooOld: 2804003,
  /** Event without usable customer information parameters (observed). */
  InsufficientCustomerInfo: 2804050,
  /** Any other invalid event field (sandbox). */
  InvalidEventField: 2804001,
  /** Event time in the future (sandbox). */
  EventInFuture: 2804002,
  /** Too many events in one request (sandbox). */
  TooManyEvents: 2804005,
  /** Invalid customer-list payload or session (sandbox). */
  InvalidAudiencePayload: 1870001,
  /** More than 10,000 rows in one call (sandbox). */
  TooManyRows: 1870002,
  /** A batch for an upload session that already received its last batch (sandbox). */
  SessionEnded: 1870003,
  /** The sandbox's memory bound for one audience or dataset is reached (sandbox). */
  SandboxCapacity: 1870099,
  /** User request limit reached (observed). */
  UserRequestLimit: 2446079,
  /** Access token missing (sandbox). */
  TokenMissing: 1,
  /** Access token not the configured one (observed as "Invalid OAuth access token"). */
  TokenInvalid: 2,
} as const;

export interface AdsErrorSpec {
  status: number;
  code: number;
  subcode?: number;
  message: string;
  userTitle?: string;
  userMsg?: string;
  transient?: boolean;
  data?: Record<string, unknown>;
}

/** A Graph-shaped error of the simulated ads platform. */
export class AdsGraphError extends HttpException {
  constructor(readonly spec: AdsErrorSpec) {
    super(spec.message, spec.status);
  }
}

/** A 400 "Invalid parameter" (code 100) with the sandbox's explanation. */
export function invalidParameter(
  subcode: number,
  userTitle: string,
  userMsg: string,
  data?: Record<string, unknown>,
  message = 'Invalid parameter',
): AdsGraphError {
  return new AdsGraphError({
    status: 400,
    code: AdsErrorCodes.InvalidParameter,
    subcode,
    message,
    userTitle,
    userMsg,
    transient: false,
    data,
  });
}

/** A 400 "Invalid parameter" (code 100) without a subcode. */
export function badParam(userMsg: string): AdsGraphError {
  return new AdsGraphError({
    status: 400,
    code: AdsErrorCodes.InvalidParameter,
    message: 'Invalid parameter',
    userMsg,
    transient: false,
  });
}

export class AdsGraphErrorBody {
  @ApiProperty({ example: 'Invalid parameter at data[3]' })
  message: string;

  @ApiProperty({ example: 'OAuthException' })
  type: string;

  @ApiProperty({ example: 100 })
  code: number;

  @ApiPropertyOptional({ example: 2804003 })
  error_subcode?: number;

  @ApiPropertyOptional({ example: false })
  is_transient?: boolean;

  @ApiPropertyOptional({ example: 'Event Timestamp Too Old' })
  error_user_title?: string;

  @ApiPropertyOptional({ example: 'data[3].event_time: the event is more than 7 days old' })
  error_user_msg?: string;

  /** Where the problem is, e.g. `{ "event_index": 3, "field": "event_time" }` or `{ "row_index": 7 }`. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { event_index: 3, field: 'event_time' } })
  error_data?: Record<string, unknown>;

  /** The sandbox's request id. */
  @ApiProperty()
  fbtrace_id: string;
}

/** The Graph error envelope the simulated ads platform answers with. */
export class AdsGraphErrorResponse {
  @ApiProperty({ type: AdsGraphErrorBody })
  error: AdsGraphErrorBody;
}

/**
 * The sandbox's exception filter: under `/ads` errors are Graph-shaped, as the ads platform's
 * are; elsewhere they keep Custody's error shape.
 */
@Catch()
export class SandboxExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(SandboxExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const path = req.path ?? req.url ?? '';
    if (path === '/ads' || path.startsWith('/ads/')) {
      const traceId = currentContext()?.requestId ?? randomUUID();
      const spec = this.describe(exception, traceId);
      const body: AdsGraphErrorResponse = {
        error: {
          message: spec.message,
          type: 'OAuthException',
          code: spec.code,
          ...(spec.subcode !== undefined ? { error_subcode: spec.subcode } : {}),
          ...(spec.transient !== undefined ? { is_transient: spec.transient } : {}),
          ...(spec.userTitle ? { error_user_title: spec.userTitle } : {}),
          ...(spec.userMsg ? { error_user_msg: spec.userMsg } : {}),
          ...(spec.data ? { error_data: spec.data } : {}),
          fbtrace_id: traceId,
        },
      };
      if (spec.status === 401) {
        res.setHeader('www-authenticate', 'Bearer');
      }
      res.status(spec.status).json(body);
      return;
    }
    const { status, body } = toErrorBody(exception, this.logger);
    res.status(status).json(body);
  }

  private describe(exception: unknown, traceId: string): AdsErrorSpec {
    if (exception instanceof AdsGraphError) {
      return exception.spec;
    }
    // Nest hands body-parser errors over as HttpExceptions caused by them.
    const parserError = exception instanceof HttpException ? exception.cause : exception;
    if (isBodyParserError(parserError)) {
      const tooLarge = parserError.status === 413;
      return {
        status: parserError.status,
        code: AdsErrorCodes.InvalidParameter,
        message: 'Invalid parameter',
        userMsg: tooLarge ? 'The request body is too large' : 'The request body is not valid JSON',
        transient: false,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse() as { message?: unknown };
      const text = Array.isArray(response.message)
        ? response.message.map(String).join('; ')
        : typeof response.message === 'string'
          ? response.message
          : exception.message;
      if (status === 404) {
        return {
          status,
          code: AdsErrorCodes.InvalidParameter,
          subcode: AdsErrorSubcodes.UnknownObject,
          message: 'Unsupported request: unknown path',
          userMsg: text,
        };
      }
      if (status < 500) {
        return {
          status,
          code: AdsErrorCodes.InvalidParameter,
          message: 'Invalid parameter',
          userMsg: text,
          transient: false,
        };
      }
    }
    this.logger.error({ msg: 'unexpected error', errorId: traceId, err: exception });
    return {
      status: 500,
      code: AdsErrorCodes.Temporary,
      message: `An unexpected error has occurred (id ${traceId})`,
      transient: true,
    };
  }
}
