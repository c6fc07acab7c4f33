/** The Cloud API's business profile: its fields and their limits. Pure. */
export const BUSINESS_VERTICALS = [
  'OTHER',
  'AUTO',
  'BEAUTY',
  'APPAREL',
  'EDU',
  'ENTERTAIN',
  'EVENT_PLAN',
  'FINANCE',
  'GROCERY',
  'GOVT',
  'HOTEL',
  'HEALTH',
  'NONPROFIT',
  'PROF_SERVICES',
  'RETAIL',
  'TRAVEL',
  'RESTAURANT',
  'ALCOHOL',
  'ONLINE_GAMBLING',
  'PHYSICAL_GAMBLING',
  'OTC_DRUGS',
] as const;

export interface BusinessProfile {
  about?: string;
  address?: string;
  description?: string;
  email?: string;
  vertical?: string;
  websites?: string[];
}

export const PROFILE_FIELDS = ['about', 'address', 'description', 'email', 'vertical', 'websites'] as const;

const isText = (v: unknown, min: number, max: number): v is string =>
  typeof v === 'string' && [...v].length >= min && [...v].length <= max;

/** Checks a profile change; the fields it sets, or the problem. */
export function parseProfileUpdate(
  body: unknown,
): { ok: true; profile: BusinessProfile } | { ok: false; details: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, details: 'The request body must be a JSON object' };
  }
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).find(
    (k) =>
      k !== 'messaging_product' && k !== 'profile_picture_handle' && !(PROFILE_FIELDS as readonly string[]).includes(k),
  );
  if (extra !== undefined) {
    return { ok: false, details: `Unexpected key "${extra}"` };
  }
  if (b.messaging_product !== 'whatsapp') {
    return { ok: false, details: 'messaging_product must be "whatsapp"' };
  }
  const checks: Array<[keyof BusinessProfile, (v: unknown) => boolean, string]> = [
    ['about', (v) => isText(v, 1, 139), 'about must be 1 to 139 characters'],
    ['address', (v) => isText(v, 0, 256), 'address must be at most 256 characters'],
    ['description', (v) => isText(v, 0, 512), 'description must be at most 512 characters'],
    [
      'email',
      (v) => isText(v, 0, 128) && (v === '' || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)),
      'email must be an email address of at most 128 characters',
    ],
    [
      'vertical',
      (v) => typeof v === 'string' && (BUSINESS_VERTICALS as readonly string[]).includes(v),
      `vertical must be one of ${BUSINESS_VERTICALS.join(', ')}`,
    ],
    [
      'websites',
      (v) =>
        Array.isArray(v) &&
        v.length <= 2 &&
        v.every((w) => typeof w === 'string' && w.length <= 256 && /^https?:\/\/\S+$/.test(w)),
      'websites must hold at most 2 http(s) URLs of at most 256 characters',
    ],
  ];
  const profile: Record<string, unknown> = {};
  for (const [field, valid, problem] of checks) {
    if (b[field] !== undefined) {
      if (!valid(b[field])) {
        return { ok: false, details: problem };
      }
      profile[field] = b[field];
    }
  }
  if (b.profile_picture_handle !== undefined && !isText(b.profile_picture_handle, 1, 2048)) {
    return { ok: false, details: 'profile_picture_handle must be a handle' };
  }
  return { ok: true, profile: profile };
}
