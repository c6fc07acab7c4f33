import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AdsAccountsService } from '../services/ads-accounts.service';
import { AdsErrorCodes, AdsErrorSubcodes, AdsGraphError } from '../services/ads-graph-error';

type AdsRequest = Request & { adAccountId?: string };

/** The ad account the request's access token acts for (set by AdsAuthGuard). */
export const AdAccount = createParamDecorator(
  (_: unknown, context: ExecutionContext): string => context.switchToHttp().getRequest<AdsRequest>().adAccountId!,
);

/** The bearer token of a request (`Authorization: Bearer …` or Graph's `access_token` query parameter). */
export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  const query = (req.query as Record<string, unknown> | undefined)?.access_token;
  return typeof header === 'string' && /^Bearer\s+/i.test(header)
    ? header.replace(/^Bearer\s+/i, '').trim()
    : typeof query === 'string'
      ? query
      : undefined;
}

/**
 * The ads platform's access token: `Authorization: Bearer <token>` (or the Graph API's
 * `access_token` query parameter), one issued for an ad account (AdsAccountsService). Missing or
 * unknown → 401 with Graph code 190. The request then acts for that ad account only.
 */
@Injectable()
export class AdsAuthGuard implements CanActivate {
  constructor(private readonly accounts: AdsAccountsService) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<AdsRequest>();
    const token = bearerToken(req);
    if (!token) {
      throw new AdsGraphError({
        status: 401,
        code: AdsErrorCodes.AccessToken,
        subcode: AdsErrorSubcodes.TokenMissing,
        message: 'An access token is required to request this resource.',
        transient: false,
      });
    }
    const account = this.accounts.accountOf(token);
    if (account === undefined) {
      throw new AdsGraphError({
        status: 401,
        code: AdsErrorCodes.AccessToken,
        subcode: AdsErrorSubcodes.TokenInvalid,
        message: 'Invalid OAuth access token - Cannot parse access token',
        transient: false,
      });
    }
    req.adAccountId = account;
    return true;
  }
}
