import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { asTenantId, TenantId } from '@custody/database';
import { IngestEnv } from '../config/ingest.env';
import {
  checkTemplateSend,
  EDITABLE_STATUSES,
  parseTemplateCreate,
  parseTemplateEdit,
  RenderedTemplate,
  TEMPLATE_CATEGORIES,
  TEMPLATE_STATUSES,
  TemplateDefinition,
  TemplateStatus,
} from '../domain/templates';
import { NetworkClient } from '../repositories/network.client';
import { RoutingRepository } from '../repositories/routing.repository';
import { catalogKey, TemplateRepository, TemplateRow } from '../repositories/template.repository';
import { GraphCodes, GraphError, invalidParameter } from './graph-error';
import { graphPaging, GraphPaging, idOfCursor } from './graph-paging';
import { unknownObject } from './media.service';
import { WebhookWorkerService } from './webhook-worker.service';

export interface TemplateView {
  id: string;
  name: string;
  language: string;
  status: TemplateStatus;
  category: string;
  parameter_format: string;
  components: Array<Record<string, unknown>>;
  rejected_reason?: string;
}

export interface TemplatePage {
  data: Array<Partial<TemplateView>>;
  paging?: GraphPaging;
}

/** A template review verdict or status change from the network. */
export interface TemplateReviewEvent {
  templateId: string;
  businessAccountId: string;
  event: TemplateStatus;
  reason?: string | null;
}

const TEMPLATE_ID = /^\d{15}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

export function viewOf(row: TemplateRow): TemplateView {
  return {
    id: row.id,
    name: row.name,
    language: row.language,
    status: row.status,
    category: row.category,
    parameter_format: row.parameterFormat,
    components: row.components,
    ...(row.rejectedReason ? { rejected_reason: row.rejectedReason } : {}),
  };
}

/** Keeps the fields asked for (`fields=a,b`; `id` always), as the Graph API does. */
function select(view: TemplateView, fields: string[] | undefined): Partial<TemplateView> {
  if (!fields) {
    return view;
  }
  return Object.fromEntries(Object.entries(view).filter(([k]) => k === 'id' || fields.includes(k)));
}

export function parseFields(fields: string | undefined): string[] | undefined {
  if (fields === undefined || fields.trim() === '') {
    return undefined;
  }
  const list = fields.split(',').map((f) => f.trim());
  if (list.some((f) => !/^[a-z_]{1,64}$/.test(f))) {
    throw invalidParameter('fields must be a comma-separated list of field names');
  }
  return list;
}

/**
 * Message templates, as the Cloud API's management endpoints: create (PENDING, then reviewed by
 * the network), list with cursor paging, read, delete; the review's verdicts come back from the
 * network and are announced to the tenant with `message_template_status_update` webhooks. Sends
 * are checked against the tenant's templates from memory (no database read per message).
 */
@Injectable()
export class TemplateService {
  private readonly logger = new Logger(TemplateService.name);

  constructor(
    private readonly templates: TemplateRepository,
    private readonly routing: RoutingRepository,
    private readonly network: NetworkClient,
    private readonly webhooks: WebhookWorkerService,
    private readonly env: IngestEnv,
  ) {}

  private async account(callerTenantId: string, businessAccountId: string, method: 'get' | 'post' | 'delete') {
    const tenantId = asTenantId(callerTenantId);
    if (!(await this.routing.ownsBusinessAccount(tenantId, businessAccountId))) {
      // The same answer for another tenant's account and one that does not exist.
      throw unknownObject(method, businessAccountId);
    }
    return tenantId;
  }

  async create(
    callerTenantId: string,
    businessAccountId: string,
    body: unknown,
  ): Promise<{ id: string; status: TemplateStatus; category: string }> {
    const tenantId = await this.account(callerTenantId, businessAccountId, 'post');
    const parsed = parseTemplateCreate(body);
    if (!parsed.ok) {
      throw invalidParameter(parsed.details);
    }
    const t = parsed.template;
    // 15 digits, like the Cloud API's template ids (exact as the JSON number its webhooks carry).
    const id = `${randomInt(1e6, 1e7)}${String(randomInt(0, 1e8)).padStart(8, '0')}`;
    if (!(await this.templates.create(tenantId, id, businessAccountId, t))) {
      throw invalidParameter(
        `A template named ${t.name} already exists in ${t.language}; delete it or use another name`,
      );
    }
    try {
      await this.network.submitTemplate({
        templateId: id,
        businessAccountId,
        name: t.name,
        language: t.language,
        category: t.category,
        components: t.components,
      });
    } catch {
      // Not under review: nothing is kept, the call may be repeated.
      await this.templates.remove(tenantId, businessAccountId, t.name, id);
      throw new GraphError(
        HttpStatus.SERVICE_UNAVAILABLE,
        GraphCodes.Temporary,
        'Service temporarily unavailable',
        'The template could not be submitted for review right now and was not created; retry',
      );
    }
    return { id, status: 'PENDING', category: t.category };
  }

