import CircuitBreaker from 'opossum';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { UnitOfWork } from '../db/unit-of-work.js';
import { DomainError } from '../errors/domain-errors.js';
import type { ThreadId } from '../ids/id-types.js';
import { messageWrites, redisCircuit } from '../observability/metrics.js';
import type { PageWindow } from '../repositories/page-window.js';
import { sendThroughHotTier, type HotSendResult, type StoredMessage } from './hot-send.js';
import { recoverHotState } from './hot-state-recovery.js';
import { durabilityOf, type HotTier, type WindowSlice } from './hot-tier.js';
import { findMessagesByIds } from '../repositories/messages-repository.js';
import { readMessagePages } from './message-reads.js';
import type { SendMessageInput } from './send-message-input.js';
import type { Run } from '../domain/run.js';
import type { MessageFeedback } from '../domain/message-feedback.js';
import type { Thread } from '../domain/thread.js';
import { threadWireOf } from '../realtime/thread-events.js';
import { insertOutboxEntries, type OutboxEntry } from '../repositories/outbox-repository.js';
import { createOutboxRelay } from './outbox-relay.js';
import { messageRecordOf, type MessageRecord } from './message-record.js';
import { feedbackRecordOf, runRecordOf } from './stream-records.js';
import type { Message } from '../domain/message.js';
import type { MessageId } from '../ids/id-types.js';
import { InvalidInputError, NotFoundError } from '../errors/domain-errors.js';
import { createMessageDrafts } from './message-drafts.js';
import { changeStreamingMessageInPostgres } from './streaming-through-postgres.js';
import { sendThroughPostgres } from './send-through-postgres.js';
import { waitUntilPersisted } from './persisted-barrier.js';
import { partNotStreamable } from '../domain/part-streaming.js';
import { changeMessage, type MessageChange } from './message-changes.js';

export interface MessageStoreOptions {
  db: Kysely<Database>;
  /** Null when no Redis is configured or installed: every write takes the Postgres path. */
  hot: HotTier | null;
  log: Logger;
  /** How often to probe Redis while the circuit is open, ms. Default 500. */
  probeIntervalMs?: number;
}

/**
 * The one entry point for message writes and reads. Writes go through Redis behind a circuit
 * breaker; when Redis fails, the breaker opens, writes and reads fall back to Postgres, and a
 * probe closes it again once Redis answers and its stale counters are re-seeded.
 */
