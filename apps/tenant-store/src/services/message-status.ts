export type StoredStatus = 'received' | 'accepted' | 'sent' | 'delivered' | 'read' | 'failed';
export type NetworkStatus = 'sent' | 'delivered' | 'read' | 'failed';

const RANK: Record<StoredStatus, number> = { received: 0, accepted: 0, sent: 1, delivered: 2, read: 3, failed: -1 };

/**
 * The status of an outbound message from every status the network ever reported for it, in any
 * order and with duplicates. Monotonic: `read` implies `delivered`, nothing moves backwards, and
 * `failed` is terminal — unless the message was already delivered (a late `failed` after delivery
 * cannot undo it, and is kept in the history only).
 */
export function currentStatus(reported: Iterable<NetworkStatus>): StoredStatus {
  let best: StoredStatus = 'accepted';
  let failed = false;
  for (const status of reported) {
    if (status === 'failed') {
      failed = true;
    } else if (RANK[status] > RANK[best]) {
      best = status;
    }
  }
  if (failed && RANK[best] < RANK.delivered) {
    return 'failed';
  }
  return best;
}
