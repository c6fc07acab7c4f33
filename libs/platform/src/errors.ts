import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { isInvalidInputValueError, isUnstorableInputError } from './input-guard';
import { currentContext } from '@custody/observability';

// Descriptions are given explicitly: libs are built by tsc, without the Swagger plugin that reads doc comments.
export class ApiErrorBody {
  @ApiProperty({ description: 'HTTP status code, repeated for clients that only see the body.', example: 400 })
  status: number;

  @ApiProperty({
    description: 'Stable machine-readable code, e.g. `validation_failed`, `unauthorized`, `not_found`.',
    example: 'validation_failed',
  })
  code: string;

  @ApiProperty({ description: 'Human-readable explanation.', example: 'Request validation failed' })
  message: string;

  @ApiPropertyOptional({
    description: 'Field-level problems, when the request was invalid.',
    type: [String],
    example: ['displayName must be a string'],
  })
  details?: string[];

  @ApiProperty({
    description: "Correlates this answer with the service's logs.",
    example: '3f1c3c1e-7c1a-4bb8-9e43-4d2b1c8a7f10',
  })
  requestId: string;
}

/** The error shape of every Custody API except ingest's Cloud-API-compatible surface. */
export class ApiErrorResponse {
  @ApiProperty({ type: ApiErrorBody })
  error: ApiErrorBody;
}

/** A domain error that maps to a 4xx with a stable code. Services throw these. */
export class DomainError extends HttpException {
  constructor(
    status: HttpStatus,
    readonly code: string,
    message: string,
    readonly details?: string[],
  ) {
    super({ code, message, details }, status);
  }
}

export const notFound = (what: string): DomainError =>
  new DomainError(HttpStatus.NOT_FOUND, 'not_found', `${what} not found`);
export const conflict = (message: string): DomainError => new DomainError(HttpStatus.CONFLICT, 'conflict', message);
export const badRequest = (message: string, details?: string[]): DomainError =>
  new DomainError(HttpStatus.BAD_REQUEST, 'bad_request', message, details);

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'too_many_requests',
  503: 'unavailable',
};

/** Maps an exception to the error body; anything unexpected becomes a 500 with an error id logged once. */
export function toErrorBody(exception: unknown, logger: Logger): { status: number; body: ApiErrorResponse } {
  const requestId = currentContext()?.requestId ?? randomUUID();
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    let code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'error');
    let message = exception.message;
    let details: string[] | undefined;
    if (typeof response === 'object' && response !== null) {
      const r = response as Record<string, unknown>;
      if (typeof r.code === 'string') {
        code = r.code;
      }
      if (Array.isArray(r.message)) {
        // ValidationPipe puts one message per field problem here.
        details = r.message.map(String);
        message = 'Request validation failed';
        code = 'validation_failed';
      } else if (typeof r.message === 'string') {
        message = r.message;
      }
      if (Array.isArray(r.details)) {
        details = r.details.map(String);
      }
      if (r.checks && typeof r.checks === 'object') {
        details = Object.entries(r.checks as Record<string, string>).map(([k, v]) => `${k}: ${v}`);
      }
    }
    if (status >= 500) {
      logger.error({ msg: 'request failed', status, code, err: exception });
    }
    return { status, body: { error: { status, code, message, details, requestId } } };
  }
  if (isBodyParserError(exception)) {
    const status = exception.status;
    const code = CODE_BY_STATUS[status] ?? 'bad_request';
    const message = exception.type === 'entity.parse.failed' ? 'Request body is not valid JSON' : exception.message;
    return { status, body: { error: { status, code, message, requestId } } };
  }
  if (isUnstorableInputError(exception)) {
    const message = 'The request contains characters that cannot be stored (e.g. NUL)';
    return { status: 400, body: { error: { status: 400, code: 'bad_request', message, requestId } } };
  }
  if (isInvalidInputValueError(exception)) {
    // Logged (a validation gap to close), without the value: the error serializer keeps it out.
    logger.warn({ msg: 'a request value reached the database unchecked', errorId: requestId, err: exception });
    const message = 'A value in the request is not valid (out of range, too long, or not of its type)';
    return { status: 400, body: { error: { status: 400, code: 'bad_request', message, requestId } } };
  }
  logger.error({ msg: 'unexpected error', errorId: requestId, err: exception });
  return {
    status: 500,
    body: { error: { status: 500, code: 'internal_error', message: `Internal error (id ${requestId})`, requestId } },
  };
}

/** An express body-parser failure (bad JSON, body too large): a 4xx with a `type` such as `entity.parse.failed`. */
export function isBodyParserError(e: unknown): e is { status: number; type: string; message: string } {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { status?: unknown }).status === 'number' &&
    typeof (e as { type?: unknown }).type === 'string' &&
    (e as { status: number }).status < 500
  );
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, body } = toErrorBody(exception, this.logger);
    res.status(status).json(body);
  }
}

export type { Request };
