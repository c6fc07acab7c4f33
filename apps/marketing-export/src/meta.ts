import type { AppMeta } from '@custody/platform';

export const APP_META: AppMeta = {
  service: 'marketing-export',
  title: 'Custody marketing-export',
  description: 'Consent-gated export of tenant-authorized hosted chats to ads destinations, with a verifiable ledger.',
};
