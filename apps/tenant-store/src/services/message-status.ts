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

/**
 * `currentStatus` as a SQL aggregate expression over the rows of `message_statuses` (alias `ms`)
 * of one message, for the statements that store and recompute in one round trip. It must agree
 * with `currentStatus` above (apps/tenant-store/test/message-status-sql.int-spec.ts checks both on every combination).
 */
export const CURRENT_STATUS_SQL = `(CASE
  WHEN bool_or(ms.status = 'failed') AND max(CASE ms.status WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 ELSE 0 END) < 2 THEN 'failed'
  ELSE (ARRAY['accepted', 'sent', 'delivered', 'read'])[1 + max(CASE ms.status WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 ELSE 0 END)]
END)`;
