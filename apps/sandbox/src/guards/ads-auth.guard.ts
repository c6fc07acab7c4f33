import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { SandboxEnv } from '../config/sandbox.env';
import { AdsErrorCodes, AdsErrorSubcodes, AdsGraphError } from '../services/ads-graph-error';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * The ads platform's access token: `Authorization: Bearer <token>` (or the Graph API's
 * `access_token` query parameter). Missing or wrong → 401 with Graph code 190.
 */
@Injectable()
export class AdsAuthGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(env: SandboxEnv) {
    this.expected = digest(env.SANDBOX_ADS_ACCESS_TOKEN);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const header = req.headers.authorization;
    const query = (req.query as Record<string, unknown> | undefined)?.access_token;
    const token =
      typeof header === 'string' && /^Bearer\s+/i.test(header)
        ? header.replace(/^Bearer\s+/i, '').trim()
        : typeof query === 'string'
          ? query
          : undefined;
    if (!token) {
      throw new AdsGraphError({
        status: 401,
        code: AdsErrorCodes.AccessToken,
        subcode: AdsErrorSubcodes.TokenMissing,
        message: 'An access token is required to request this resource.',
        transient: false,
      });
    }
    if (!timingSafeEqual(digest(token), this.expected)) {
      throw new AdsGraphError({
        status: 401,
        code: AdsErrorCodes.AccessToken,
        subcode: AdsErrorSubcodes.TokenInvalid,
        message: 'Invalid OAuth access token - Cannot parse access token',
        transient: false,
      });
    }
    return true;
  }
}
