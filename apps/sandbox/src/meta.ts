import type { AppMeta } from '@custody/platform';

export const APP_META: AppMeta = {
  service: 'sandbox',
  title: 'Custody sandbox',
  description: 'The outside world, simulated for demos, tests and benchmarks: customers on the messaging network and an ads platform.',
};
