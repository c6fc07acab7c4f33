import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  Optional,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { bindTenant } from '@custody/observability';
import { AuthenticatedRequest, PUBLIC_KEY, ROLES_KEY } from './auth.decorators';
import { Role } from './roles';
import { AuthError, TokenVerifier } from './token-verifier';

/** Whether a token may also come as the `access_token` query parameter (see AuthModule.forRoot). */
export const AUTH_QUERY_TOKEN = Symbol('AUTH_QUERY_TOKEN');

/**
 * Global guard: every handler needs a valid token unless it is marked @Public(). 401 when the
 * caller cannot be identified, 403 when it may not do this.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    @Optional() @Inject(AUTH_QUERY_TOKEN) private readonly acceptQueryToken = false,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') {
      return true;
    }
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) {
      return true;
    }
    const request = context
      .switchToHttp()
      .getRequest<
        AuthenticatedRequest & { headers: Record<string, string | undefined>; query?: Record<string, unknown> }
      >();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    // The header wins; the query parameter only stands in for a missing header.
    const queryToken =
      this.acceptQueryToken && header === undefined && typeof request.query?.access_token === 'string'
        ? request.query.access_token
        : undefined;
    try {
      request.principal = await this.verifier.verify(match?.[1] ?? queryToken);
    } catch (error) {
      if (error instanceof AuthError) {
        throw new UnauthorizedException({
          code: error.reason === 'expired' ? 'token_expired' : 'unauthorized',
          message: error.message,
        });
      }
      throw error;
    }
    bindTenant(request.principal.tenantId, request.principal.subject);
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!required || required.length === 0) {
      throw new ForbiddenException({ code: 'forbidden', message: 'This operation declares no role; access denied' });
    }
    if (!request.principal.roles.some((role) => required.includes(role))) {
      throw new ForbiddenException({
        code: 'forbidden',
        message: `This operation requires one of the roles: ${required.join(', ')}`,
      });
    }
    return true;
  }
}
