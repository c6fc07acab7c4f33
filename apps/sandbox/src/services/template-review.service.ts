import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { NetworkService } from './network.service';

export type ReviewedStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'PAUSED' | 'DISABLED';

/** A template Custody submitted for review, as the network keeps it. */
export interface SubmittedTemplate {
  templateId: string;
  businessAccountId: string;
  name: string;
  language: string;
  category: string;
  components: Array<Record<string, unknown>>;
  status: ReviewedStatus;
  reason: string | null;
  submittedAt: string;
  /** ingest's HTTP status for the last verdict sent (null before one was sent). */
  ingestStatus: number | null;
}

export interface ReviewBehaviour {
  mode: 'approve' | 'reject' | 'manual';
  delayMs: number;
  reason: string;
}

/**
 * The network's template review, simulated: templates Custody submits are approved (by default)
 * or rejected after a short delay, or left PENDING for the sandbox API to decide; the sandbox API
 * can also pause or disable an approved template later. Every verdict goes to ingest signed, as
 * the real review's webhooks reach a business.
 */
@Injectable()
export class TemplateReviewService implements OnApplicationShutdown {
  private readonly templates = new Map<string, SubmittedTemplate>();
  private readonly timers = new Set<NodeJS.Timeout>();
  readonly behaviour: ReviewBehaviour = { mode: 'approve', delayMs: 50, reason: 'INVALID_FORMAT' };

  constructor(private readonly network: NetworkService) {}

  submit(templates: Array<Omit<SubmittedTemplate, 'status' | 'reason' | 'submittedAt' | 'ingestStatus'>>): number {
    for (const t of templates) {
      this.templates.set(t.templateId, {
        ...t,
        status: 'PENDING',
        reason: null,
        submittedAt: new Date().toISOString(),
        ingestStatus: null,
      });
      const { mode, delayMs, reason } = this.behaviour;
      if (mode === 'manual') {
        continue;
      }
      // Always later than the submission's answer: ingest answers PENDING first, as the Cloud API does.
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          void this.decide(t.templateId, mode === 'approve' ? 'APPROVED' : 'REJECTED', reason).catch(() => undefined);
        },
        Math.max(delayMs, 10),
      );
      this.timers.add(timer);
    }
    return templates.length;
  }

  list(): SubmittedTemplate[] {
    return [...this.templates.values()];
  }

  find(templateId: string): SubmittedTemplate | undefined {
    return this.templates.get(templateId);
  }

  /** Sets a template's status and tells ingest; ingest's HTTP status, or null when ingest was unreachable. */
  async decide(
    templateId: string,
    status: Exclude<ReviewedStatus, 'PENDING'>,
    reason?: string,
  ): Promise<number | null> {
    const t = this.templates.get(templateId);
    if (!t) {
      return null;
    }
    t.status = status;
    t.reason = status === 'REJECTED' ? (reason ?? 'INVALID_FORMAT') : null;
    try {
      t.ingestStatus = await this.network.signedPost('/network/v1/template-events', {
        events: [{ templateId, businessAccountId: t.businessAccountId, event: status, reason: t.reason }],
      });
    } catch {
      t.ingestStatus = null;
    }
    return t.ingestStatus;
  }

  onApplicationShutdown(): void {
    for (const timer of this.timers) {
      clearTimeout(timer);
    }
    this.timers.clear();
  }
}
