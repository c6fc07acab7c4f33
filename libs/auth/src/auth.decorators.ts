import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  SetMetadata,
} from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Principal, Role } from './roles';

export const PUBLIC_KEY = 'custody:public';
export const ROLES_KEY = 'custody:roles';

/** Marks a handler as reachable without a token. Everything else requires one. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, true);

/** Requires a token carrying one of these roles; documents 401/403 in OpenAPI. */
export function Auth(...roles: Role[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'No token, or the token is invalid or expired' }),
    ApiForbiddenResponse({ description: 'The token lacks a role this operation requires' }),
  );
}

export interface AuthenticatedRequest {
  principal?: Principal;
}

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) {
    throw new ForbiddenException('No authenticated principal');
  }
  return principal;
});

/** The caller's tenant id; a handler using it can never run for a caller without a tenant. */
export const CurrentTenant = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal?.tenantId) {
    throw new ForbiddenException('This operation needs a tenant-scoped token');
  }
  return principal.tenantId;
});
