import { Injectable } from '@nestjs/common';
import { Writable } from 'node:stream';
import { CustomerIdentity, DecryptionError, FieldCipher } from '@custody/crypto';
import { TenantDb, TenantId } from '@custody/database';
import { ConversationRow, MessageRow } from '../repositories/message.repository';
import { mapConversation, mapMessage, openCustomer } from './conversation.service';
import { contentAad } from './message-store.service';

const PAGE = 100;

/**
 * A tenant's conversations as JSON Lines, streamed page by page (never all in memory), in
 * conversation id order so an interrupted export resumes from the last id received:
 *   {"type":"export","total":N,"after":…}      first line: how much there is, for progress
 *   {"type":"conversation",…,"messages":[…]}   one line per conversation, content decrypted
 *   {"type":"end","exported":K,"nextCursor":…}  last line; nextCursor is set when `limit` stopped it
 */
@Injectable()
export class ExportService {
  constructor(
    private readonly db: TenantDb,
    private readonly cipher: FieldCipher,
    private readonly identity: CustomerIdentity,
  ) {}

  async stream(tenantId: TenantId, out: Writable, options: { after?: string; limit?: number }): Promise<void> {
    const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
    const totals: Array<{ n: number }> = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT count(*)::int AS n FROM conversations WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id > $2)`, [
        tenantId,
        options.after ?? null,
      ]),
    );
    await write(out, {
      type: 'export',
      tenantId,
      total: totals[0].n,
      after: options.after ?? null,
      custody: { e2e: false, hostedBy: 'custody' },
    });
    let after = options.after ?? null;
    let exported = 0;
    while (exported < limit) {
      const page: Array<{ conversation: ConversationRow; messages: MessageRow[] }> = await this.db.forTenant(
        tenantId,
        async (m) => {
          const conversations: ConversationRow[] = await m.query(
            `SELECT * FROM conversations WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3`,
            [tenantId, after, Math.min(PAGE, limit - exported)],
          );
          if (conversations.length === 0) {
            return [];
          }
          const messages: MessageRow[] = await m.query(
            `SELECT * FROM messages WHERE tenant_id = $1 AND conversation_id = ANY($2::uuid[]) ORDER BY network_timestamp, message_id`,
            [tenantId, conversations.map((c) => c.id)],
          );
          return conversations.map((conversation) => ({
            conversation,
            messages: messages.filter((msg) => msg.conversation_id === conversation.id),
          }));
        },
      );
      if (page.length === 0) {
        break;
      }
      for (const { conversation, messages } of page) {
        const decrypted = await Promise.all(
          messages.map(async (msg) => mapMessage(msg, await this.content(tenantId, msg))),
        );
        const customer = await openCustomer(this.identity, tenantId, conversation);
        await write(out, { type: 'conversation', ...mapConversation(conversation, customer), messages: decrypted });
        exported += 1;
        after = conversation.id;
      }
    }
    const more: Array<{ n: number }> = await this.db.forTenant(tenantId, (m) =>
      m.query(`SELECT count(*)::int AS n FROM conversations WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id > $2)`, [
        tenantId,
        after,
      ]),
    );
    await write(out, { type: 'end', exported, nextCursor: more[0].n > 0 ? after : null });
  }

  private async content(tenantId: TenantId, m: MessageRow): Promise<Record<string, unknown> | null> {
    try {
      return JSON.parse(
        await this.cipher.decryptString(tenantId, m.content_ciphertext, contentAad(m.message_id)),
      ) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof DecryptionError) {
        return null;
      }
      throw error;
    }
  }
}

function write(out: Writable, line: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.destroyed) {
      reject(new Error('client went away'));
      return;
    }
    if (out.write(`${JSON.stringify(line)}\n`)) {
      resolve();
    } else {
      out.once('drain', resolve);
      out.once('close', () => reject(new Error('client went away')));
    }
  });
}
