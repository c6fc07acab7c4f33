import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { bindTenant } from '@custody/observability';
import { AuthenticatedRequest, PUBLIC_KEY, ROLES_KEY } from './auth.decorators';
import { Role } from './roles';
import { AuthError, TokenVerifier } from './token-verifier';

/**
 * Global guard: every handler needs a valid token unless it is marked @Public(). 401 when the
 * caller cannot be identified, 403 when it may not do this.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
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
      .getRequest<AuthenticatedRequest & { headers: Record<string, string | undefined> }>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    try {
      request.principal = await this.verifier.verify(match?.[1]);
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
