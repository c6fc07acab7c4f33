import type { AppMeta } from '@custody/platform';
import { SandboxExceptionFilter } from './services/ads-graph-error';

export const APP_META: AppMeta = {
  service: 'sandbox',
  title: 'Custody sandbox',
  description:
    'The outside world, simulated for demos, tests and benchmarks: customers on the messaging network and an ads platform.',
  // Graph-shaped errors under /ads, Custody's elsewhere.
  exceptionFilter: new SandboxExceptionFilter(),
  // A full customer-list call (10,000 hashed rows) or Conversions API request (1,000 events) is
  // well over the default 100 kB.
  bodyLimit: '8mb',
  // No API rate limits or roles here: its OpenAPI lists what each route says it answers.
  standardResponses: false,
};
