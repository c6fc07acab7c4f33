import {
  AdReferral,
  ConversationScope,
  CustodyMarking,
  MarketingAuthorizationState,
  MarketingAuthorizedEvent,
  MarketingCandidate,
  marketingAuthorizationKey,
  marketingCandidateKey,
  MarketingDestinationRef,
  MessageEvent,
  Topics,
} from '@custody/contracts';

/** An authorization as the message path needs it: its current version, which is active. */
export interface ActiveAuthorization {
  authorizationId: string;
  version: number;
  destination: MarketingDestinationRef;
  dataUses: string[];
  scope: ConversationScope;
  label: string | null;
}

/** What the scope of an authorization looks at in a conversation. */
export interface ConversationFacts {
  labels: string[];
  /** The ad referral the conversation started from, if it did. */
  referral: AdReferral | null;
}

export interface OutboxRow {
  topic: string;
  key: string;
  payload: MarketingAuthorizedEvent;
}

/** Whether an authorization's scope covers a conversation (and a message of it). */
export function scopeMatches(
  authorization: Pick<ActiveAuthorization, 'scope' | 'label'>,
  conversation: ConversationFacts,
  messageReferral?: AdReferral,
): boolean {
  switch (authorization.scope) {
    case 'all':
      return true;
    case 'label':
      return authorization.label !== null && conversation.labels.includes(authorization.label);
    case 'ad_referral':
      return conversation.referral !== null || messageReferral !== undefined;
  }
}

/**
 * Only hosted chats can ever be authorized: a message is a candidate only if it carries the
 * custody marking of a hosted (not end-to-end encrypted) chat. An end-to-end encrypted chat
 * never reaches Custody, so one without the marking is refused rather than trusted.
 */
export function isHostedChat(marking: CustodyMarking | undefined): boolean {
  return marking?.e2e === false && marking.hostedBy === 'custody';
}

/** The referral's fields the export needs (the ad click id above all), or undefined if there are none. */
export function minimalReferral(referral: AdReferral | null | undefined): AdReferral | undefined {
  if (!referral) {
    return undefined;
  }
  const out: AdReferral = {};
  if (typeof referral.sourceId === 'string') {
    out.sourceId = referral.sourceId;
  }
  if (typeof referral.sourceType === 'string') {
    out.sourceType = referral.sourceType;
  }
  if (typeof referral.ctwaClid === 'string') {
    out.ctwaClid = referral.ctwaClid;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The `marketing.candidate` events for newly stored messages: one per (active authorization,
 * message) whose scope covers the message's conversation. Custody's own system messages are
 * never candidates, and nothing carries a body (data minimization). The event id
 * `<authorizationId>:<messageId>` makes a replay a no-op downstream.
 */
export function marketingCandidates(
  tenantId: string,
  authorizations: ActiveAuthorization[],
  messages: MessageEvent[],
  conversations: ReadonlyMap<string, ConversationFacts>,
  occurredAt: string,
): OutboxRow[] {
  const rows: OutboxRow[] = [];
  for (const message of messages) {
    if (message.origin === 'system' || !isHostedChat(message.custody)) {
      continue;
    }
    const conversation = conversations.get(message.conversationId);
    if (!conversation) {
      continue;
    }
    for (const a of authorizations) {
      if (!scopeMatches(a, conversation, message.referral)) {
        continue;
      }
      const referral = minimalReferral(message.referral) ?? minimalReferral(conversation.referral);
      const candidate: MarketingCandidate = {
        authorizationId: a.authorizationId,
        authorizationVersion: a.version,
        destination: { ...a.destination },
        dataUses: [...a.dataUses],
        messageId: message.messageId,
        conversationId: message.conversationId,
        phoneNumberId: message.phoneNumberId,
        // The match key is added by the caller, which opens the number (memberHashes).
        customer: { ref: message.customer.ref },
        origin: message.origin,
        networkTimestamp: message.networkTimestamp,
        ...(referral ? { referral } : {}),
        custody: { e2e: false, hostedBy: 'custody' },
      };
      rows.push({
        topic: Topics.MarketingAuthorized,
        key: marketingCandidateKey(tenantId, message.conversationId),
        payload: {
          eventId: `${a.authorizationId}:${message.messageId}`,
          type: 'marketing.candidate',
          tenantId,
          occurredAt,
          candidate,
        },
      });
    }
  }
  return rows;
}

/** The `marketing.authorization` event for one version of an authorization. */
export function authorizationEvent(
  tenantId: string,
  state: MarketingAuthorizationState,
  occurredAt: string,
): OutboxRow {
  return {
    topic: Topics.MarketingAuthorized,
    key: marketingAuthorizationKey(tenantId, state.authorizationId),
    payload: {
      eventId: `${state.authorizationId}:v${state.version}`,
      type: 'marketing.authorization',
      tenantId,
      occurredAt,
      authorization: state,
    },
  };
}
