import { Body, Controller, Get, HttpCode, NotFoundException, Param, Put, Post } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { badRequest } from '@custody/platform';
import { TemplateReviewDto, TemplateStatusDto } from '../dtos/sandbox.dto';
import { ReviewBehaviour, SubmittedTemplate, TemplateReviewService } from '../services/template-review.service';

/** Scripts the network's template review (demo, tests). No authentication: demo-only app. */
@ApiTags('sandbox template review')
@Controller('sandbox/v1/templates')
export class TemplateReviewController {
  constructor(private readonly review: TemplateReviewService) {}

  @Get()
  @ApiOperation({ summary: 'The templates submitted for review, with their status' })
  list(): SubmittedTemplate[] {
    return this.review.list();
  }

  @Put('review')
  @HttpCode(200)
  @ApiOperation({
    summary: 'How new templates are reviewed: approve (default), reject, or manual; and how long it takes',
  })
  behave(@Body() dto: TemplateReviewDto): ReviewBehaviour {
    Object.assign(this.review.behaviour, Object.fromEntries(Object.entries(dto).filter(([, v]) => v !== undefined)));
    return this.review.behaviour;
  }

  @Post(':templateId/status')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve, reject, pause or disable a template; ingest is told at once (signed)' })
  @ApiParam({ name: 'templateId', description: 'The template id Custody submitted.' })
  async decide(@Param('templateId') templateId: string, @Body() dto: TemplateStatusDto): Promise<SubmittedTemplate> {
    if (!/^\d{1,32}$/.test(templateId)) {
      throw badRequest('templateId must be digits');
    }
    if (!this.review.find(templateId)) {
      throw new NotFoundException('no template with this id was submitted to this network');
    }
    await this.review.decide(templateId, dto.status, dto.reason);
    return this.review.find(templateId)!;
  }
}
