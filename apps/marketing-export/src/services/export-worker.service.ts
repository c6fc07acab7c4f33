import { offboardedTenantHash } from '@custody/contracts';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { Gauge } from 'prom-client';
import { EntityManager } from 'typeorm';
import { TenantDb, TenantId } from '@custody/database';
import { OutboxService } from '@custody/kafka';
import { metricsRegistry } from '@custody/observability';
import { ExportSettings } from '../config/export.settings';
import { backoffMs } from '../domain/backoff';
import { AUDIENCE_BATCH_MAX, chunk, EVENTS_BATCH_MAX } from '../domain/batching';
import { checkConsent, ConsentRef } from '../domain/data-use';
import { decideCandidate } from '../domain/decision';
import { sha256Hex } from '../domain/identifiers';
import { DestinationError, IsolationResult, sendIsolating, SendOutcome } from '../domain/isolation';
import { AdsDestinationRepository, AudienceSession, ConversionEvent } from '../repositories/ads-destination.repository';
import { ConsentStateRepository } from '../repositories/consent-state.repository';
import { ErasureRepository } from '../repositories/erasure.repository';
import { OffboardingCompletion } from './offboarding-completion.service';
import { ExportRecord, ExportRepository, Membership, Operation, Settlement } from '../repositories/export.repository';
import {
  destinationRequests,
  exportRejected,
  exportRemoved,
  exportSent,
  exportSuppressed,
  removalLatency,
} from './export.metrics';

/** Records claimed per group and round: a few full batches, so one transaction stays bounded. */
const CLAIM = { add: 2 * AUDIENCE_BATCH_MAX, event: 5 * EVENTS_BATCH_MAX, remove: 2 * AUDIENCE_BATCH_MAX } as const;
const GROUPS_PER_ROUND = 20;
const LEASE_SWEEP_MS = 10_000;
/** The conversion event every authorized customer message reports (a lead from a business-messaging conversation). */
export const CONVERSION_EVENT_NAME = 'LeadSubmitted';

interface Claimed {
  record: ExportRecord;
  consent: ConsentRef[];
}

interface Sent<R> {
  response: R;
  batch: Record<string, unknown>;
}

/**
 * Moves export records through their state machine: re-checks authorization and consent at send
 * time for each candidate, uploads in the destination's batch sizes, isolates records the
 * destination refuses, backs off on outages, and performs audience removals. Every step is a
 * transaction on the records, so a crash at any point resumes without loss or duplicate effect
 * (a record left `sending` is retried after its lease; the destination deduplicates).
 */
