import type { AppMeta } from '@custody/platform';

export const APP_META: AppMeta = {
  service: 'consent',
  title: 'Custody consent',
  description:
    'Purpose-based consent records and the verifiable consent log (Merkle tree, signed tree heads) for auditors.',
};
