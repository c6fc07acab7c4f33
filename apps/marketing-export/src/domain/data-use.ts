/**
 * A consent on a purpose with data use `granted` covers the data use `requested` when they are
 * equal or `granted` is an ancestor of `requested` in the hierarchical taxonomy
 * (`marketing.advertising` covers `marketing.advertising.first_party.targeted`, not the other way
 * round). The same rule as the consent service's; re-stated here because an app never imports another.
 */
export function covers(granted: string, requested: string): boolean {
  return requested === granted || requested.startsWith(`${granted}.`);
}

/** One purpose's current consent state for a customer, as the consent log last recorded it. */
export interface ConsentStateView {
  purposeKey: string;
  dataUse: string;
  status: 'granted' | 'revoked';
  subject: string;
  eventId: string;
  logIndex: number;
  leafHash: string;
  effectiveAt: Date;
}

/** The consent log entry an export was checked against (what the ledger records). */
export interface ConsentRef {
  /** The data use of the export this grant covers. */
  requestedDataUse: string;
  purposeKey: string;
  dataUse: string;
  subject: string;
  eventId: string;
  logIndex: number;
  leafHash: string;
  effectiveAt: string;
  /** The smallest tree that contains the entry: any signed head at least this large proves it. */
  treeSize: number;
}

export type GateResult =
  | { allowed: true; refs: ConsentRef[] }
  /** `revoked`: a purpose covering a requested data use was explicitly withdrawn; `no_consent`: never granted. */
  | { allowed: false; reason: 'revoked' | 'no_consent'; refs: ConsentRef[] };

export function toRef(state: ConsentStateView, requestedDataUse: string): ConsentRef {
  return {
    requestedDataUse,
    purposeKey: state.purposeKey,
    dataUse: state.dataUse,
    subject: state.subject,
    eventId: state.eventId,
    logIndex: state.logIndex,
    leafHash: state.leafHash,
    effectiveAt: state.effectiveAt.toISOString(),
    treeSize: state.logIndex + 1,
  };
}

/**
 * The export gate, fail closed: every requested data use needs a `granted` state on a purpose
 * whose data use equals it or is an ancestor of it. Anything else (no state, only revokes, an
 * unrelated purpose) denies. The reason is `revoked` when a covering purpose was withdrawn, so
 * the ledger can tell "said no" from "never asked"; the refs then name the revokes.
 */
export function checkConsent(states: readonly ConsentStateView[], requestedDataUses: readonly string[]): GateResult {
  if (requestedDataUses.length === 0) {
    return { allowed: false, reason: 'no_consent', refs: [] };
  }
  const granted: ConsentRef[] = [];
  const revoked: ConsentRef[] = [];
  let missing = false;
  for (const requested of requestedDataUses) {
    const covering = states.filter((s) => covers(s.dataUse, requested));
    // The most specific grant is the one that matters to a reader; any grant suffices.
    const grant = covering
      .filter((s) => s.status === 'granted')
      .sort((a, b) => b.dataUse.length - a.dataUse.length || b.logIndex - a.logIndex)[0];
    if (grant) {
      granted.push(toRef(grant, requested));
      continue;
    }
    missing = true;
    for (const s of covering) {
      revoked.push(toRef(s, requested));
    }
  }
  if (!missing) {
    return { allowed: true, refs: granted };
  }
  return revoked.length > 0
    ? { allowed: false, reason: 'revoked', refs: revoked }
    : { allowed: false, reason: 'no_consent', refs: [] };
}
