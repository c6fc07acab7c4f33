import {
  ArgumentsHost,
  BadRequestException,
  Body,
  Catch,
  Controller,
  ExceptionFilter,
  Get,
  Headers,
  HttpCode,
  Post,
  UseFilters,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiBadRequestResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Public, SigningKeys } from '@custody/auth';
import { RateLimitedException, TokenEndpointRateLimit } from '@custody/platform';
import { TokenRequestDto, TokenResponseDto } from '../dtos/token.dto';
import { OAuthError, TokenService } from '../services/token.service';

/** The token endpoint answers in RFC 6749's error shape, which OAuth client libraries parse. */
@Catch(OAuthError, BadRequestException, RateLimitedException)
class OAuthErrorFilter implements ExceptionFilter {
  catch(exception: OAuthError | BadRequestException | RateLimitedException, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    res.setHeader('Cache-Control', 'no-store');
    if (exception instanceof RateLimitedException) {
      // Retry-After is already set. `slow_down` is OAuth's word for it (RFC 8628 §3.5).
      res.status(429).json({ error: 'slow_down', error_description: exception.message });
      return;
    }
    if (exception instanceof OAuthError) {
      if (exception.status === 401) {
        res.setHeader('WWW-Authenticate', 'Basic realm="custody"');
      }
      res.status(exception.status).json({ error: exception.error, error_description: exception.description });
      return;
    }
    const body = exception.getResponse() as { message?: unknown };
    const messages = Array.isArray(body.message) ? body.message.map(String) : [exception.message];
    const grantProblem = messages.some((m) => m.startsWith('grant_type'));
    res.status(400).json({
      error: grantProblem ? 'unsupported_grant_type' : 'invalid_request',
      error_description: messages.join('; '),
    });
  }
}

@ApiTags('auth')
@Controller()
export class TokenController {
  constructor(
    private readonly tokens: TokenService,
    private readonly keys: SigningKeys,
  ) {}

  /**
   * OAuth 2.0 client credentials grant (RFC 6749 §4.4). Send the client id and secret with HTTP
   * Basic auth or in the body. Returns a short-lived JWT (ES256, `kid` in the header).
   */
  @Post('v1/oauth/token')
  @Public()
  @TokenEndpointRateLimit()
  @HttpCode(200)
  @UseFilters(OAuthErrorFilter)
  @ApiOperation({ summary: 'Get an access token (client credentials grant)' })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiHeader({
    name: 'Authorization',
    required: false,
    description: 'HTTP Basic with the client id and secret (or give them in the body)',
  })
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiBadRequestResponse({ description: 'invalid_request or unsupported_grant_type (RFC 6749 error shape)' })
  @ApiUnauthorizedResponse({ description: 'invalid_client: unknown client or wrong secret (RFC 6749 error shape)' })
  @ApiTooManyRequestsResponse({
    description: 'Too many token requests for this client id or source address (`slow_down`); see Retry-After',
  })
  async token(
    @Body() body: TokenRequestDto,
    @Headers('Authorization') authorization?: string,
  ): Promise<TokenResponseDto> {
    const basic = parseBasic(authorization);
    if (basic && body.client_id && body.client_id !== basic.id) {
      throw new OAuthError(400, 'invalid_request', 'client_id in the body differs from HTTP Basic');
    }
    return this.tokens.issue(basic?.id ?? body.client_id, basic?.secret ?? body.client_secret, body.scope);
  }

  /** The public keys that verify Custody's access tokens (RFC 7517). */
  @Get('.well-known/jwks.json')
  @Public()
  @ApiOperation({ summary: 'JSON Web Key Set of the token issuer' })
  jwks(): { keys: object[] } {
    return this.keys.publicJwks();
  }
}

const CONTROL = /\p{Cc}/u;

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header) : null;
  if (!match) {
    return undefined;
  }
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) {
    throw new OAuthError(401, 'invalid_client', 'Malformed HTTP Basic credentials');
  }
  // RFC 6749 §2.3.1: both parts are percent-encoded; a broken escape (a lone `%`) is a bad request.
  let id: string;
  let secret: string;
  try {
    id = decodeURIComponent(decoded.slice(0, colon));
    secret = decodeURIComponent(decoded.slice(colon + 1));
  } catch {
    throw new OAuthError(400, 'invalid_request', 'Malformed HTTP Basic credentials (bad percent-encoding)');
  }
  if (CONTROL.test(id) || CONTROL.test(secret)) {
    throw new OAuthError(400, 'invalid_request', 'Client credentials must not contain control characters');
  }
  return { id, secret };
}
