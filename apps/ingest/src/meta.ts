import type { AppMeta } from '@custody/platform';

export const APP_META: AppMeta = {
  service: 'ingest',
  title: 'Custody ingest',
  description:
    'The edge: a Cloud-API-compatible send endpoint, the network webhook, webhook delivery to tenants. Every hosted chat is marked not end-to-end encrypted.',
};