export function createMessageStore(options: MessageStoreOptions) {
  const { db, hot, log } = options;
  const breaker = hot ? createBreaker(hot, options) : null;
  const drafts = hot ? createMessageDrafts(hot) : null;
  const relay = hot ? createOutboxRelay({ db, hot, log }) : null;
  // Entries a previous process committed and did not relay (it crashed, or Redis was down).
  relay?.wake();
  let recovering: Promise<void> | undefined;
  let stopped = false;
  /** Postgres-path writes made while the circuit is open, until they commit: recovery waits for them. */
  const fallbackWrites = new Set<Promise<unknown>>();
  /** Set while recovery re-seeds the Redis counters: sends wait for it rather than write behind its back. */
  let reseeding: { done: Promise<void>; finish(): void } | undefined;

  breaker?.on('open', () => {
    redisCircuit.set(1);
    log.warn('Redis circuit open: writes and reads use Postgres until Redis is back');
    probeUntilRecovered();
  });
  breaker?.on('close', () => {
    redisCircuit.set(0);
    log.info('Redis circuit closed: fast path resumed');
  });

  function probeUntilRecovered(): void {
    if (!hot || !breaker || recovering) return;
    recovering = (async () => {
      while (breaker.opened && !stopped) {
        await new Promise((resolve) => setTimeout(resolve, options.probeIntervalMs ?? 500));
        let answering = false;
        try {
          await hot.redis.ping();
          answering = true;
          await recoverHotState(hot, db, log, { beforeReseed: pauseFallbackWrites });
          // What the Postgres path committed goes on the stream before any fast-path send can
          // follow it there, so the archiver and subscribers get each thread's messages in seq order.
          await relay?.relayPending();
          breaker.close();
        } catch (error) {
          // Redis still down is expected and says nothing new; Redis answering and recovery still
          // failing is why the circuit stays open, which an operator must be able to see.
          if (answering) log.warn({ err: error }, 'Redis answers, but recovery of the fast path failed; retrying');
          else log.debug({ err: error }, 'Redis not recovered yet');
        } finally {
          reseeding?.finish();
          reseeding = undefined;
        }
      }
    })().finally(() => {
      recovering = undefined;
      // An 'open' between the loop's last look and this moment found a recovery still set and
      // started none: look again, or the circuit would stay open with nobody probing.
      if (breaker.opened && !stopped) probeUntilRecovered();
    });
  }

  /**
   * A Postgres-path write committing after the re-seed would take a seq the resumed fast path
   * hands out again: from here until the circuit closes, new sends wait, and the ones in flight
   * are let finish before the counters are read from Postgres.
   */
  async function pauseFallbackWrites(): Promise<void> {
    let finish = () => {};
    const done = new Promise<void>((resolve) => (finish = resolve));
    reseeding = { done, finish };
    await Promise.allSettled([...fallbackWrites]);
  }

  /** The synchronous path, in a transaction of its own so that recovery can tell when it has committed. */
  function writeThroughPostgres(input: SendMessageInput): Promise<Message> {
    const own = new UnitOfWork(db);
    const write = sendThroughPostgres(own, input, { bypassingRedis: true }).then(
      async (message) => (await own.commit(), message),
      async (error: unknown) => {
        await own.rollback().catch(() => {});
        throw error;
      },
    );
    fallbackWrites.add(write);
    const forget = () => void fallbackWrites.delete(write);
    write.then(forget, forget);
    return write;
  }

  /** The Postgres path in the caller's transaction, while the circuit is open (sendInTransaction). */
  async function writeInCallersTransaction(input: SendMessageInput, uow: UnitOfWork): Promise<StoredMessage> {
    // Registered before the write, as writeThroughPostgres's are: a recovery starting now waits for it.
    const ended = uow.ended;
    fallbackWrites.add(ended);
    void ended.then(() => fallbackWrites.delete(ended));
    const message = await sendThroughPostgres(uow, input, { bypassingRedis: true });
    messageWrites.inc({ path: 'postgres' });
    return { ...message, durability: 'DURABLE' };
  }

  return {
    /** True while writes bypass Redis (none configured, or its circuit is open). */
    get degraded(): boolean {
      return !breaker || breaker.opened;
    },

    async send(input: SendMessageInput, uow: UnitOfWork): Promise<StoredMessage> {
      if (!breaker) return { ...(await sendThroughPostgres(uow, input, { bypassingRedis: false })), durability: 'DURABLE' };
      for (;;) {
        while (reseeding) await reseeding.done;
        const outcome = await breaker.fire(input).then((result) => result as HotSendResult, (error: unknown) => error);
        if (isHotSendResult(outcome)) {
          if (!outcome.ok) throw outcome.error;
          messageWrites.inc({ path: 'hot' });
          return outcome.message;
        }
        // Refused because the circuit was open, and it has closed since: the fast path is back.
        if ((outcome as { code?: string } | null)?.code === 'EOPENBREAKER' && !breaker.opened && !stopped) continue;
        // Redis failed or the circuit is open. Any hot counter may now be behind Postgres, so the
        // circuit must stay open until recovery has re-seeded them.
        if (!breaker.opened) breaker.open();
        if (reseeding) continue;
        const message = await writeThroughPostgres(input);
        messageWrites.inc({ path: 'postgres' });
        return { ...message, durability: 'DURABLE' };
      }
    },

    /**
     * A send that belongs to the caller's Postgres transaction, which holds its thread's lock
     * (submitToolResults). With Redis it is sequenced there FAST, as every message is, as the
     * transaction's last step: a DURABLE wait, or the fallback's transaction of its own, would
     * wait on the lock the caller holds. Without Redis, or with its circuit open, it is a row of
     * the caller's transaction; recovery's re-seed then waits for that transaction to end, as it
     * waits for the fallback's own writes. Refused while the re-seed runs.
     */
    async sendInTransaction(input: SendMessageInput, uow: UnitOfWork): Promise<StoredMessage> {
      if (!breaker) return { ...(await sendThroughPostgres(uow, input, { bypassingRedis: false })), durability: 'DURABLE' };
      for (;;) {
        // Not waited for, as send() waits: the re-seed waits for the fallback's writes, and one of
        // them may be queued on the thread lock this caller holds.
        if (reseeding) throw new Error('Redis is being re-seeded after an outage; retry in a moment');
        if (breaker.opened) return writeInCallersTransaction(input, uow);
        // What the script asks Postgres it asks through the caller's transaction: a connection of
        // the pool's own could be the one the callers queued on the thread's lock have taken.
        const outcome = await breaker.fire({ ...input, durability: 'FAST' }, uow.reader).then((result) => result as HotSendResult, (error: unknown) => error);
        if (isHotSendResult(outcome)) {
          if (!outcome.ok) throw outcome.error;
          messageWrites.inc({ path: 'hot' });
          return outcome.message;
        }
        // As in send(): refused by a circuit that has closed since, or a Redis failure that opens it.
        if ((outcome as { code?: string } | null)?.code === 'EOPENBREAKER' && !breaker.opened && !stopped) continue;
        if (!breaker.opened) breaker.open();
      }
    },

    /** Appends a chunk to a streaming message; subscribers get it at once as a MessageDelta. */
    /** Appends a chunk to part `partIndex` of a streaming message (0 for a message without parts). */
    async appendDelta(uow: UnitOfWork, ownerId: string, messageId: MessageId, delta: { text: string; partIndex: number }, maxBytes: number): Promise<Message> {
      const outcome = drafts && !breaker?.opened ? await drafts.appendDelta(ownerId, messageId, delta.text, maxBytes, delta.partIndex) : null;
      if (outcome?.status === 'OK') return outcome.message;
      if (outcome?.status === 'NOT_STREAMABLE') throw partNotStreamable(delta.partIndex, outcome.kinds);
      if (outcome?.status === 'NOT_FOUND') throw new NotFoundError(`Message ${messageId} not found`, { id: messageId });
      if (outcome?.status === 'TOO_LARGE') throw new InvalidInputError(`Message ${messageId} would exceed ${maxBytes} bytes`);
      if (outcome?.status === 'ARCHIVED') throw new InvalidInputError(`Message ${messageId} is in an archived thread, which takes no new content`, { id: messageId });
      return changeStreamingMessageInPostgres(uow, ownerId, messageId, { append: delta, maxBytes });
    },

    /** Finalises a streaming message: its content is the concatenation of its deltas. */
    async completeMessage(uow: UnitOfWork, ownerId: string, messageId: MessageId, maxBytes: number): Promise<Message> {
      const outcome = drafts && !breaker?.opened ? await drafts.complete(ownerId, messageId) : null;
      if (outcome?.status === 'OK') return outcome.message;
      if (outcome?.status === 'NOT_FOUND') throw new NotFoundError(`Message ${messageId} not found`, { id: messageId });
      const message = await changeStreamingMessageInPostgres(uow, ownerId, messageId, { complete: true, maxBytes });
      await recordChange(uow, message.threadId, { kind: 'messageCompleted', payload: messageRecordOf(message, ownerId) });
      return message;
    },

    /** Edits or deletes one of the owner's messages in every tier (message-changes.ts); answers its new revision or tombstone. */
    async changeMessage(uow: UnitOfWork, ownerId: string, messageId: MessageId, change: MessageChange): Promise<Message> {
      const tiers = {
        find: async (owner: string, id: MessageId) => (await this.findByIds(uow.reader, owner, [id]))[0],
        awaitPersisted: (timeoutMs: number) => this.awaitPersisted(timeoutMs),
        record: recordChange,
      };
      return changeMessage(tiers, uow, ownerId, messageId, change);
    },

    /**
     * The owner's messages by ID. Redis first: a message leaves its index only after Postgres
     * has committed it, so asking in this order never misses one in transit.
     */
    async findByIds(reader: Kysely<Database>, ownerId: string, messageIds: readonly MessageId[]): Promise<StoredMessage[]> {
      const hotFound = hot && !breaker?.opened ? await hot.findUnpersisted(messageIds).catch(() => new Map()) : new Map();
      const fromRedis: StoredMessage[] = [...hotFound.values()]
        .filter((entry) => entry.ownerId === ownerId)
        .map((entry) => ({ ...entry.message, durability: durabilityOf(entry.message.seq, entry.watermarks) }));
      const rest = messageIds.filter((id) => !hotFound.has(id));
      const fromPostgres = rest.length ? await findMessagesByIds(reader, ownerId, rest) : [];
      return [...fromRedis, ...fromPostgres.map((message) => ({ ...message, durability: 'DURABLE' as const }))];
    },

    /**
     * Waits (at most `timeoutMs`) until Postgres holds every message acked before the call, for
     * reads that only Postgres can answer (search); true at once without a fast path. A Redis
     * that fails to answer ends the wait: the read then answers from what Postgres has.
     */
    async awaitPersisted(timeoutMs: number): Promise<boolean> {
      if (!hot || !breaker || breaker.opened) return true;
      return waitUntilPersisted(hot.redis, timeoutMs).catch(() => false);
    },

    /** Each thread's newest seq, which is also its message count (Thread.messageCount, unreadCount). */
    lastSeqs,

    /** A page of messages for each thread (see readMessagePages). */
    async readPages(reader: Kysely<Database>, threadIds: readonly ThreadId[], window: PageWindow<number>) {
      return readMessagePages(reader, await windowSlices(threadIds, window), threadIds, window);
    },

    /** Each user's feed of events in Redis (viewerEvents); null without Redis, where there is no feed. */
    viewerFeed: hot?.viewerFeed ?? null,

    /** Each thread's log of its events in Redis (threadEvents and runUpdated cursors); null without Redis. */
    threadEventLog: hot?.eventLog ?? null,

    /** Queues a new thread for its owner's viewer feed (ThreadCreated). */
    async recordThreadCreated(uow: UnitOfWork, thread: Thread): Promise<void> {
      await recordChange(uow, thread.id, { kind: 'threadCreated', payload: threadWireOf(thread) });
    },

    /** Queues a read mark for its owner's viewer feed (ThreadRead), with the thread's newest seq when it was made. */
    async recordThreadRead(uow: UnitOfWork, thread: Thread, lastSeq: number): Promise<void> {
      await recordChange(uow, thread.id, { kind: 'threadRead', payload: { thread: threadWireOf(thread), lastSeq } });
    },

    /** Queues a thread change for Redis (an archived thread takes no more fast writes) and its subscribers. */
    async recordThreadChange(uow: UnitOfWork, thread: Thread): Promise<void> {
      await recordChange(uow, thread.id, { kind: 'thread', payload: threadWireOf(thread) });
    },

    /**
     * Queues messages the caller wrote to Postgres in this unit of work, sequenced already (a
     * fork's copies): relayed after commit onto the persistence stream, so the archiver gets them
     * as it gets every other message (the persister finds them stored and skips them), and to the
     * thread's subscribers.
     */
    async recordMessagesWritten(uow: UnitOfWork, threadId: ThreadId, records: readonly MessageRecord[]): Promise<void> {
      if (records.length === 0) return;
      // Copies, not activity: the viewer feed hears of the fork once, as its ThreadCreated.
      await recordChange(uow, threadId, ...records.map((record) => ({ kind: 'messageCopied' as const, payload: record })));
    },

    /** Queues a run change: the fast path learns the run exists, the archive gets the transition, subscribers hear of it. */
    async recordRunChange(uow: UnitOfWork, run: Run, ownerId: string): Promise<void> {
      await recordChange(uow, run.threadId, { kind: 'run', payload: runRecordOf(run, ownerId, new Date()) });
    },

    /** Queues a message's rating for the archive. */
    async recordFeedback(uow: UnitOfWork, feedback: MessageFeedback, ownerId: string): Promise<void> {
      await recordChange(uow, feedback.threadId, { kind: 'feedback', payload: feedbackRecordOf(feedback, ownerId) });
    },

    async stop(): Promise<void> {
      stopped = true;
      breaker?.shutdown();
      await recovering;
      await relay?.stop();
    },
  };

  /**
   * A change committed in Postgres reaches Redis through the outbox: the entry is written in the
   * request's transaction, so it exists exactly when the change does, and relayed once it
   * commits. Without a Redis there is no stream or subscriber to tell (and no archiver).
   */
  async function recordChange(uow: UnitOfWork, threadId: ThreadId, ...entries: OutboxEntry[]): Promise<void> {
    if (!relay) return;
    await insertOutboxEntries(await uow.writer(), threadId, entries);
    // With Redis up the answer waits for the relay, so the client's next request finds Redis in
    // step (a send right after archiveThread is refused on the fast path too). With its circuit
    // open the relay retries in the background, and recovery relays before the circuit closes.
    uow.afterCommit(() => (breaker?.opened ? relay.wake() : relay.relayOrRetry()));
  }

  /**
   * The newest seq of each thread, as the API reports it, counting messages acked but not yet
   * persisted (Redis's counter when it is ahead of Postgres's last seq), in one Redis round trip
   * for all of them; in the order given.
   */
  async function lastSeqs(threads: readonly Pick<Thread, 'id' | 'lastSeq'>[]): Promise<number[]> {
    if (!hot || !breaker || breaker.opened || threads.length === 0) return threads.map((thread) => thread.lastSeq);
    const hotSeqs = await hot.lastSeqs(threads.map((thread) => thread.id)).catch(() => threads.map(() => 0));
    return threads.map((thread, index) => Math.max(thread.lastSeq, hotSeqs[index] ?? 0));
  }

  async function windowSlices(threadIds: readonly ThreadId[], window: PageWindow<number>): Promise<Map<ThreadId, WindowSlice>> {
    if (!hot || !breaker || breaker.opened) return new Map();
    try {
      return await hot.readSlices(threadIds, window);
    } catch (error) {
      log.warn({ err: error }, 'Redis read failed; serving from Postgres');
      return new Map();
    }
  }
}

function isHotSendResult(value: unknown): value is HotSendResult {
  return typeof value === 'object' && value !== null && 'ok' in value;
}

function createBreaker(hot: HotTier, options: MessageStoreOptions) {
  return new CircuitBreaker((input: SendMessageInput, db: Kysely<Database> = options.db) => sendThroughHotTier(hot, db, input), {
    // No timeout of the breaker's own: a hot send also waits on Postgres (a cold thread's lookup,
    // a DURABLE commit), and a slow Postgres is no reason to open the Redis circuit. A hung Redis
    // fails each command after the connection's command timeout (createRedisClient, 1 s).
    timeout: false,
    errorThresholdPercentage: 50,
    volumeThreshold: 1,
    // Our probe closes the circuit after recovery; the breaker must not half-open on its own.
    resetTimeout: 2_147_483_647,
    errorFilter: (error: unknown) => error instanceof DomainError,
  });
}

export type MessageStore = ReturnType<typeof createMessageStore>;
