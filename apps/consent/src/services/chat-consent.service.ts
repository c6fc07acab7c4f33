import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { CUSTODY_MARKING, MessageEvent, Topics } from '@custody/contracts';
import {
  DataKeyNotFoundError,
  DecryptionError,
  FieldCipher,
  isPermanentDecryptionError,
  messageContentAad,
  CustomerIdentity,
} from '@custody/crypto';
import { asTenantId, TenantId } from '@custody/database';
import { PoisonMessageError } from '@custody/kafka';
import { confirmationTexts, joinWordings } from '../domain/confirmations';
import { isMarketing } from '../domain/data-use';
import { detectChatCommand, DetectedCommand } from '../domain/keywords';
import { EntryDraft, EntryPurpose, PromptedEntry } from '../domain/log-entry';
import { ConsentLogRepository, DraftItem } from '../repositories/consent-log.repository';
import { PseudonymRepository } from '../repositories/pseudonym.repository';
import { LogWriter } from './log-writer.service';
import { PurposeService, ResolvedPurpose } from './purpose.service';

/**
 * In-chat opt-out and opt-in. STOP withdraws every marketing purpose of the tenant for that
 * customer; START grants what the tenant's current opt-in prompt covers, but only wordings this
 * customer was shown (else it shows them and asks for START again). Both are answered with a
 * system message, and everything — entries, state, consent.events, the reply — is one
 * transaction keyed by the inbound message id, so a redelivered message changes nothing.
 */
@Injectable()
export class ChatConsentService {
  private readonly logger = new Logger(ChatConsentService.name);

  constructor(
    private readonly purposes: PurposeService,
    private readonly pseudonyms: PseudonymRepository,
    private readonly log: ConsentLogRepository,
    private readonly writer: LogWriter,
    private readonly cipher: FieldCipher,
    private readonly identity: CustomerIdentity,
  ) {}

  /**
   * The command an inbound message carries, if any. Only the types that can carry one (text, a
   * button, an interactive reply) are opened, here and nowhere else in consent; the content is
   * read for the keyword and forgotten. Content that can never be opened is a poison message
   * (dead-lettered, still sealed); a key that has not reached consent yet is retried while the
   * message is recent.
   */
  async detect(message: MessageEvent): Promise<DetectedCommand | null> {
    if (!COMMAND_TYPES.has(message.messageType)) {
      return null;
    }
    let content: Record<string, unknown>;
    try {
      content = await this.cipher.decryptJson<Record<string, unknown>>(
        asTenantId(message.tenantId),
        message.contentCiphertext,
        messageContentAad(message.messageId),
      );
    } catch (error) {
      const missingKey =
        error instanceof DataKeyNotFoundError ||
        (error instanceof DecryptionError && error.reason === 'unknown-key-version');
      if (
        isPermanentDecryptionError(error) ||
        (missingKey && Date.now() - Date.parse(message.occurredAt) > KEY_WAIT_MS)
      ) {
        throw new PoisonMessageError(`the message cannot be opened: ${error instanceof Error ? error.name : 'error'}`);
      }
      throw error;
    }
    return typeof content === 'object' && content !== null ? detectChatCommand(message.messageType, content) : null;
  }

