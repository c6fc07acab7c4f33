import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { SandboxEnv } from '../config/sandbox.env';
import { AdsErrorCodes, AdsErrorSubcodes, AdsGraphError, invalidParameter } from './ads-graph-error';

/** `act_` and the digits, as Graph names an ad account. */
export const AD_ACCOUNT = /^act_(\d{1,32})$/;

const digest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * Graph's answer for an object the caller's token may not use: the same words whether the object
 * does not exist or belongs to another ad account, so nothing is learned about other accounts.
 */
export function objectNotAccessible(id: string, method: 'get' | 'post' | 'delete'): AdsGraphError {
  return new AdsGraphError({
    status: 400,
    code: AdsErrorCodes.InvalidParameter,
    subcode: AdsErrorSubcodes.UnknownObject,
    message: `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    transient: false,
  });
}

/**
 * Ad accounts of the simulated ads platform and the access tokens that act for them, as a
 * business's system-user token acts for its own ad accounts only. An audience or dataset belongs
 * to the ad account whose token used it first (the sandbox creates objects on first use, where
 * the real platform gives out their ids); afterwards every other account's token is refused with
 * Graph's "does not exist, cannot be loaded due to missing permissions" error.
 *
 * Tokens are kept as SHA-256 digests only; state is in memory (a simulator).
 */
@Injectable()
export class AdsAccountsService {
  private readonly tokens = new Map<string, string>();
  private readonly owners = new Map<string, string>();

  constructor(private readonly env: SandboxEnv) {}

  /** A new access token for the ad account (`act_<digits>`); earlier tokens stay valid. */
  issueToken(adAccountId: string): { adAccountId: string; accessToken: string } {
    if (!AD_ACCOUNT.test(adAccountId)) {
      throw invalidParameter(
        AdsErrorSubcodes.UnknownObject,
        'Unknown ad account',
        'Ad account ids look like act_<digits>',
      );
    }
    if (this.tokens.size >= this.env.SANDBOX_ADS_MAX_OBJECTS * 10) {
      throw invalidParameter(
        AdsErrorSubcodes.SandboxCapacity,
        'Sandbox capacity',
        'the sandbox keeps at most 10 × SANDBOX_ADS_MAX_OBJECTS access tokens',
      );
    }
    const accessToken = `SBX${randomBytes(32).toString('base64url')}`;
    this.tokens.set(digest(accessToken), adAccountId);
    return { adAccountId, accessToken };
  }

  /** The ad account a token acts for, or undefined for an unknown token. */
  accountOf(token: string): string | undefined {
    return this.tokens.get(digest(token));
  }

  /**
   * Checks that `adAccountId` may use the audience or dataset `id`: an unused object becomes the
   * account's; another account's object is refused as if it did not exist.
   */
  use(adAccountId: string, id: string, method: 'get' | 'post' | 'delete'): void {
    const owner = this.owners.get(id);
    if (owner === undefined) {
      if (this.owners.size >= this.env.SANDBOX_ADS_MAX_OBJECTS * 2) {
        throw invalidParameter(
          AdsErrorSubcodes.SandboxCapacity,
          'Sandbox capacity',
          `the sandbox keeps at most ${this.env.SANDBOX_ADS_MAX_OBJECTS * 2} owned objects; reset it`,
        );
      }
      this.owners.set(id, adAccountId);
      return;
    }
    if (owner !== adAccountId) {
      throw objectNotAccessible(id, method);
    }
  }

  /** The owner of an object, for inspection. */
  ownerOf(id: string): string | null {
    return this.owners.get(id) ?? null;
  }

  /** Forgets which account owns which object (tokens stay valid). */
  reset(): void {
    this.owners.clear();
  }
}
