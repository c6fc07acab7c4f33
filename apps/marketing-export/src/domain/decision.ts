import { checkConsent, ConsentRef, ConsentStateView } from './data-use';
import { isFreshEnough } from './batching';

/** Why a candidate was not sent. */
export const SUPPRESS_REASONS = ['no_consent', 'revoked', 'authorization_withdrawn', 'too_old', 'erased'] as const;
export type SuppressReason = (typeof SUPPRESS_REASONS)[number];

export interface AuthorizationView {
  version: number;
  status: 'active' | 'withdrawn';
}

export interface CandidateFacts {
  operation: 'add' | 'event';
  dataUses: string[];
  authorizationVersion: number;
  /** The authorization's latest known state; undefined when none has arrived yet. */
  authorization?: AuthorizationView;
  consent: readonly ConsentStateView[];
  /** When the candidate reached the export. */
  createdAt: Date;
  eventTime: Date | null;
  /** The customer is already in the audience (add only). */
  memberActive: boolean;
}

export type Decision =
  | { action: 'send'; consent: ConsentRef[] }
  | { action: 'suppress'; reason: SuppressReason; consent: ConsentRef[] }
  /** Consent was checked and holds, and the customer is already a member: nothing to upload. */
  | { action: 'already_member'; consent: ConsentRef[] }
  /** The state needed to decide has not arrived yet; look again at `until`. */
  | { action: 'defer'; until: Date };

/**
 * What to do with one candidate at send time. Fail closed: without an active authorization of
 * the candidate's exact version and a grant covering every data use, nothing is sent. A missing
 * state (the consent or authorization event may still be on its way from another partition) is
 * waited for up to `graceMs` after the candidate arrived, then counts as a refusal.
 */
export function decideCandidate(facts: CandidateFacts, now: Date, graceMs: number): Decision {
  const graceEnds = new Date(facts.createdAt.getTime() + graceMs);
  const withinGrace = now < graceEnds;
  const auth = facts.authorization;
  if (!auth || auth.version < facts.authorizationVersion) {
    if (withinGrace) {
      return { action: 'defer', until: graceEnds };
    }
    return { action: 'suppress', reason: 'authorization_withdrawn', consent: [] };
  }
  if (auth.status !== 'active' || auth.version !== facts.authorizationVersion) {
    return { action: 'suppress', reason: 'authorization_withdrawn', consent: [] };
  }
  if (facts.operation === 'event' && (!facts.eventTime || !isFreshEnough(facts.eventTime, now))) {
    return { action: 'suppress', reason: 'too_old', consent: [] };
  }
  const gate = checkConsent(facts.consent, facts.dataUses);
  if (!gate.allowed) {
    if (gate.reason === 'no_consent' && withinGrace) {
      return { action: 'defer', until: graceEnds };
    }
    return { action: 'suppress', reason: gate.reason, consent: gate.refs };
  }
  if (facts.operation === 'add' && facts.memberActive) {
    return { action: 'already_member', consent: gate.refs };
  }
  return { action: 'send', consent: gate.refs };
}
