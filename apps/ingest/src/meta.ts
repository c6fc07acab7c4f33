import type { AppMeta } from '@custody/platform';
import { graphDefaultVersion } from './graph-paths';

export const APP_META: AppMeta = {
  service: 'ingest',
  title: 'Custody ingest',
  description:
    'The edge: a Cloud-API-compatible send endpoint, the network webhook, webhook delivery to tenants. Every hosted chat is marked not end-to-end encrypted. Every Graph route (`/{version}/…`) may also be called without its version segment, as the Graph API allows; it is then served as v25.0.',
  // The network posts up to 1,000 events a batch (hundreds of KB of statuses); the default 100 kB
  // refused such batches with 413 and their statuses were lost.
  bodyLimit: '1mb',
  // Graph paths without a version segment, served with the default version (graph-paths.ts).
  middleware: [graphDefaultVersion],
};
