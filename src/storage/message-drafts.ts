import type { Message } from '../domain/message.js';
import type { MessageId } from '../ids/id-types.js';
import { APPEND_DELTA, FINISH_DRAFT, READ_DRAFT } from './hot-tier-scripts.js';
import type { HotTier } from './hot-tier.js';
import { draftKeys, PERSISTENCE_STREAM, threadKeys } from './redis-keys.js';
import { messageOfRecord, type MessageRecord } from './message-record.js';
import { completedParts, withStreamed } from '../domain/part-streaming.js';

/** What a draft operation came to; NO_DRAFT sends the caller to Postgres (completed, or started there). */
export type DraftOutcome =
  | { status: 'OK'; message: Message }
  | { status: 'NOT_STREAMABLE'; kinds: string }
  | { status: 'NO_DRAFT' | 'NOT_FOUND' | 'ARCHIVED' | 'TOO_LARGE' };

/** Tries of a completion that raced with a late delta. */
const MAX_FINISH_ATTEMPTS = 5;

/**
 * Streaming messages on the fast path: each delta is appended and published by one script
 * (one round trip per chunk); completion writes the final message once, for Postgres and for
 * subscribers, with the concatenated content.
 */
export function createMessageDrafts(hot: HotTier) {
  const { redis } = hot;

  /** The draft's record with what has streamed into each of its parts. */
  function recordFrom(recordJson: string, streamed: readonly string[]): MessageRecord {
    const record = JSON.parse(recordJson) as MessageRecord;
    return { ...record, ...withStreamed(record, streamed) };
  }

  return {
    async appendDelta(ownerId: string, messageId: MessageId, delta: string, maxBytes: number, partIndex: number): Promise<DraftOutcome> {
      const keys = draftKeys(messageId);
      const { maxEvents, ttlSeconds } = hot.eventLog.limits;
      const args = [ownerId, messageId, delta, String(maxBytes), String(partIndex), String(maxEvents), String(ttlSeconds)];
      const [status, record, ...streamed] = (await APPEND_DELTA(redis, [keys.draft, keys.content], args)) as string[];
      if (status === 'NOT_STREAMABLE') return { status, kinds: record as string };
      if (status !== 'OK') return { status: status as 'NO_DRAFT' };
      return { status: 'OK', message: messageOfRecord(recordFrom(record as string, streamed)) };
    },

    async complete(ownerId: string, messageId: MessageId): Promise<DraftOutcome> {
      const keys = draftKeys(messageId);
      for (let attempt = 0; attempt < MAX_FINISH_ATTEMPTS; attempt++) {
        const [status, recordJson, chunks, ...streamed] = (await READ_DRAFT(redis, [keys.draft, keys.content], [ownerId])) as string[];
        if (status !== 'OK') return { status: status as 'NO_DRAFT' };
        const streamedRecord = recordFrom(recordJson as string, streamed);
        const record = { ...streamedRecord, parts: completedParts(streamedRecord.parts), status: 'COMPLETED' as const };
        const finalJson = JSON.stringify(record);
        const threadId = messageOfRecord(record).threadId;
        const thread = threadKeys(threadId);
        const { maxEvents, ttlSeconds } = hot.eventLog.limits;
        const [finished] = (await FINISH_DRAFT(
          redis,
          [keys.draft, keys.content, thread.window, PERSISTENCE_STREAM, thread.meta, thread.events, thread.eventsFloor],
          [ownerId, String(record.seq), finalJson, chunks as string, messageId, threadId, String(maxEvents), String(ttlSeconds)],
        )) as string[];
        if (finished === 'OK') return { status: 'OK', message: messageOfRecord(record) };
        if (finished !== 'RETRY') return { status: finished as 'NO_DRAFT' };
      }
      throw new Error(`Completing ${messageId} kept racing with new deltas`);
    },
  };
}

export type MessageDrafts = ReturnType<typeof createMessageDrafts>;
