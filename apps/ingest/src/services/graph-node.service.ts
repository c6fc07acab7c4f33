import { Injectable } from '@nestjs/common';
import { BusinessProfileService } from './business-profile.service';
import { MediaMetadata, MediaService } from './media.service';
import { TemplateService, TemplateView } from './template.service';

/**
 * `GET /{version}/{id}`: the Graph API reads every object by its id on one path, so the id decides
 * what it is: one of the caller's numbers, templates, else one of its media (unknown ids answer as
 * media do).
 */
@Injectable()
export class GraphNodeService {
  constructor(
    private readonly templates: TemplateService,
    private readonly media: MediaService,
    private readonly numbers: BusinessProfileService,
  ) {}

  async get(
    tenantId: string,
    version: string,
    id: string,
    query: { phoneNumberId?: string; fields?: string },
  ): Promise<MediaMetadata | Partial<TemplateView> | Record<string, unknown>> {
    const number = query.phoneNumberId === undefined ? await this.numbers.ownNumber(tenantId, id) : null;
    if (number) {
      return this.numbers.phoneNumber(number, query.fields);
    }
    if (query.phoneNumberId === undefined && (await this.templates.exists(tenantId, id))) {
      return this.templates.get(tenantId, id, query.fields);
    }
    return this.media.metadata(tenantId, version, id, query.phoneNumberId);
  }
}
