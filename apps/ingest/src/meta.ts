import type { AppMeta } from '@custody/platform';

export const APP_META: AppMeta = {
  service: 'ingest',
  title: 'Custody ingest',
  description:
    'The edge: a Cloud-API-compatible send endpoint, the network webhook, webhook delivery to tenants. Every hosted chat is marked not end-to-end encrypted.',
  // The network posts up to 1,000 events a batch (hundreds of KB of statuses); the default 100 kB
  // refused such batches with 413 and their statuses were lost.
  bodyLimit: '1mb',
};
