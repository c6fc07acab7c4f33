export const Roles = {
  Operator: 'operator',
  TenantAdmin: 'tenant_admin',
  TenantAgent: 'tenant_agent',
  Auditor: 'auditor',
} as const;

export type Role = (typeof Roles)[keyof typeof Roles];

export const ALL_ROLES: readonly Role[] = Object.values(Roles);

/** Roles that only make sense inside one tenant: a token with one of them must name its tenant. */
export const TENANT_ROLES: readonly Role[] = [Roles.TenantAdmin, Roles.TenantAgent];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ALL_ROLES as readonly string[]).includes(value);
}

/** Who is calling, as proven by a verified token. */
export interface Principal {
  subject: string;
  tenantId?: string;
  roles: Role[];
  tokenId?: string;
}

/** The claims Custody puts in its access tokens (besides iss, aud, sub, iat, exp, jti). */
export const CLAIM_TENANT = 'tenant_id';
export const CLAIM_ROLES = 'roles';