@Injectable()
export class ExportWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ExportWorker.name);
  private stopped = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  private woken = false;
  private lastSweep = 0;

  constructor(
    private readonly settings: ExportSettings,
    private readonly db: TenantDb,
    private readonly records: ExportRepository,
    private readonly consent: ConsentStateRepository,
    private readonly erasures: ErasureRepository,
    private readonly offboarding: OffboardingCompletion,
    private readonly ads: AdsDestinationRepository,
    private readonly outbox: OutboxService,
  ) {
    const backlog = () => this.records.removalBacklog();
    // Read at scrape time from the shared table, so every replica reports the same backlog.
    metricsRegistry.removeSingleMetric('custody_export_removals_pending');
    metricsRegistry.removeSingleMetric('custody_export_removal_oldest_pending_age_seconds');
    new Gauge({
      name: 'custody_export_removals_pending',
      help: 'Audience removals waiting for the destination to confirm them (all tenants)',
      registers: [metricsRegistry],
      async collect() {
        this.set((await backlog()).pending);
      },
    });
    new Gauge({
      name: 'custody_export_removal_oldest_pending_age_seconds',
      help: 'Age of the oldest unconfirmed audience removal',
      registers: [metricsRegistry],
      async collect() {
        this.set((await backlog()).oldestAgeSeconds);
      },
    });
  }

  onApplicationBootstrap(): void {
    if (this.settings.runWorker) {
      this.loop = this.run();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.loop;
  }

  /** New work was stored: start a round now instead of after the poll interval. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let worked = false;
      try {
        worked = await this.round();
      } catch (error) {
        this.logger.warn({ msg: 'export round failed; will retry', err: error });
      }
      if (!worked && !this.stopped && !this.woken) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.settings.pollIntervalMs);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      this.woken = false;
      this.wakeUp = undefined;
    }
  }

  /** One round over every group with due records; true when something was processed. */
  async round(): Promise<boolean> {
    if (Date.now() - this.lastSweep > LEASE_SWEEP_MS) {
      this.lastSweep = Date.now();
      const released = await this.records.releaseExpiredLeases();
      if (released > 0) {
        this.logger.warn({ msg: 'records left sending by an interrupted round are pending again', released });
      }
    }
    const groups = await this.records.dueWork(GROUPS_PER_ROUND);
    let worked = false;
    for (const group of groups) {
      if (this.stopped) {
        break;
      }
      try {
        worked = (await this.process(group.tenantId, group.destinationId, group.operation)) || worked;
      } catch (error) {
        this.logger.warn({
          msg: 'export group failed; will retry',
          destinationId: group.destinationId,
          operation: group.operation,
          err: error,
        });
      }
    }
    return worked;
  }

  private process(tenantId: TenantId, destinationId: string, operation: Operation): Promise<boolean> {
    switch (operation) {
      case 'add':
      case 'event':
        return this.exportCandidates(tenantId, destinationId, operation);
      case 'remove':
        return this.remove(tenantId, destinationId);
    }
  }

  /** Candidates of one destination: decide each at send time, upload the allowed ones, settle. */
  private async exportCandidates(
    tenantId: TenantId,
    destinationId: string,
    operation: 'add' | 'event',
  ): Promise<boolean> {
    const claimed = await this.db.forTenant(tenantId, async (m) => {
      const rows = await this.records.lockDue(m, tenantId, destinationId, operation, CLAIM[operation]);
      if (rows.length === 0) {
        return { settled: 0, toSend: [] as Claimed[] };
      }
      // A tenant offboarded meanwhile (its candidates came in before the record): nothing is sent.
      const offboarded: unknown[] = await m.query(`SELECT 1 FROM offboarded_tenants WHERE tenant_hash = $1`, [
        offboardedTenantHash(tenantId),
      ]);
      if (offboarded.length > 0) {
        const settled = await this.records.settle(
          m,
          tenantId,
          rows.map((r) => ({ id: r.id, status: 'suppressed' as const, reason: 'authorization_withdrawn' })),
        );
        exportSuppressed.labels('authorization_withdrawn').inc(settled.length);
        return { settled: settled.length, toSend: [] as Claimed[] };
      }
      const auths = await this.records.authorizations(
        m,
        tenantId,
        rows.flatMap((r) => (r.authorizationId ? [r.authorizationId] : [])),
      );
      const states = await this.consent.forCustomers(
        m,
        tenantId,
        rows.flatMap((r) => (r.customerRef ? [r.customerRef] : [])),
      );
      const members =
        operation === 'add'
          ? await this.records.memberships(
              m,
              tenantId,
              destinationId,
              rows.flatMap((r) => (r.memberHash ? [r.memberHash] : [])),
            )
          : new Map<string, Membership>();
      const now = new Date();
      const toSend: Claimed[] = [];
      const settle: Settlement[] = [];
      const defer: Array<{ id: string; until: Date }> = [];
      const inThisRound = new Set<string>();
      for (const row of rows) {
        if (!row.customerRef) {
          settle.push({ id: row.id, status: 'suppressed', reason: 'erased' });
          continue;
        }
        if (!row.memberHash) {
          settle.push({ id: row.id, status: 'rejected', reason: 'invalid_identifier' });
          continue;
        }
        const decision = decideCandidate(
          {
            operation,
            dataUses: row.dataUses,
            authorizationVersion: row.authorizationVersion ?? 0,
            authorization: row.authorizationId ? auths.get(row.authorizationId) : undefined,
            consent: states.get(row.customerRef) ?? [],
            createdAt: row.createdAt,
            eventTime: row.eventTime,
            memberActive: members.get(row.memberHash)?.state === 'active',
          },
          now,
          this.settings.consentGraceMs,
        );
        switch (decision.action) {
          case 'send':
            if (operation === 'add' && inThisRound.has(row.memberHash)) {
              // The same customer is uploaded once; the next round finds them a member.
              defer.push({ id: row.id, until: now });
            } else {
              inThisRound.add(row.memberHash);
              toSend.push({ record: row, consent: decision.consent });
            }
            break;
          case 'already_member':
            settle.push({ id: row.id, status: 'sent', reason: 'already_member', consent: decision.consent });
            break;
          case 'suppress':
            settle.push({ id: row.id, status: 'suppressed', reason: decision.reason, consent: decision.consent });
            break;
          case 'defer':
            defer.push({ id: row.id, until: decision.until });
            break;
        }
      }
      await this.records.markSending(
        m,
        tenantId,
        toSend.map((c) => ({ id: c.record.id, consent: c.consent })),
        this.settings.leaseMs,
      );
      await this.records.defer(m, tenantId, defer);
      const settled = await this.records.settle(m, tenantId, settle);
      for (const s of settled) {
        if (s.status === 'suppressed') {
          exportSuppressed.labels(s.reason ?? 'unknown').inc();
        }
      }
      return { settled: settled.length, toSend };
    });
    this.outbox.wake();
    if (claimed.toSend.length === 0) {
      return claimed.settled > 0;
    }
    if (operation === 'add') {
      const { targetId: target, adAccountId } = claimed.toSend[0].record;
      const result = await this.sendAudience(
        'add',
        claimed.toSend.map((c) => c.record),
        (hashes, session) => this.ads.addMembers({ tenantId, adAccountId }, target, hashes, session),
      );
      await this.finish(tenantId, operation, result);
    } else {
      const { targetId: datasetId, adAccountId } = claimed.toSend[0].record;
      const result = await sendIsolating(
        chunk(
          claimed.toSend.map((c) => c.record),
          EVENTS_BATCH_MAX,
        ),
        async (batch) => {
          const outcome = await this.ads.sendEvents(
            { tenantId, adAccountId },
            datasetId,
            batch.map((r) => conversionEvent(r)),
          );
          destinationRequests.labels('event', outcomeLabel(outcome)).inc();
          return outcome.ok
            ? {
                ok: true as const,
                response: { response: outcome.response, batch: { fbtraceId: outcome.response?.fbtrace_id ?? null } },
              }
            : outcome;
        },
      );
      await this.finish(tenantId, operation, result);
    }
    return true;
  }

  /** Audience uploads or removals: one session per round, batches of ≤10,000 with sequence and last-batch flag. */
  private async sendAudience<R>(
    operation: 'add' | 'remove',
    rows: ExportRecord[],
    call: (hashes: string[], session: AudienceSession) => Promise<SendOutcome<R>>,
  ): Promise<IsolationResult<ExportRecord, Sent<R>>> {
    let sessionId = newSessionId();
    let seq = 0;
    const total = rows.length;
    return sendIsolating(chunk(rows, AUDIENCE_BATCH_MAX), async (batch, isLast) => {
      seq++;
      const session: AudienceSession = {
        session_id: sessionId,
        batch_seq: seq,
        last_batch_flag: isLast,
        estimated_num_total: total,
      };
      const outcome = await call(
        batch.map((r) => r.memberHash!),
        session,
      );
      destinationRequests.labels(operation, outcomeLabel(outcome)).inc();
      if (!outcome.ok) {
        if (isLast) {
          // The session was closed by the flag; whatever is sent after a split starts a new one.
          sessionId = newSessionId();
          seq = 0;
        }
        return outcome;
      }
      return {
        ok: true,
        response: {
          response: outcome.response,
          batch: { sessionId: session.session_id, batchSeq: session.batch_seq, lastBatch: isLast },
        },
      };
    });
  }

  /** Settles a sending round: accepted → sent (or removed), refused → rejected, unsent → retried later or given up. */
  private async finish<R>(
    tenantId: TenantId,
    operation: Operation,
    result: IsolationResult<ExportRecord, Sent<R>>,
  ): Promise<void> {
    const now = Date.now();
    const settle: Settlement[] = [];
    for (const { items, response } of result.accepted) {
      for (const r of items) {
        settle.push({ id: r.id, status: operation === 'remove' ? 'removed' : 'sent', batch: response.batch });
      }
    }
    for (const { item, error } of result.rejected) {
      settle.push({ id: item.id, status: 'rejected', reason: 'destination_rejected', error });
    }
    const retry: Array<{ id: string; at: Date; error: DestinationError }> = [];
    for (const r of result.deferred) {
      const attempts = r.attempts + 1;
      const error = result.deferredError ?? { status: null, message: 'unavailable' };
      if (attempts >= this.settings.maxAttempts) {
        settle.push({ id: r.id, status: 'rejected', reason: 'destination_unavailable', error });
      } else {
        retry.push({
          id: r.id,
          at: new Date(now + backoffMs(attempts, this.settings.retryBaseMs, this.settings.retryMaxMs)),
          error,
        });
      }
    }
    if (result.deferred.length > 0) {
      this.logger.warn({
        msg: 'destination unavailable; backing off',
        operation,
        records: result.deferred.length,
        error: result.deferredError?.message,
      });
    }
    await this.db.forTenant(tenantId, async (m) => {
      await this.records.retryLater(m, tenantId, retry);
      const settled = await this.records.settle(m, tenantId, settle);
      for (const s of settled) {
        if (s.status === 'sent') {
          exportSent.labels(operation).inc();
        } else if (s.status === 'removed') {
          exportRemoved.labels(s.erasureRequestId ? 'erasure' : (s.reason ?? 'revoked')).inc();
          removalLatency.observe((Date.now() - s.createdAt.getTime()) / 1000);
        } else if (s.status === 'rejected') {
          exportRejected.labels(operation, s.reason ?? 'unknown').inc();
        }
      }
      if (operation === 'add') {
        await this.afterAdd(m, tenantId, settled);
      }
      if (operation === 'remove') {
        await this.afterRemove(m, tenantId, settled);
      }
    });
    this.outbox.wake();
    if (operation === 'remove') {
      // The last removal of an offboarded tenant completes its offboarding here.
      await this.offboarding.completeIfDone(tenantId);
    }
  }

  /**
   * Confirmed uploads become memberships. Consent may have been withdrawn while the upload was in
   * flight: members whose consent no longer holds are scheduled for removal at once.
   */
  private async afterAdd(m: EntityManager, tenantId: TenantId, settled: ExportRecord[]): Promise<void> {
    const sent = settled.filter((r) => r.status === 'sent' && r.customerRef);
    if (sent.length === 0) {
      return;
    }
    // Taken before the membership exists: a revoke committing meanwhile is either seen below or sees it.
    await this.consent.lockCustomers(
      m,
      tenantId,
      sent.map((r) => r.customerRef!),
    );
    await this.records.addMembers(m, tenantId, sent);
    const states = await this.consent.forCustomers(
      m,
      tenantId,
      sent.map((r) => r.customerRef!),
    );
    for (const r of sent) {
      const gate = checkConsent(states.get(r.customerRef!) ?? [], r.dataUses);
      if (gate.allowed) {
        continue;
      }
      const members = await this.records.memberships(m, tenantId, r.destinationId, [r.memberHash!]);
      await this.records.scheduleRemovals(
        m,
        tenantId,
        [...members.values()].map((member) => ({ member, causeKey: `recheck:${r.id}`, consent: gate.refs })),
        { reason: gate.reason, trigger: { kind: 'consent_changed_during_upload', record: r.id } },
      );
      this.wake();
    }
  }

  private async afterRemove(m: EntityManager, tenantId: TenantId, settled: ExportRecord[]): Promise<void> {
    const removed = settled.filter((r) => r.status === 'removed');
    const byDestination = new Map<string, string[]>();
    for (const r of removed) {
      byDestination.set(r.destinationId, [...(byDestination.get(r.destinationId) ?? []), r.memberHash!]);
    }
    for (const [destinationId, hashes] of byDestination) {
      await this.records.deleteMembers(m, tenantId, destinationId, hashes);
    }
    for (const requestId of new Set(settled.flatMap((r) => (r.erasureRequestId ? [r.erasureRequestId] : [])))) {
      await this.erasures.completeIfDone(m, tenantId, requestId);
    }
  }

  private async remove(tenantId: TenantId, destinationId: string): Promise<boolean> {
    const rows = await this.db.forTenant(tenantId, async (m) => {
      const due = await this.records.lockDue(m, tenantId, destinationId, 'remove', CLAIM.remove);
      await this.records.markSending(
        m,
        tenantId,
        due.map((r) => ({ id: r.id, consent: [] })),
        this.settings.leaseMs,
      );
      return due;
    });
    if (rows.length === 0) {
      return false;
    }
    const { targetId: target, adAccountId } = rows[0];
    const result = await this.sendAudience('remove', rows, (hashes, session) =>
      this.ads.removeMembers({ tenantId, adAccountId }, target, hashes, session),
    );
    await this.finish(tenantId, 'remove', result);
    return true;
  }
}

/** A Graph-style numeric session id (positive, below 2^53). */
function newSessionId(): number {
  return randomInt(1, 2 ** 47);
}

function outcomeLabel(outcome: SendOutcome<unknown>): string {
  return outcome.ok ? 'ok' : outcome.transient ? 'transient' : 'rejected';
}

/**
 * The conversion event for one authorized customer message. `event_id` is derived from the
 * record, so a resend after a crash is deduplicated by the destination; the customer appears only
 * as the hashed phone number, and the ad click id travels unhashed as the API requires.
 */
export function conversionEvent(r: ExportRecord): ConversionEvent {
  return {
    event_name: CONVERSION_EVENT_NAME,
    event_time: Math.floor(r.eventTime!.getTime() / 1000),
    event_id: sha256Hex(`${r.tenantId}:${r.destinationId}:${r.recordKey}`).slice(0, 40),
    action_source: 'business_messaging',
    messaging_channel: 'whatsapp',
    user_data: { ph: [r.memberHash!], ...(r.ctwaClid ? { ctwa_clid: r.ctwaClid } : {}) },
  };
}
