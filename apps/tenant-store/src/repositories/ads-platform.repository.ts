import { Injectable } from '@nestjs/common';

/** Where tenant-store checks ads credentials and ownership (operator configuration, not a tenant's URL). */
export class AdsPlatformSettings {
  constructor(
    /** Base URL without the trailing slash; undefined when no ads platform is configured. */
    readonly url: string | undefined,
    readonly version: string,
    readonly timeoutMs: number,
    /** Base64 of the 32-byte key that seals credentials for marketing-export. */
    readonly credentialKey: string | undefined,
  ) {}
}

/** What the ads platform said about a token and an object. */
export type AdsAccess =
  | { kind: 'ok'; accountId: string }
  /** The platform refused: a wrong token, or an object of another ad account (or none). */
  | { kind: 'refused'; status: number }
  /** No answer, a timeout, 429 or 5xx: nothing can be concluded. */
  | { kind: 'unavailable' };

/**
 * Reads at the ads platform (a Graph-style API: the sandbox on one machine, Meta's in
 * production) with a tenant's access token: which ad account the token may act for, and which ad
 * account an audience or dataset belongs to. The token goes in the Authorization header only and
 * never into a log or an error.
 */
@Injectable()
export class AdsPlatformRepository {
  constructor(private readonly settings: AdsPlatformSettings) {}

  /** `GET /{version}/{objectId}?fields=id,account_id`: the ad account an object (or `act_…` itself) belongs to. */
  async accountOf(token: string, objectId: string): Promise<AdsAccess> {
    const url = `${this.settings.url}/${this.settings.version}/${encodeURIComponent(objectId)}?fields=id,account_id`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
    } catch {
      return { kind: 'unavailable' };
    }
    const body = (await res.json().catch(() => null)) as { account_id?: unknown } | null;
    if (res.status === 429 || res.status >= 500) {
      return { kind: 'unavailable' };
    }
    if (res.status === 200 && typeof body?.account_id === 'string' && /^\d{1,32}$/.test(body.account_id)) {
      return { kind: 'ok', accountId: `act_${body.account_id}` };
    }
    return { kind: 'refused', status: res.status };
  }
}
