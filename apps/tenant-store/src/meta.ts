import type { AppMeta } from '@custody/platform';

export const TENANT_STORE_META: AppMeta = {
  service: 'tenant-store',
  title: 'Custody tenant-store',
  description:
    'Tenants, client credentials and access tokens (operator API, OAuth 2.0 client credentials, JWKS). ' +
    'Hosted chats held here are not end-to-end encrypted: Custody holds them on the business’s behalf.',
};
