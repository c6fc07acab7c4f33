import { HttpStatus, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { CustomerIdentity, DataKeyNotFoundError } from '@custody/crypto';
import { TenantDb, TenantId } from '@custody/database';
import { DomainError } from '@custody/platform';
import { canonicalize, formatInclusionPromise, leafHash } from '@custody/transparency-log';
import { ConsentSettings } from '../config/consent.settings';
import { covers } from '../domain/data-use';
import { EntryDraft, EntryEvidence } from '../domain/log-entry';
import {
  CheckResponseDto,
  ConsentRecordResponseDto,
  CustomerStateDto,
  HistoryDto,
  PurposeStateDto,
  RecordConsentDto,
  RecordPromptDto,
} from '../dtos/consent.dto';
import { ConsentLogRepository, DraftItem, ItemOutcome } from '../repositories/consent-log.repository';
import { LogKeysRepository } from '../repositories/log-keys.repository';
import { PseudonymRepository } from '../repositories/pseudonym.repository';
import { mapEntry, mapRecord } from './entry.mapper';
import { LogWriter } from './log-writer.service';
import { PurposeService } from './purpose.service';

/** Who is recording: the API client (token subject) and the request's idempotency key. */
export interface RecordContext {
  actor: string;
  idempotencyKey?: string;
}

export interface Recorded {
  record: ConsentRecordResponseDto;
  /** An earlier request with the same idempotency key already appended it. */
  replayed: boolean;
}

const CLOCK_SKEW_MS = 5 * 60_000;

const bad = (code: string, message: string, details?: string[]): DomainError =>
  new DomainError(HttpStatus.BAD_REQUEST, code, message, details);

@Injectable()
export class ConsentService {
  constructor(
    private readonly purposes: PurposeService,
    private readonly pseudonyms: PseudonymRepository,
    private readonly log: ConsentLogRepository,
    private readonly writer: LogWriter,
    private readonly keys: LogKeysRepository,
    private readonly settings: ConsentSettings,
    private readonly db: TenantDb,
    private readonly identity: CustomerIdentity,
  ) {}

  /** Logs that a customer was shown the current wording of some purposes (what a grant must point at). */
  async recordPrompt(tenantId: TenantId, dto: RecordPromptDto, ctx: RecordContext): Promise<Recorded> {
    const shownAt = this.pastOrNow(dto.shownAt, 'shownAt');
    // The wordings and the pseudonym in one tenant transaction (one BEGIN/COMMIT per request).
    await this.pseudonyms.keyReady(tenantId);
    const [resolved, subject] = await this.db.forTenant(tenantId, async (m) => [
      await this.purposes.resolve(tenantId, dto.purposes, dto.language, false, m),
      await this.pseudonyms.subjectFor(tenantId, dto.customer.waId, m),
    ]);
    const draft: EntryDraft = {
      kind: 'consent.prompted',
      tenant: tenantId,
      subject,
      purposes: resolved.map(({ purpose, wording }) => ({
        key: purpose.key,
        dataUse: purpose.dataUse,
        version: wording.version,
        language: wording.language,
        wordingHash: wording.hash,
      })),
      messageId: dto.messageId,
      source: { channel: 'api', actor: ctx.actor },
      occurredAt: shownAt,
    };
    return this.appendOne(tenantId, {
      draft,
      customerRef: await this.customerRef(tenantId, dto.customer.waId),
      idempotency: this.idempotency(ctx, 'prompt', dto),
    });
  }

  /** Records a grant or a revoke with its evidence; bad input is refused before anything is appended. */
  async record(tenantId: TenantId, dto: RecordConsentDto, ctx: RecordContext): Promise<Recorded> {
    const purpose = await this.purposes.require(tenantId, dto.purpose, () =>
      bad('unknown_purpose', `Purpose "${dto.purpose}" does not exist`),
    );
    const evidence = this.checkEvidence(dto);
    const occurredAt = this.pastOrNow(dto.occurredAt, 'occurredAt');
    if (dto.action === 'grant' && !dto.promptId) {
      throw bad(
        'prompt_required',
        'A grant needs promptId: the prompt that showed this purpose’s wording to this customer',
      );
    }
    // The pseudonym and the cited prompt in one tenant transaction (one BEGIN/COMMIT per request).
    await this.pseudonyms.keyReady(tenantId);
    const [subject, prompt] = await this.db.forTenant(tenantId, async (m) => [
      await this.pseudonyms.subjectFor(tenantId, dto.customer.waId, m),
      dto.action === 'grant' && dto.promptId ? await this.log.findById(tenantId, dto.promptId, m) : null,
    ]);
    let draft: EntryDraft;
    if (dto.action === 'grant') {
      if (!prompt || prompt.entry.kind !== 'consent.prompted') {
        throw bad('unknown_prompt', `No prompt ${dto.promptId} in this tenant’s consent log`);
      }
      const shown = prompt.entry;
      if (shown.subject !== subject) {
        throw bad('prompt_mismatch', 'That prompt was shown to another customer');
      }
      const version = shown.purposes.find((p) => p.key === purpose.key);
      if (!version) {
        throw bad(
          'wording_not_shown',
          `The prompt did not show purpose "${purpose.key}": its wording was never shown to this customer`,
        );
      }
      if (Date.parse(occurredAt) < Date.parse(shown.occurredAt)) {
        throw bad('validation_failed', 'Request validation failed', [
          'occurredAt must not be before the prompt was shown',
        ]);
      }
      draft = {
        kind: 'consent.granted',
        tenant: tenantId,
        subject,
        purpose: version,
        method: dto.method,
        prompt: shown.id,
        evidence,
        source: { channel: 'api', actor: ctx.actor },
        occurredAt,
      };
    } else {
      if (dto.promptId) {
        throw bad('validation_failed', 'Request validation failed', [
          'promptId is only for grants: withdrawing needs no prompt',
        ]);
      }
      draft = {
        kind: 'consent.revoked',
        tenant: tenantId,
        subject,
        purpose: { key: purpose.key, dataUse: purpose.dataUse },
        method: dto.method,
        evidence,
        source: { channel: 'api', actor: ctx.actor },
        occurredAt,
      };
    }
    return this.appendOne(tenantId, {
      draft,
      customerRef: await this.customerRef(tenantId, dto.customer.waId),
      idempotency: this.idempotency(ctx, 'record', dto),
    });
  }

  /** The customer's reference for the consent topic; the tenant's index key not here yet is a 503 (retry). */
  private async customerRef(tenantId: TenantId, waId: string): Promise<string> {
    try {
      return await this.identity.ref(tenantId, waId);
    } catch (error) {
      if (error instanceof DataKeyNotFoundError) {
        throw new DomainError(
          HttpStatus.SERVICE_UNAVAILABLE,
          'keys_unavailable',
          'The tenant’s keys have not reached the consent service yet; retry shortly',
        );
      }
      throw error;
    }
  }

  /** A number Custody never linked (or whose link was erased) has no pseudonym: all `none`, `subject: null`. */
  async state(tenantId: TenantId, waId: string): Promise<CustomerStateDto> {
    // The pseudonym, the purposes and the states in one tenant transaction (the key made ready first).
    await this.pseudonyms.keyReady(tenantId);
    const { subject, purposes, states } = await this.db.forTenant(tenantId, async (m) => {
      const found = await this.pseudonyms.findSubject(tenantId, waId, m);
      return {
        subject: found,
        purposes: await this.purposes.listRows(tenantId, m),
        states: found ? await this.log.states(tenantId, found, m) : [],
      };
    });
    const byKey = new Map(states.map((s) => [s.purposeKey, s]));
    const rows: PurposeStateDto[] = purposes.map((p) => {
      const s = byKey.get(p.key);
      return {
        purpose: p.key,
        dataUse: p.dataUse,
        status: s?.status ?? 'none',
        wordingHash: s?.versionHash ?? null,
        since: s?.changedAt.toISOString() ?? null,
        eventId: s?.eventId ?? null,
        leafIndex: s?.leafIndex ?? null,
      };
    });
    return { subject, purposes: rows };
  }

  async history(tenantId: TenantId, waId: string, after = -1, limit = 100): Promise<HistoryDto> {
    const subject = await this.pseudonyms.findSubject(tenantId, waId);
    if (!subject) {
      return { subject: null, entries: [], nextCursor: null };
    }
    const rows = await this.log.history(tenantId, subject, after, limit + 1);
    const page = rows.slice(0, limit);
    return {
      subject,
      entries: page.map((r) => mapEntry(r.entry, leafHash(r.bytes))),
      nextCursor: rows.length > limit ? page[page.length - 1].leafIndex : null,
    };
  }

  /**
   * May this customer's data be used for `dataUse`? Only if a grant on a purpose whose data use
   * is `dataUse` or an ancestor of it is in force. Nothing recorded means no (fail closed).
   */
  async check(tenantId: TenantId, waId: string, dataUse: string): Promise<CheckResponseDto> {
    const subject = await this.pseudonyms.findSubject(tenantId, waId);
    const relevant = (subject ? await this.log.states(tenantId, subject) : []).filter((s) =>
      covers(s.dataUse, dataUse),
    );
    const granted = relevant.find((s) => s.status === 'granted');
    const basis = granted ?? relevant[0];
    return {
      allowed: Boolean(granted),
      reason: granted ? 'granted' : relevant.length ? 'revoked' : 'no_consent',
      basis: basis
        ? {
            purpose: basis.purposeKey,
            dataUse: basis.dataUse,
            wordingHash: basis.versionHash,
            eventId: basis.eventId,
            leafIndex: basis.leafIndex,
          }
        : undefined,
    };
  }

  private async appendOne(tenantId: TenantId, item: DraftItem): Promise<Recorded> {
    const outcome = await this.writer.append(tenantId, { items: [item] });
    return this.toRecorded(tenantId, outcome.items[0]);
  }

  private toRecorded(tenantId: TenantId, outcome: ItemOutcome): Recorded {
    switch (outcome.status) {
      case 'appended':
      case 'replayed': {
        // Signed here, for the API's caller only (not in the LogWriter, not for chat commands): one
        // Ed25519 signature per request, deterministic, so a replay returns the same promise.
        const recordedAt = Date.parse(outcome.entry.recordedAt);
        const origin = this.settings.originFor(tenantId);
        const promise = formatInclusionPromise({
          origin,
          index: outcome.entry.index,
          leafHash: outcome.leafHash,
          recordedAt,
          mergeBy: recordedAt + this.settings.maxMergeDelayMs,
        });
        return {
          record: mapRecord(outcome.entry, outcome.leafHash, this.keys.signNote(origin, promise, recordedAt)),
          replayed: outcome.status === 'replayed',
        };
      }
      case 'conflict':
        throw new DomainError(
          HttpStatus.CONFLICT,
          'idempotency_key_reused',
          'This Idempotency-Key was already used for a different request',
        );
      case 'skipped':
        throw new Error('an unconditional append was skipped');
    }
  }

  private checkEvidence(dto: RecordConsentDto): EntryEvidence | undefined {
    const e = dto.evidence;
    const problems: string[] = [];
    switch (dto.method) {
      case 'in_chat_button':
        if (!e?.messageId) {
          problems.push('evidence.messageId is required for method in_chat_button (the id of the customer’s tap)');
        }
        break;
      case 'tenant_recorded':
        if (!e?.type || !e.reference) {
          problems.push('evidence.type and evidence.reference are required for method tenant_recorded');
        }
        break;
      case 'api':
        break;
    }
    if (problems.length) {
      throw bad('invalid_evidence', 'The evidence does not support this method', problems);
    }
    return e && Object.keys(e).length
      ? { type: e.type, reference: e.reference, sha256: e.sha256, messageId: e.messageId }
      : undefined;
  }

  private pastOrNow(value: string | undefined, field: string): string {
    if (value === undefined) {
      return new Date().toISOString();
    }
    const at = Date.parse(value);
    if (at > Date.now() + CLOCK_SKEW_MS) {
      throw bad('validation_failed', 'Request validation failed', [`${field} must not be in the future`]);
    }
    return new Date(at).toISOString();
  }

  private idempotency(ctx: RecordContext, operation: string, dto: object): DraftItem['idempotency'] {
    if (!ctx.idempotencyKey) {
      return undefined;
    }
    const requestHash = createHash('sha256')
      .update(canonicalize({ operation, body: JSON.parse(JSON.stringify(dto)) as unknown }))
      .digest('hex');
    return { key: ctx.idempotencyKey, requestHash };
  }
}
