import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Response } from 'express';
import { randomUUID } from 'node:crypto';
import { currentContext } from '@custody/observability';

/** Cloud API error codes Custody uses (Graph error envelope). */
export const GraphCodes = {
  Unknown: 1,
  Temporary: 2,
  AppRateLimit: 4,
  Permission: 10,
  InvalidParameter: 100,
  AccessToken: 190,
  Throughput: 130429,
  ReEngagement: 131047,
  PairRate: 131056,
  AccountLocked: 131031,
  ServiceUnavailable: 131016,
  MediaUpload: 131053,
} as const;

class GraphErrorData {
  @ApiProperty({ example: 'whatsapp' })
  messaging_product: 'whatsapp';

  @ApiProperty({ description: 'Which parameter is wrong, and why', example: 'Parameter "to" must be a phone number' })
  details: string;
}

// Descriptions are given explicitly: the Swagger plugin reads doc comments in *.dto.ts files only.
class GraphErrorBody {
  @ApiProperty({ description: "The Cloud API's message for the code", example: '(#100) Invalid parameter' })
  message: string;

  @ApiProperty({ description: 'The Graph error type, as the Cloud API gives it', example: 'OAuthException' })
  type: string;

  @ApiProperty({ description: 'The Cloud API error code, e.g. 100, 131047, 130429, 131056, 190', example: 100 })
  code: number;

  @ApiPropertyOptional({ type: GraphErrorData })
  error_data?: GraphErrorData;

  @ApiProperty({ description: "Correlates the error with Custody's logs (the request id)." })
  fbtrace_id: string;
}

/** The Graph error envelope of ingest's Cloud-API-compatible surface. */
export class GraphErrorResponse {
  @ApiProperty({ type: GraphErrorBody })
  error: GraphErrorBody;
}

export class GraphError extends HttpException {
  constructor(
    status: HttpStatus,
    readonly code: number,
    message: string,
    readonly details?: string,
    readonly type = 'OAuthException',
  ) {
    super(message, status);
  }
}

export const invalidParameter = (details: string): GraphError =>
  new GraphError(HttpStatus.BAD_REQUEST, GraphCodes.InvalidParameter, '(#100) Invalid parameter', details);

/** Renders every error of ingest in the Graph envelope, with the Cloud API's codes. */
@Catch()
export class GraphExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(GraphExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const traceId = currentContext()?.requestId ?? randomUUID();
    const { status, code, message, details, type } = this.describe(exception, traceId);
    const body: GraphErrorResponse = {
      error: {
        message,
        type,
        code,
        ...(details ? { error_data: { messaging_product: 'whatsapp' as const, details } } : {}),
        fbtrace_id: traceId,
      },
    };
    res.status(status).json(body);
  }

  private describe(
    exception: unknown,
    traceId: string,
  ): { status: number; code: number; message: string; details?: string; type: string } {
    if (exception instanceof GraphError) {
      return {
        status: exception.getStatus(),
        code: exception.code,
        message: exception.message,
        details: exception.details,
        type: exception.type,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse() as { code?: string; message?: unknown };
      const text = Array.isArray(response.message)
        ? response.message.join('; ')
        : typeof response.message === 'string'
          ? response.message
          : exception.message;
      switch (status) {
        case 401:
          return {
            status,
            code: GraphCodes.AccessToken,
            message:
              response.code === 'token_expired'
                ? 'Error validating access token: Session has expired'
                : 'Invalid OAuth access token',
            details: text,
            type: 'OAuthException',
          };
        case 403:
          return {
            status,
            code: GraphCodes.Permission,
            message: '(#10) Application does not have permission for this action',
            details: text,
            type: 'OAuthException',
          };
        case 429:
          // The API rate limit (Retry-After is set): Graph's "Application request limit reached".
          return {
            status,
            code: GraphCodes.AppRateLimit,
            message: '(#4) Application request limit reached',
            details: text,
            type: 'OAuthException',
          };
        case 404:
          return {
            status,
            code: GraphCodes.InvalidParameter,
            message: 'Unsupported request: the object does not exist or you may not access it',
            details: text,
            type: 'GraphMethodException',
          };
        case 503: {
          // Deliberate (e.g. readiness while Kafka or PostgreSQL is down): its status and what is down.
          const checks = (response as { checks?: Record<string, string> }).checks;
          return {
            status,
            code: GraphCodes.ServiceUnavailable,
            message: '(#131016) Service unavailable',
            details: checks
              ? Object.entries(checks)
                  .map(([name, state]) => `${name}: ${state}`)
                  .join('; ')
              : text,
            type: 'OAuthException',
          };
        }
        default:
          if (status < 500) {
            return {
              status,
              code: GraphCodes.InvalidParameter,
              message: '(#100) Invalid parameter',
              details: text,
              type: 'OAuthException',
            };
          }
      }
    }
    if (isBodyParserError(exception)) {
      const parseFailed = exception.type === 'entity.parse.failed';
      return {
        status: parseFailed ? 400 : exception.status,
        code: GraphCodes.InvalidParameter,
        message: '(#100) Invalid parameter',
        details: parseFailed ? 'The request body is not valid JSON' : exception.message,
        type: 'OAuthException',
      };
    }
    this.logger.error({ msg: 'unexpected error', errorId: traceId, err: exception });
    return {
      status: 500,
      code: GraphCodes.Temporary,
      message: `Temporary issue; retry later (id ${traceId})`,
      type: 'OAuthException',
    };
  }
}

/** A refusal by the body parsers or the input guard (bad JSON, too large, a NUL character): a 4xx. */
function isBodyParserError(e: unknown): e is { status: number; type: string; message: string } {
  const x = e as { type?: unknown; status?: unknown } | null;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof x.type === 'string' &&
    typeof x.status === 'number' &&
    x.status >= 400 &&
    x.status < 500
  );
}
