import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { CONSUMER_GROUPS, PERSISTENCE_STREAM } from '../storage/redis-keys.js';
import { createStreamConsumer, type StreamEntry } from '../storage/stream-consumer.js';
import type { StreamDecoding } from '../storage/shared-stream-decoding.js';
import type { MessageRecord } from '../storage/message-record.js';
import type { FeedbackRecord, RunRecord } from '../storage/stream-records.js';
import { advanceWatermarks, maxSeqByThread } from '../storage/watermarks.js';
import { clickhouseDateTime, isTransientClickHouseError, type ArchiveClient } from './clickhouse-client.js';
import { partsOf } from '../domain/message-parts.js';
import { findErasedInRedis } from '../erasure/hot-erasure.js';

export interface ArchiverOptions {
  /** A connection of its own: the consumer's blocking reads hold it. */
  redis: Redis;
  archive: ArchiveClient;
  config: Config;
  log: Logger;
  /** Unique per process; reuse it after a restart to take back this consumer's pending entries. */
  consumer: string;
  /** See StreamConsumerOptions.decode. */
  decode?: StreamDecoding;
  /** Injected in tests; default the wall clock. Stamps archived_at. */
  now?: () => Date;
}

/**
 * The second consumer group on the persistence stream: copies every message and run transition
 * into ClickHouse, one insert per table per batch, then advances the `archived` watermark.
 * ClickHouse being down is a transient error: the consumer backs off, the entries stay pending
 * in the stream, and the archive catches up when ClickHouse returns. Redelivered entries are
 * harmless because the archive tables collapse duplicates (see archive-migrations.ts).
 */
export function createArchiver(options: ArchiverOptions) {
  const { redis, archive, config, log } = options;
  const now = options.now ?? (() => new Date());
  const consumer = createStreamConsumer({
    redis,
    stream: PERSISTENCE_STREAM,
    group: CONSUMER_GROUPS.clickhouse,
    consumer: options.consumer,
    decode: options.decode,
    handle: (entries) => archiveBatch(entries),
    isTransient: isTransientClickHouseError,
    log: log.child({ worker: 'archiver' }),
    batchSize: config.workers.archiveBatchSize,
    blockMs: config.workers.blockMs,
    claimIdleMs: config.workers.claimIdleMs,
    minBatchIntervalMs: config.workers.archiveFlushIntervalMs,
  });

  async function archiveBatch(entries: StreamEntry[]): Promise<void> {
    // An erased thread's entries are acked unwritten: the eraser deletes its rows once this group
    // is past the thread's tombstone, and nothing inserted after that may bring them back.
    const erased = await findErasedInRedis(redis, entries.map((entry) => entry.record.record.threadId));
    const { messages, runs, feedback } = splitRecords(erased.size ? entries.filter((entry) => !erased.has(entry.record.record.threadId)) : entries);
    const archivedAt = now();
    // Runs and ratings first: the watermark below only speaks of messages, so it is moved last.
    await archive.insert('insertRunTransitions', 'run_transitions', runs.map(runTransitionRow));
    await archive.insert('insertMessageFeedback', 'message_feedback', feedback.map(feedbackRow));
    await archive.insert('insertArchivedMessages', 'messages_archive', messages.map((record) => archivedMessageRow(record, archivedAt)));
    if (messages.length === 0) return;
    // The rows are in; a watermark that fails to move only understates durability, so it must
    // not fail the batch (which would insert it all again).
    await advanceWatermarks(redis, 'archived', maxSeqByThread(messages)).catch((error) =>
      log.warn({ err: error }, 'could not advance the archived watermark'),
    );
  }

  return { start: consumer.start, stop: consumer.stop };
}

export type Archiver = ReturnType<typeof createArchiver>;

/** A new message, a streamed message's final form, an edit and a tombstone each become a messages_archive row; a rating a message_feedback row. */
export function splitRecords(entries: readonly StreamEntry[]): { messages: MessageRecord[]; runs: RunRecord[]; feedback: FeedbackRecord[] } {
  const messages: MessageRecord[] = [];
  const runs: RunRecord[] = [];
  const feedback: FeedbackRecord[] = [];
  for (const { record } of entries) {
    if (record.type === 'run') runs.push(record.record);
    else if (record.type === 'feedback') feedback.push(record.record);
    else messages.push(record.record);
  }
  return { messages, runs, feedback };
}

/** A message as the archive keeps it: its shape and size for analytics, not its content. */
export function archivedMessageRow(record: MessageRecord, archivedAt: Date) {
  return {
    message_id: record.id,
    thread_id: record.threadId,
    owner_id: record.ownerId,
    run_id: record.runId,
    role: record.role,
    status: record.status,
    seq: record.seq,
    content_bytes: Buffer.byteLength(record.content, 'utf8'),
    // What analytics counts of a structured message: its kinds of parts and the tools it calls.
    part_types: partsOf(record).map((part) => part.type),
    tool_names: partsOf(record).flatMap((part) => (part.type === 'toolCall' ? [part.name] : [])),
    actor: record.actor,
    // A tombstone's content and parts are already empty; the flag says why.
    revision: record.revision,
    deleted: record.deletedAt ? 1 : 0,
    created_at: clickhouseDateTime(record.createdAt),
    archived_at: clickhouseDateTime(archivedAt),
  };
}

export function runTransitionRow(record: RunRecord) {
  const optional = (iso: string | null) => (iso === null ? null : clickhouseDateTime(iso));
  return {
    run_id: record.id,
    thread_id: record.threadId,
    owner_id: record.ownerId,
    status: record.status,
    error: record.error,
    created_at: clickhouseDateTime(record.createdAt),
    started_at: optional(record.startedAt),
    completed_at: optional(record.completedAt),
    at: clickhouseDateTime(record.at),
    actor: record.actor,
    model: record.model,
    input_tokens: record.usage?.inputTokens ?? null,
    output_tokens: record.usage?.outputTokens ?? null,
  };
}

/** A rating as the archive keeps it: the score, not the comment. */
export function feedbackRow(record: FeedbackRecord) {
  return {
    message_id: record.messageId,
    thread_id: record.threadId,
    owner_id: record.ownerId,
    score: record.score,
    has_comment: record.hasComment ? 1 : 0,
    rated_at: clickhouseDateTime(record.ratedAt),
  };
}