  async handle(message: MessageEvent, command: DetectedCommand): Promise<void> {
    const tenantId = asTenantId(message.tenantId);
    // The number, opened for the pseudonym lookup only (consent's link rows are keyed by it, hashed).
    const waId = await this.identity.open(tenantId, message.customer.ref, message.customer.waIdCiphertext);
    const customerRef = message.customer.ref;
    const subject = await this.pseudonyms.subjectFor(tenantId, waId);
    const method = command.via === 'button' ? 'in_chat_button' : 'in_chat_keyword';
    const occurredAt = new Date(Date.parse(message.networkTimestamp)).toISOString();
    const texts = confirmationTexts(command.language);
    const replyId = replyMessageId(tenantId, message.messageId);
    const optIn = await this.purposes.optInPurposes(tenantId);
    const items: DraftItem[] = [];
    const base = { tenant: tenantId, subject, occurredAt, source: { channel: 'chat' as const } };
    let reply: string;

    if (command.command === 'stop') {
      const marketing = (await this.purposes.listRows(tenantId)).filter((p) => isMarketing(p.dataUse));
      for (const p of marketing) {
        items.push({
          draft: {
            ...base,
            kind: 'consent.revoked',
            purpose: { key: p.key, dataUse: p.dataUse },
            method,
            evidence: { messageId: message.messageId },
          },
          customerRef,
          skipIf: 'revoked',
        });
      }
      reply = texts.stopped;
      if (optIn?.purposes.length) {
        const wordings = joinWordings(optIn.purposes.map((r) => r.wording.text));
        reply = `${reply} ${texts.startAgain(wordings)}`;
        items.push({ draft: this.prompt(base, optIn.purposes, replyId), customerRef });
      }
    } else {
      const offered = optIn?.purposes ?? [];
      const shown = await this.shownWordings(tenantId, subject);
      const toGrant = offered.filter((r) => shown.has(r.wording.hash));
      const toShow = offered.filter((r) => !shown.has(r.wording.hash));
      for (const r of toGrant) {
        items.push({
          draft: {
            ...base,
            kind: 'consent.granted',
            purpose: purposeRef(r),
            method,
            prompt: shown.get(r.wording.hash)!,
            evidence: { messageId: message.messageId },
          },
          customerRef,
          skipIf: 'granted_same_wording',
        });
      }
      const parts: string[] = [];
      if (toGrant.length) {
        parts.push(texts.started(joinWordings(toGrant.map((r) => r.wording.text))));
      }
      if (toShow.length) {
        parts.push(texts.confirmStart(joinWordings(toShow.map((r) => r.wording.text))));
        items.push({ draft: this.prompt(base, toShow, replyId), customerRef });
      }
      reply = parts.length ? parts.join(' ') : texts.nothingToStart;
    }

    const sealedReply = await this.cipher.encryptJson(tenantId, { body: reply }, messageContentAad(replyId), {
      conversationId: message.conversationId,
    });
    const outcome = await this.writer.append(tenantId, {
      items,
      chatCommand: { messageId: message.messageId, command: command.command },
      outbox: [
        {
          topic: Topics.MessagesOutbound,
          key: `${tenantId}:${message.conversationId}`,
          payload: systemMessage(message, replyId, sealedReply),
        },
      ],
    });
    this.logger.log({
      msg: outcome.duplicate ? 'chat command already handled' : 'chat command handled',
      command: command.command,
      appended: outcome.items.filter((i) => i.status === 'appended').length,
    });
  }

  private prompt(
    base: Omit<PromptedEntry, 'kind' | 'purposes' | 'v' | 'index' | 'id' | 'recordedAt'>,
    shown: ResolvedPurpose[],
    messageId: string,
  ): EntryDraft {
    return { ...base, kind: 'consent.prompted', purposes: shown.map(purposeRef), messageId };
  }

  /** Wording hash → id of the newest prompt entry that showed it to this subject. */
  private async shownWordings(tenantId: TenantId, subject: string): Promise<Map<string, string>> {
    const shown = new Map<string, string>();
    for (const { entry } of await this.log.promptsShownTo(tenantId, subject)) {
      for (const p of (entry as PromptedEntry).purposes) {
        if (p.wordingHash && !shown.has(p.wordingHash)) {
          shown.set(p.wordingHash, entry.id);
        }
      }
    }
    return shown;
  }
}

function purposeRef(r: ResolvedPurpose): EntryPurpose {
  return {
    key: r.purpose.key,
    dataUse: r.purpose.dataUse,
    version: r.wording.version,
    language: r.wording.language,
    wordingHash: r.wording.hash,
  };
}

/** Deterministic id of the reply to an inbound message, so a replay produces the same message. */
export function replyMessageId(tenantId: string, inboundId: string): string {
  return `wamid.consent-${createHash('sha256').update(`${tenantId}|${inboundId}`).digest('base64url').slice(0, 40)}`;
}

/** Message types that can carry STOP/START (a typed keyword, a quick-reply button, an interactive reply). */
const COMMAND_TYPES: ReadonlySet<string> = new Set(['text', 'button', 'interactive']);

/** How long a message whose tenant key has not reached consent yet is retried before it is dead-lettered. */
const KEY_WAIT_MS = 10 * 60_000;

/** The reply as a system message; `contentCiphertext` is `{ body }` sealed under the tenant's key for this message id. */
export function systemMessage(inbound: MessageEvent, messageId: string, contentCiphertext: string): MessageEvent {
  const now = new Date().toISOString();
  return {
    eventId: messageId,
    type: 'message.outbound',
    tenantId: inbound.tenantId,
    occurredAt: now,
    messageId,
    conversationId: inbound.conversationId,
    phoneNumberId: inbound.phoneNumberId,
    customer: { ref: inbound.customer.ref, waIdCiphertext: inbound.customer.waIdCiphertext },
    origin: 'system',
    messageType: 'system',
    contentCiphertext,
    contextMessageId: inbound.messageId,
    networkTimestamp: now,
    custody: { ...CUSTODY_MARKING },
  };
}
