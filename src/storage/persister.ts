import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { MessageId, ThreadId } from '../ids/id-types.js';
import { insertMessageRecords } from '../repositories/message-records-repository.js';
import { findMessageByClientId, insertMessageWithNextSeq } from '../repositories/messages-repository.js';
import { persistLag, persistedMessages } from '../observability/metrics.js';
import { isForeignKeyViolation, isTransientPostgresError, violatedUniqueConstraint } from './postgres-errors.js';
import { findErasedThreadIds } from '../repositories/erasures-repository.js';
import { CONSUMER_GROUPS, PERSISTENCE_STREAM, unpersistedMessageKey } from './redis-keys.js';
import { createStreamConsumer, type StreamEntry } from './stream-consumer.js';
import type { StreamDecoding } from './shared-stream-decoding.js';
import { messageOfRecord, type MessageRecord } from './message-record.js';
import { advanceWatermarks, maxSeqByThread } from './watermarks.js';

export interface PersisterOptions {
  /** A connection of its own (blocking reads). */
  redis: Redis;
  db: Kysely<Database>;
  log: Logger;
  consumer: string;
  batchSize: number;
  blockMs: number;
  claimIdleMs: number;
  /** See StreamConsumerOptions.minBatchIntervalMs. Default 0. */
  minBatchIntervalMs?: number;
  /** See StreamConsumerOptions.decode. */
  decode?: StreamDecoding;
}

/** The persister's batching and claiming, as configured (PERSISTER_* settings): the same for an in-process and a standalone worker. */
export function persisterSettings(workers: Config['workers']): Pick<PersisterOptions, 'batchSize' | 'blockMs' | 'claimIdleMs' | 'minBatchIntervalMs'> {
  return { batchSize: workers.batchSize, blockMs: workers.blockMs, claimIdleMs: workers.claimIdleMs, minBatchIntervalMs: workers.flushIntervalMs };
}

/**
 * Drains the persistence stream into Postgres: one multi-row statement per batch, idempotent
 * on the message ID, acked only after commit. Postgres being down is transient (the backlog
 * waits in Redis); a message whose seq was taken meanwhile by a write made while Redis was
 * unreachable is re-sequenced at the end of its thread rather than lost.
 */
export function createPersister(options: PersisterOptions) {
  const log = options.log.child({ worker: 'persister' });
  return createStreamConsumer({
    redis: options.redis,
    stream: PERSISTENCE_STREAM,
    group: CONSUMER_GROUPS.postgres,
    consumer: options.consumer,
    batchSize: options.batchSize,
    blockMs: options.blockMs,
    claimIdleMs: options.claimIdleMs,
    minBatchIntervalMs: options.minBatchIntervalMs,
    decode: options.decode,
    isTransient: isTransientPostgresError,
    log,
    handle: async (entries) => {
      try {
        await persistBatch(entries);
      } catch (error) {
        // A message of a deleted thread: its thread row is gone (and the rows written before went
        // with it). Drop what names an erased thread, never dead-letter it, and write the rest.
        // Asked only on this failure, so a batch of live threads costs no extra statement.
        if (!isForeignKeyViolation(error)) throw error;
        const live = await withoutErasedThreads(options.db, entries);
        if (live.length === entries.length) throw error;
        await persistBatch(live);
      }
    },
  });

  async function persistBatch(entries: StreamEntry[]): Promise<void> {
    const records = recordsOf(entries, 'message');
    const completions = recordsOf(entries, 'messageCompleted');
    if (records.length + completions.length === 0) return;
    try {
      // New messages first: a completion in the same batch then overwrites its IN_PROGRESS row.
      await insertMessageRecords(options.db, records);
      await insertMessageRecords(options.db, completions, { completing: true });
    } catch (error) {
      if (records.length !== 1 || !violatedUniqueConstraint(error)) throw error;
      await settleConflict(options.db, records[0] as MessageRecord, error, log);
    }
    const now = Date.now();
    for (const record of records) persistLag.observe((now - Date.parse(record.createdAt)) / 1000);
    persistedMessages.inc(records.length);
    await options.redis.unlink(...records.map((record) => unpersistedMessageKey(record.id as MessageId))).catch(() => 0);
    await advanceWatermarks(options.redis, 'persisted', maxSeqByThread(records)).catch((error) =>
      log.warn({ err: error }, 'could not advance the persisted watermark'),
    );
  }
}

/** Entries of erased threads are acked without being written: the thread is gone, and so must they be. */
async function withoutErasedThreads(db: Kysely<Database>, entries: StreamEntry[]): Promise<StreamEntry[]> {
  const erased = await findErasedThreadIds(db, entries.map((entry) => entry.record.record.threadId));
  return erased.size === 0 ? entries : entries.filter((entry) => !erased.has(entry.record.record.threadId));
}

/** Edits and deletions are committed in Postgres before they are queued: only the archiver needs them. */
function recordsOf(entries: StreamEntry[], type: 'message' | 'messageCompleted'): MessageRecord[] {
  return entries.flatMap((entry) => (entry.record.type === type ? [entry.record.record] : []));
}

/**
 * A single message collided with a row written while Redis was down. Same client message ID:
 * it is the same message, already stored. Same seq: keep the message, at the thread's next seq.
 */
async function settleConflict(db: Kysely<Database>, record: MessageRecord, error: unknown, log: Logger): Promise<void> {
  const constraint = violatedUniqueConstraint(error);
  const threadId = record.threadId as ThreadId;
  if (constraint === 'messages_thread_client_id_key') {
    const stored = await findMessageByClientId(db, threadId, record.clientMessageId as string);
    log.warn({ messageId: record.id, storedAs: stored?.id }, 'dropping a redelivered message already stored under its client message ID');
    return;
  }
  if (constraint !== 'messages_thread_seq_key') throw error;
  const stored = await db.transaction().execute(async (trx) => {
    await trx.selectFrom('threads').select('id').where('id', '=', threadId).forUpdate().execute();
    return insertMessageWithNextSeq(trx, messageOfRecord(record));
  });
  log.warn({ messageId: record.id, ackedSeq: record.seq, storedSeq: stored.seq }, 're-sequenced a message whose seq was taken during a Redis outage');
}

export type Persister = ReturnType<typeof createPersister>;