  async list(
    callerTenantId: string,
    businessAccountId: string,
    query: Record<string, string | undefined>,
    selfUrl: string,
  ): Promise<TemplatePage> {
    const tenantId = await this.account(callerTenantId, businessAccountId, 'get');
    const limit = query.limit === undefined ? 25 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw invalidParameter('limit must be an integer from 1 to 100');
    }
    const after = query.after === undefined ? undefined : idOfCursor(query.after, TEMPLATE_ID);
    const before = query.before === undefined ? undefined : idOfCursor(query.before, TEMPLATE_ID);
    if ((query.after !== undefined && !after) || (query.before !== undefined && !before)) {
      throw invalidParameter('after and before must be cursors from paging.cursors');
    }
    const status = query.status?.toUpperCase();
    if (status !== undefined && !(TEMPLATE_STATUSES as readonly string[]).includes(status)) {
      throw invalidParameter(`status must be one of ${TEMPLATE_STATUSES.join(', ')}`);
    }
    const category = query.category?.toUpperCase();
    if (category !== undefined && !(TEMPLATE_CATEGORIES as readonly string[]).includes(category)) {
      throw invalidParameter(`category must be one of ${TEMPLATE_CATEGORIES.join(', ')}`);
    }
    const fields = parseFields(query.fields);
    // One more than the page: whether there is a next (or previous) page.
    const rows = await this.templates.list(
      tenantId,
      businessAccountId,
      { limit: limit + 1, after, before },
      { name: query.name, status, category, language: query.language },
    );
    const more = rows.length > limit;
    const page = before !== undefined ? rows.slice(rows.length - Math.min(rows.length, limit)) : rows.slice(0, limit);
    const data = page.map((r) => select(viewOf(r), fields));
    if (page.length === 0) {
      return { data };
    }
    const hasNext = before !== undefined || more;
    const hasPrevious = after !== undefined || (before !== undefined && more);
    return {
      data,
      paging: graphPaging(
        { firstId: page[0].id, lastId: page[page.length - 1].id, limit, hasNext, hasPrevious },
        selfUrl,
        this.env.PUBLIC_BASE_URL,
      ),
    };
  }

  async get(callerTenantId: string, templateId: string, fields: string | undefined): Promise<Partial<TemplateView>> {
    const tenantId = asTenantId(callerTenantId);
    const selected = parseFields(fields);
    const row = TEMPLATE_ID.test(templateId) ? await this.templates.find(tenantId, templateId) : null;
    if (!row) {
      throw unknownObject('get', templateId);
    }
    return select(viewOf(row), selected);
  }

  /**
   * `POST /{template-id}`: edits an APPROVED, REJECTED or PAUSED template (components replaced
   * whole, or the category of one that is not approved) and submits it for review again; it is
   * PENDING until the verdict. An approved template may be edited once per 24 hours and ten times
   * per 30 days. When the review cannot be requested, the template stays as it was.
   */
  async edit(callerTenantId: string, templateId: string, body: unknown): Promise<{ success: true }> {
    const tenantId = asTenantId(callerTenantId);
    const now = Date.now();
    let next: TemplateDefinition | undefined;
    const edited = TEMPLATE_ID.test(templateId)
      ? await this.templates.edit(tenantId, templateId, (row, approvedEdits) => {
          if (!(EDITABLE_STATUSES as readonly string[]).includes(row.status)) {
            throw invalidParameter(
              `Only APPROVED, REJECTED or PAUSED templates can be edited; this one is ${row.status}`,
            );
          }
          const parsed = parseTemplateEdit(body, row);
          if (!parsed.ok) {
            throw invalidParameter(parsed.details);
          }
          if (row.status === 'APPROVED') {
            if (parsed.template.category !== row.category) {
              throw invalidParameter(`An approved template keeps its category (${row.category})`);
            }
            const recent = approvedEdits.filter((at) => now - at.getTime() < 30 * DAY_MS);
            if (recent.some((at) => now - at.getTime() < DAY_MS)) {
              throw invalidParameter('An approved template can be edited once in 24 hours');
            }
            if (recent.length >= 10) {
              throw invalidParameter('An approved template can be edited 10 times in 30 days');
            }
          }
          next = parsed.template;
          return parsed.template;
        })
      : null;
    if (!edited || !next) {
      throw unknownObject('post', templateId);
    }
    const { before } = edited;
    try {
      await this.network.submitTemplate({
        templateId,
        businessAccountId: before.businessAccountId,
        name: before.name,
        language: before.language,
        category: next.category,
        components: next.components,
      });
    } catch {
      await this.templates.restore(tenantId, before, edited.approvedEdits);
      throw new GraphError(
        HttpStatus.SERVICE_UNAVAILABLE,
        GraphCodes.Temporary,
        'Service temporarily unavailable',
        'The edit could not be submitted for review right now and was not made; retry',
      );
    }
    this.logger.log({ msg: 'template edited', templateId, status: 'PENDING' });
    return { success: true };
  }

  /** Whether the id is a template of the tenant (the Graph ids of templates, media and numbers share one path). */
  async exists(callerTenantId: string, templateId: string): Promise<boolean> {
    return TEMPLATE_ID.test(templateId) && (await this.templates.find(asTenantId(callerTenantId), templateId)) !== null;
  }

  async remove(
    callerTenantId: string,
    businessAccountId: string,
    name: string | undefined,
    hsmId: string | undefined,
  ): Promise<{ success: true }> {
    const tenantId = await this.account(callerTenantId, businessAccountId, 'delete');
    if (name === undefined || !/^[a-z0-9_]{1,512}$/.test(name)) {
      throw invalidParameter('name (the template name) is required');
    }
    if (hsmId !== undefined && !TEMPLATE_ID.test(hsmId)) {
      throw invalidParameter('hsm_id must be a template id');
    }
    if ((await this.templates.remove(tenantId, businessAccountId, name, hsmId)) === 0) {
      throw invalidParameter(
        hsmId ? `No template ${hsmId} named ${name}` : `No template named ${name} in this business account`,
      );
    }
    return { success: true };
  }

  /**
   * Checks a template send against the tenant's templates (from memory) and renders what the
   * customer receives: unknown or not approved 132001, paused 132015, disabled 132016, wrong
   * parameters 132000/132012, too long 132005.
   */
  async checkSend(
    tenantId: TenantId,
    businessAccountId: string,
    template: { name: string; language: { code: string }; components?: unknown },
  ): Promise<{ category: string; rendered: RenderedTemplate }> {
    const catalog = await this.templates.catalogFor(tenantId);
    const entry = catalog.get(catalogKey(businessAccountId, template.name, template.language.code));
    if (!entry || (entry.status !== 'APPROVED' && entry.status !== 'PAUSED' && entry.status !== 'DISABLED')) {
      throw new GraphError(
        HttpStatus.NOT_FOUND,
        132001,
        '(#132001) Template name does not exist in the translation',
        `template name (${template.name}) does not exist in ${template.language.code}${entry ? ` (it is ${entry.status})` : ''}`,
      );
    }
    if (entry.status === 'PAUSED') {
      throw new GraphError(
        HttpStatus.BAD_REQUEST,
        132015,
        '(#132015) Template is paused',
        `Template ${template.name} is paused because of its quality rating`,
      );
    }
    if (entry.status === 'DISABLED') {
      throw new GraphError(
        HttpStatus.BAD_REQUEST,
        132016,
        '(#132016) Template is disabled',
        `Template ${template.name} has been disabled and cannot be sent`,
      );
    }
    const checked = checkTemplateSend(entry.spec, template.components);
    if (!checked.ok) {
      const titles = {
        132000: '(#132000) Number of parameters does not match the expected number of params',
        132005: '(#132005) Translated text too long',
        132012: '(#132012) Parameter format does not match format in the created template',
      } as const;
      throw new GraphError(HttpStatus.BAD_REQUEST, checked.code, titles[checked.code], checked.details);
    }
    return { category: entry.category, rendered: checked.rendered };
  }

  /**
   * The network's review verdicts and status changes: stored, then announced to the tenant as
   * `message_template_status_update` webhooks. An unknown account or template is skipped (it was
   * deleted meanwhile); a repeated verdict changes and announces nothing.
   */
  async applyReview(events: TemplateReviewEvent[]): Promise<{ accepted: number }> {
    let accepted = 0;
    for (const e of events) {
      const tenantId = await this.routing.tenantOfBusinessAccount(e.businessAccountId);
      if (!tenantId) {
        continue;
      }
      const reason = e.event === 'REJECTED' ? (e.reason ?? 'NONE') : null;
      const updated = await this.templates.setStatus(tenantId, e.templateId, e.event, reason);
      if (!updated || updated.row.businessAccountId !== e.businessAccountId) {
        continue;
      }
      accepted += 1;
      if (!updated.changed) {
        continue;
      }
      const at = new Date().toISOString();
      await this.webhooks.deliverNow(tenantId, [
        {
          eventId: `template:${e.templateId}:${e.event}:${at}`,
          businessAccountId: e.businessAccountId,
          phoneNumberId: '',
          displayPhoneNumber: '',
          kind: 'template',
          payload: {
            templateId: e.templateId,
            name: updated.row.name,
            language: updated.row.language,
            category: updated.row.category,
            event: e.event,
            reason: reason ?? 'NONE',
            at,
          },
        },
      ]);
      this.logger.log({ msg: 'template status changed', templateId: e.templateId, status: e.event });
    }
    return { accepted };
  }
}
