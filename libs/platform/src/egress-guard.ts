import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { Agent as HttpAgent, IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { BlockList, isIP, LookupFunction } from 'node:net';

/**
 * Why a request to a tenant-chosen URL did not get an answer. The messages are the same whatever
 * is behind the URL, so the error cannot be used to scan the platform's own network.
 */
export type EgressFailure = 'not_allowed' | 'unreachable' | 'timeout' | 'too_large';

const MESSAGES: Record<EgressFailure, string> = {
  not_allowed: 'the URL is not allowed (only public http(s) addresses are)',
  unreachable: 'the URL could not be reached',
  timeout: 'the URL did not answer in time',
  too_large: 'the answer was too large',
};

export class EgressError extends Error {
  override readonly name = 'EgressError';

  constructor(readonly failure: EgressFailure) {
    super(MESSAGES[failure]);
  }
}

export interface EgressOptions {
  /** Loopback (127.0.0.0/8, ::1) allowed: local development and tests only, never in production. */
  allowLoopback: boolean;
  /** Bound of one request, connection included (milliseconds). */
  timeoutMs: number;
  /** Largest response body read (bytes); more is an error. */
  maxResponseBytes: number;
  /** How long a checked resolution is reused (milliseconds); the connection goes to that address. */
  dnsCacheMs?: number;
}

export interface EgressResponse {
  status: number;
  body: Buffer;
}

/** Addresses no tenant-chosen URL may reach (IANA special-purpose registries, both families). */
const FORBIDDEN = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  FORBIDDEN.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 96], // unspecified, loopback, IPv4-compatible
  ['64:ff9b::', 96], // NAT64 (embeds any IPv4 address)
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, …)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4 (embeds any IPv4 address)
  ['fc00::', 7], // unique local (cloud metadata fd00:ec2::254)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local
  ['ff00::', 8], // multicast
] as const) {
  FORBIDDEN.addSubnet(net, prefix, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, also in hex), else null. */
function mappedIpv4(address: string): string | null {
  const text = address.toLowerCase();
  const dotted =
    /^(?:0{0,4}:){0,5}:?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text) ?? /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted) {
    return dotted[1];
  }
  const hex =
    /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text) ??
    /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  if (hex) {
    const [hi, lo] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return null;
}

function isLoopback(address: string): boolean {
  const v4 = isIP(address) === 4 ? address : mappedIpv4(address);
  return v4 ? v4.startsWith('127.') : address === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(address);
}

/** Whether a tenant-chosen URL may reach this address. */
export function isAllowedAddress(address: string, allowLoopback = false): boolean {
  const family = isIP(address);
  if (family === 0) {
    return false;
  }
  if (allowLoopback && isLoopback(address)) {
    return true;
  }
  const v4 = family === 4 ? address : mappedIpv4(address);
  if (v4) {
    return !FORBIDDEN.check(v4, 'ipv4');
  }
  return !FORBIDDEN.check(address, 'ipv6');
}

/**
 * The one way Custody makes a request to a URL a tenant (or an operator for a tenant) chose:
 * http(s) only, no credentials in the URL, the host resolved once and every address checked
 * (loopback, private, link-local, metadata, multicast and reserved ranges refused, IPv4 and IPv6,
 * IPv4-mapped forms included), the connection made to the address that was checked (the lookup
 * of the socket itself is the checked one, so a DNS answer that changes in between — rebinding —
 * changes nothing), no redirects followed, bounded time and size, and errors that do not say what
 * is behind the URL. Resolutions are cached for a short time and connections kept alive, so a
 * busy delivery worker pays neither a DNS round trip nor a handshake per request.
 */
/**
 * The guard's static policy, for a URL being saved rather than requested (e.g. an operator's
 * webhookUrl): http(s) only, no credentials, no literal address outside the public ranges.
 * Host names are resolved and checked when a request is made (EgressGuard.request).
 */
export function checkEgressUrl(url: string, allowLoopback = false): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EgressError('not_allowed');
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.username || parsed.password) {
    throw new EgressError('not_allowed');
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !isAllowedAddress(host, allowLoopback)) {
    throw new EgressError('not_allowed');
  }
  return parsed;
}

export class EgressGuard {
  private readonly cache = new Map<string, { addresses: LookupAddress[]; until: number }>();
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private readonly lookup: LookupFunction;

  constructor(private readonly options: EgressOptions) {
    this.lookup = (hostname, opts, callback) => {
      this.resolve(hostname).then(
        (addresses) => {
          if (opts.all) {
            (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
          } else {
            callback(null, addresses[0].address, addresses[0].family);
          }
        },
        (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
      );
    };
    this.httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 64, lookup: this.lookup });
    this.httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64, lookup: this.lookup });
  }

  /** Throws EgressError('not_allowed') for a URL no request may go to (scheme, credentials, literal address). */
  check(url: string): URL {
    return checkEgressUrl(url, this.options.allowLoopback);
  }

  /** Resolves the URL's host and checks every address, without connecting (e.g. when a URL is saved). */
  async checkResolved(url: string): Promise<void> {
    const host = this.check(url).hostname.replace(/^\[|\]$/g, '');
    await this.resolve(host);
  }

  async request(
    url: string,
    init: {
      method?: 'GET' | 'POST';
      headers?: Record<string, string>;
      body?: string | Buffer;
      /** A shorter (or longer) bound than the guard's own for this request. */
      timeoutMs?: number;
    } = {},
  ): Promise<EgressResponse> {
    const target = this.check(url);
    const https = target.protocol === 'https:';
    return new Promise<EgressResponse>((resolve, reject) => {
      let settled = false;
      const finish = (error: EgressError | null, response?: EgressResponse) => {
        if (settled) {
          return;
        }
        settled = true;
        clearTimeout(timer);
        if (error) {
          req.destroy();
          reject(error);
        } else {
          resolve(response!);
        }
      };
      const req = (https ? httpsRequest : httpRequest)(
        target,
        {
          method: init.method ?? 'GET',
          headers:
            init.body === undefined
              ? init.headers
              : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
          agent: https ? this.httpsAgent : this.httpAgent,
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.options.maxResponseBytes) {
              finish(new EgressError('too_large'));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => finish(null, { status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', (error) => finish(toEgressError(error)));
          res.on('aborted', () => finish(new EgressError('unreachable')));
        },
      );
      const timer = setTimeout(() => finish(new EgressError('timeout')), init.timeoutMs ?? this.options.timeoutMs);
      req.on('error', (error) => finish(toEgressError(error)));
      req.end(init.body);
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async resolve(hostname: string): Promise<LookupAddress[]> {
    const host = hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) {
      if (!isAllowedAddress(host, this.options.allowLoopback)) {
        throw new EgressError('not_allowed');
      }
      return [{ address: host, family: isIP(host) }];
    }
    const cached = this.cache.get(host);
    if (cached && cached.until > Date.now()) {
      return cached.addresses;
    }
    const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
      dnsLookup(host, { all: true, verbatim: true }, (error, found) =>
        error ? reject(new EgressError('unreachable')) : resolve(found),
      ),
    );
    // Every address must be allowed: a name with one private answer among public ones is refused.
    if (addresses.length === 0 || addresses.some((a) => !isAllowedAddress(a.address, this.options.allowLoopback))) {
      throw new EgressError('not_allowed');
    }
    if (this.cache.size > 10_000) {
      this.cache.clear();
    }
    this.cache.set(host, { addresses, until: Date.now() + (this.options.dnsCacheMs ?? 30_000) });
    return addresses;
  }
}

function toEgressError(error: unknown): EgressError {
  return error instanceof EgressError ? error : new EgressError('unreachable');
}
