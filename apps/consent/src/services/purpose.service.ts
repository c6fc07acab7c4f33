import { EntityManager } from 'typeorm';
import { HttpStatus, Injectable } from '@nestjs/common';
import { TenantId } from '@custody/database';
import { DomainError, notFound } from '@custody/platform';
import { wordingContent } from '../domain/log-entry';
import {
  CreatePurposeDto,
  OptInPromptInputDto,
  OptInPromptResponseDto,
  PurposeListDto,
  PurposeResponseDto,
  WordingDto,
  WordingInputDto,
} from '../dtos/purpose.dto';
import { DuplicateKeyError, PurposeRepository, PurposeRow, WordingRow } from '../repositories/purpose.repository';

export function mapWording(w: WordingRow, dataUse: string): WordingDto {
  return {
    purpose: w.purposeKey,
    dataUse,
    language: w.language,
    version: w.version,
    hash: w.hash,
    text: w.text,
    createdAt: w.createdAt.toISOString(),
  };
}

function mapPurpose(p: PurposeRow, wordings: WordingRow[]): PurposeResponseDto {
  const latest = new Map<string, WordingRow>();
  for (const w of wordings) {
    latest.set(w.language, w);
  }
  return {
    key: p.key,
    dataUse: p.dataUse,
    current: [...latest.values()].map((w) => mapWording(w, p.dataUse)),
    wordings: wordings.map((w) => mapWording(w, p.dataUse)),
    createdAt: p.createdAt.toISOString(),
  };
}

/** A purpose with the wording version a prompt shows (the current one in a language). */
export interface ResolvedPurpose {
  purpose: PurposeRow;
  wording: WordingRow;
}

@Injectable()
export class PurposeService {
  constructor(private readonly purposes: PurposeRepository) {}

  async create(tenantId: TenantId, dto: CreatePurposeDto): Promise<PurposeResponseDto> {
    let purpose: PurposeRow;
    try {
      purpose = await this.purposes.create(tenantId, dto.key, dto.dataUse);
    } catch (error) {
      if (error instanceof DuplicateKeyError) {
        throw new DomainError(
          HttpStatus.CONFLICT,
          'conflict',
          `A purpose with key "${dto.key}" already exists; add a wording to it instead`,
        );
      }
      throw error;
    }
    if (dto.wording) {
      await this.publishWording(tenantId, purpose, dto.wording);
    }
    return this.get(tenantId, dto.key);
  }

  async list(tenantId: TenantId): Promise<PurposeListDto> {
    const [purposes, wordings] = await Promise.all([this.purposes.list(tenantId), this.purposes.wordings(tenantId)]);
    return {
      data: purposes.map((p) =>
        mapPurpose(
          p,
          wordings.filter((w) => w.purposeKey === p.key),
        ),
      ),
    };
  }

  async get(tenantId: TenantId, key: string): Promise<PurposeResponseDto> {
    const purpose = await this.require(tenantId, key, () => notFound('Purpose'));
    return mapPurpose(purpose, await this.purposes.wordings(tenantId, key));
  }

  /**
   * Publishes a wording. Identical to the current version in that language: nothing changes and
   * that version is returned (`created: false`). Otherwise a new immutable version; consents
   * given on older versions keep pointing at theirs.
   */
  async addWording(
    tenantId: TenantId,
    key: string,
    dto: WordingInputDto,
  ): Promise<{ wording: WordingDto; created: boolean }> {
    const purpose = await this.require(tenantId, key, () => notFound('Purpose'));
    return this.publishWording(tenantId, purpose, dto);
  }

  private async publishWording(
    tenantId: TenantId,
    purpose: PurposeRow,
    dto: WordingInputDto,
  ): Promise<{ wording: WordingDto; created: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const latest = await this.purposes.latestWording(tenantId, purpose.key, dto.language);
      if (latest && latest.text === dto.text) {
        return { wording: mapWording(latest, purpose.dataUse), created: false };
      }
      const version = (latest?.version ?? 0) + 1;
      const { bytes, hash } = wordingContent({
        purpose: purpose.key,
        dataUse: purpose.dataUse,
        language: dto.language,
        version,
        text: dto.text,
      });
      try {
        const row = await this.purposes.addWording(tenantId, {
          purposeKey: purpose.key,
          language: dto.language,
          version,
          hash,
          text: dto.text,
          content: bytes,
        });
        return { wording: mapWording(row, purpose.dataUse), created: true };
      } catch (error) {
        // Someone published the same version number concurrently: read again and retry once.
        if (error instanceof DuplicateKeyError && attempt === 0) {
          continue;
        }
        throw error;
      }
    }
  }

  async setOptInPrompt(tenantId: TenantId, dto: OptInPromptInputDto): Promise<OptInPromptResponseDto> {
    await this.resolve(tenantId, dto.purposes, dto.language);
    await this.purposes.setOptInPrompt(tenantId, dto.language, dto.purposes);
    return (await this.getOptInPrompt(tenantId))!;
  }

  async getOptInPrompt(tenantId: TenantId): Promise<OptInPromptResponseDto | null> {
    const prompt = await this.purposes.currentOptInPrompt(tenantId);
    if (!prompt) {
      return null;
    }
    const resolved = await this.resolve(tenantId, prompt.purposeKeys, prompt.language, true);
    return {
      language: prompt.language,
      wordings: resolved.map((r) => mapWording(r.wording, r.purpose.dataUse)),
      updatedAt: prompt.createdAt.toISOString(),
    };
  }

  /** The current opt-in prompt's purposes with their current wordings (for STOP/START). */
  async optInPurposes(tenantId: TenantId): Promise<{ language: string; purposes: ResolvedPurpose[] } | null> {
    const prompt = await this.purposes.currentOptInPrompt(tenantId);
    return prompt
      ? { language: prompt.language, purposes: await this.resolve(tenantId, prompt.purposeKeys, prompt.language, true) }
      : null;
  }

  listRows(tenantId: TenantId, within?: EntityManager): Promise<PurposeRow[]> {
    return this.purposes.list(tenantId, within);
  }

  async require(tenantId: TenantId, key: string, error: () => DomainError): Promise<PurposeRow> {
    const purpose = await this.purposes.get(tenantId, key);
    if (!purpose) {
      throw error();
    }
    return purpose;
  }

  /**
   * Each purpose with its current wording in `language`. Unknown purposes and missing wordings
   * are 400s (or silently skipped with `lenient`, for prompts configured before a purpose changed).
   */
  async resolve(
    tenantId: TenantId,
    keys: string[],
    language: string,
    lenient = false,
    within?: EntityManager,
  ): Promise<ResolvedPurpose[]> {
    const out: ResolvedPurpose[] = [];
    for (const key of keys) {
      const purpose = await this.purposes.get(tenantId, key, within);
      if (!purpose) {
        if (lenient) {
          continue;
        }
        throw new DomainError(HttpStatus.BAD_REQUEST, 'unknown_purpose', `Purpose "${key}" does not exist`);
      }
      const wording = await this.purposes.latestWording(tenantId, key, language, within);
      if (!wording) {
        if (lenient) {
          continue;
        }
        throw new DomainError(
          HttpStatus.BAD_REQUEST,
          'no_wording',
          `Purpose "${key}" has no wording in language "${language}"`,
        );
      }
      out.push({ purpose, wording });
    }
    return out;
  }
}
