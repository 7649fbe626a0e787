import type { Message } from '../domain/message.js';
import type { MessageId } from '../ids/id-types.js';
import { APPEND_DELTA, FINISH_DRAFT, READ_DRAFT } from './hot-tier-scripts.js';
import type { HotTier } from './hot-tier.js';
import { draftKeys, PERSISTENCE_STREAM, threadKeys } from './redis-keys.js';
import { messageOfRecord, type MessageRecord } from './message-record.js';

/** What a draft operation came to; NO_DRAFT sends the caller to Postgres (completed, or started there). */
export type DraftOutcome = { status: 'OK'; message: Message } | { status: 'NO_DRAFT' | 'NOT_FOUND' | 'ARCHIVED' | 'TOO_LARGE' };

/** Tries of a completion that raced with a late delta. */
const MAX_FINISH_ATTEMPTS = 5;

/**
 * Streaming messages on the fast path: each delta is appended and published by one script
 * (one round trip per chunk); completion writes the final message once, for Postgres and for
 * subscribers, with the concatenated content.
 */
export function createMessageDrafts(hot: HotTier) {
  const { redis } = hot;

  function messageFrom(recordJson: string, content: string, status: Message['status']): Message {
    return { ...messageOfRecord(JSON.parse(recordJson) as MessageRecord), content, status };
  }

  return {
    async appendDelta(ownerId: string, messageId: MessageId, delta: string, maxBytes: number): Promise<DraftOutcome> {
      const keys = draftKeys(messageId);
      const [status, record, content] = (await APPEND_DELTA(redis, [keys.draft, keys.content], [ownerId, messageId, delta, String(maxBytes)])) as string[];
      if (status !== 'OK') return { status: status as 'NO_DRAFT' };
      return { status: 'OK', message: messageFrom(record as string, content ?? '', 'IN_PROGRESS') };
    },

    async complete(ownerId: string, messageId: MessageId): Promise<DraftOutcome> {
      const keys = draftKeys(messageId);
      for (let attempt = 0; attempt < MAX_FINISH_ATTEMPTS; attempt++) {
        const [status, recordJson, content = ''] = (await READ_DRAFT(redis, [keys.draft, keys.content], [ownerId])) as string[];
        if (status !== 'OK') return { status: status as 'NO_DRAFT' };
        const record = { ...(JSON.parse(recordJson as string) as MessageRecord), content, status: 'COMPLETED' as const };
        const finalJson = JSON.stringify(record);
        const thread = threadKeys(messageOfRecord(record).threadId);
        const [finished] = (await FINISH_DRAFT(
          redis,
          [keys.draft, keys.content, thread.window, PERSISTENCE_STREAM, thread.meta],
          [ownerId, String(record.seq), finalJson, String(Buffer.byteLength(content))],
        )) as string[];
        if (finished === 'OK') return { status: 'OK', message: messageOfRecord(record) };
        if (finished !== 'RETRY') return { status: finished as 'NO_DRAFT' };
      }
      throw new Error(`Completing ${messageId} kept racing with new deltas`);
    },
  };
}

export type MessageDrafts = ReturnType<typeof createMessageDrafts>;
