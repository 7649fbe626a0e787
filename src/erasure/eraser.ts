import type { Redis } from 'ioredis';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { OpenArchive } from '../archive/open-archive.js';
import type { Database } from '../db/database.js';
import type { UnitOfWork } from '../db/unit-of-work.js';
import type { Thread } from '../domain/thread.js';
import type { ErasureReason, ThreadErasure } from '../domain/thread-erasure.js';
import type { MessageId, ThreadId } from '../ids/id-types.js';
import {
  completeThreadErasure, insertThreadErasures, listPendingErasures, setErasureStreamMark, type PendingErasure,
} from '../repositories/erasures-repository.js';
import { findStreamingMessageIds } from '../repositories/messages-repository.js';
import { deleteThreadsByIds, findNextExpiry, lockExpiredThreads } from '../repositories/threads-repository.js';
import { lockOutboxRelay } from '../storage/outbox-relay.js';
import { hasPassed, readGroupProgress, type GroupProgress } from '../storage/persisted-barrier.js';
import { CONSUMER_GROUPS } from '../storage/redis-keys.js';
import { deleteThreadsFromArchive } from './archive-erasure.js';
import { purgeThreadFromRedis, tombstoneThread, trimErasedThreads } from './hot-erasure.js';
import { createTimedJob } from './timed-job.js';
import type { ViewerFeedLimits } from '../storage/viewer-feed.js';

export interface EraserOptions {
  db: Kysely<Database>;
  /** Null without Redis: nothing hot to clean and no stream to wait for. */
  redis: Redis | null;
  archive: OpenArchive;
  log: Logger;
  /** RETENTION_DAYS: threads idle this long are erased; null keeps them (a thread's own retainUntil still counts). */
  retentionDays: number | null;
  /** How often pending erasures are advanced and expired threads swept, ms (ERASURE_INTERVAL_MS). */
  intervalMs: number;
  /** The limits of the feed a ViewerThreadDeleted is appended to (VIEWER_FEED_MAX_EVENTS, HOT_STATE_TTL_DAYS). Default 1000 events, 7 days. */
  viewerFeed?: ViewerFeedLimits;
  /** Injected in tests; default the wall clock. Decides what retention has expired. */
  now?: () => Date;
}

/** Pending erasures advanced per pass, and expired threads erased per sweep: bounded work per pass. */
const PENDING_PER_PASS = 100;
export const RETENTION_BATCH_SIZE = 100;
/** How long the Redis erased set remembers a thread: far longer than any entry can be in flight. */
const ERASED_SET_DAYS = 30;

interface ErasedRows {
  erasures: ThreadErasure[];
  /** Each thread's messages still streaming (their drafts go with the tombstone). */
  streaming: Map<ThreadId, MessageId[]>;
  /** Each thread's owner, whose viewer feed hears of the deletion. */
  owners: Map<ThreadId, string>;
}

/**
 * The one owner of thread erasure across the tiers (deleteThread, deleteThreads, deleteViewerData,
 * retention). A request deletes the rows in its own transaction, beside an erasure record
 * (Postgres is clean at commit), and tombstones Redis right after commit. This eraser then
 * finishes each erasure in the background: once both consumer groups are past the tombstone, it
 * deletes the ClickHouse rows and every Redis key and stream entry naming the thread, and marks the
 * erasure COMPLETE. A tier that is down leaves it PENDING, and the next pass tries again.
 */
export function createEraser(options: EraserOptions) {
  const { db, redis, archive, log } = options;
  const now = options.now ?? (() => new Date());

  /** In the caller's transaction, which holds the threads' row locks: the rows go, the record comes. */
  async function eraseRows(trx: Transaction<Database>, threads: readonly Thread[], reason: ErasureReason): Promise<ErasedRows> {
    await lockOutboxRelay(trx);
    const ids = threads.map((thread) => thread.id);
    const streaming = await findStreamingMessageIds(trx, ids);
    await deleteThreadsByIds(trx, ids);
    const owners = new Map(threads.map((thread) => [thread.id, thread.ownerId]));
    return { erasures: await insertThreadErasures(trx, threads, reason), streaming, owners };
  }

  /** After commit; a failure only leaves the tombstone to the next pass (the rows are already gone). */
  async function tombstoneAll({ erasures, streaming, owners }: ErasedRows): Promise<void> {
    if (!redis) return;
    for (const { threadId } of erasures) {
      await tombstone(threadId, streaming.get(threadId) ?? [], owners.get(threadId) ?? null).catch((error) => log.warn({ err: error, threadId }, 'thread tombstone not written yet; the eraser retries'));
    }
  }

  /**
   * `ownerId` is known right after the request's commit; a pass that tombstones later knows only
   * the owner's hash (erasures-repository.ts), and the owner's feed then misses the deletion.
   */
  async function tombstone(threadId: ThreadId, streaming: readonly MessageId[], ownerId: string | null): Promise<string> {
    const feed = ownerId === null ? null : { ownerId, ...(options.viewerFeed ?? { maxEvents: 1_000, ttlSeconds: 7 * 86_400 }) };
    const mark = await tombstoneThread(redis as Redis, threadId, streaming, now(), feed);
    return setErasureStreamMark(db, threadId, mark);
  }

  /**
   * Whether the erasure may finish: its tombstone is written and both consumer groups are past it
   * (`progress`, read once per pass; a tombstone written now is judged on the next pass).
   */
  async function readyToFinish(erasure: PendingErasure, progress: Map<string, GroupProgress> | null): Promise<boolean> {
    if (!redis || !progress) return true;
    const mark = erasure.streamMark ?? (await tombstone(erasure.threadId, [], null));
    return mark === '0-0' || Object.values(CONSUMER_GROUPS).every((group) => hasPassed(progress.get(group), mark));
  }

  /** ClickHouse for all of them at once (a mutation per table is costly), then Redis, then the record. */
  async function finish(threadIds: readonly ThreadId[]): Promise<void> {
    if (threadIds.length === 0) return;
    await archive.ready;
    await deleteThreadsFromArchive(archive.client, threadIds);
    for (const threadId of threadIds) {
      if (redis) await purgeThreadFromRedis(redis, threadId);
      await completeThreadErasure(db, threadId, now());
    }
    log.info({ threads: threadIds.length }, 'threads erased from every tier');
  }

  async function sweepRetention(): Promise<number> {
    const erased = await db.transaction().execute(async (trx) => {
      const expired = await lockExpiredThreads(trx, now(), options.retentionDays, RETENTION_BATCH_SIZE);
      return expired.length ? eraseRows(trx, expired, 'RETENTION') : null;
    });
    if (!erased) return 0;
    await tombstoneAll(erased);
    log.info({ threads: erased.erasures.length }, 'retention expired threads; erasing them');
    return erased.erasures.length;
  }

  /** Advances every pending erasure once; how many are still pending. */
  async function advancePending(): Promise<number> {
    const pending = await listPendingErasures(db, PENDING_PER_PASS);
    if (pending.length === 0) return 0;
    const progress = redis ? await readGroupProgress(redis).catch(() => new Map<string, GroupProgress>()) : null;
    const ready: ThreadId[] = [];
    for (const erasure of pending) {
      try {
        if (await readyToFinish(erasure, progress)) ready.push(erasure.threadId);
      } catch (error) {
        log.warn({ err: error, threadId: erasure.threadId }, 'thread tombstone not written yet; retrying');
      }
    }
    try {
      await finish(ready);
    } catch (error) {
      log.warn({ err: error, threads: ready.length }, 'erasures not complete yet; retrying');
      return pending.length;
    }
    if (redis) await trimErasedThreads(redis, new Date(now().getTime() - ERASED_SET_DAYS * 86_400_000)).catch(() => {});
    const left = pending.length - ready.length;
    // A full batch may have more behind it: count one so that another pass follows.
    return pending.length === PENDING_PER_PASS ? Math.max(left, 1) : left;
  }

  /** One pass of both jobs (tests drive the eraser with it, on an injected clock). */
  async function runOnce(): Promise<{ expired: number; pending: number }> {
    const expired = await sweepRetention();
    return { expired, pending: await advancePending() };
  }

  /**
   * Pending erasures are advanced when one is requested, at start, and every `intervalMs` while
   * any remain; never otherwise, so an idle server issues no statements for them.
   */
  const erasing = createTimedJob(async () => {
    if ((await advancePending()) > 0) erasing.runIn(options.intervalMs);
  }, log, 'eraser pass failed; retrying');

  /** Sweeps, then sleeps until the next thread expires (at most MAX_SWEEP_SLEEP_MS; a new retainUntil wakes it sooner). */
  const sweeping = createTimedJob(async () => {
    let expired = 0;
    for (let batch = RETENTION_BATCH_SIZE; batch === RETENTION_BATCH_SIZE; expired += batch) batch = await sweepRetention();
    if (expired > 0) erasing.runIn(0);
    const next = await findNextExpiry(db, options.retentionDays);
    // Not sooner than intervalMs: an expired thread another transaction holds is skipped, and looked at again then.
    const untilNext = next ? Math.max(options.intervalMs, next.getTime() - now().getTime()) : MAX_SWEEP_SLEEP_MS;
    sweeping.runIn(Math.min(MAX_SWEEP_SLEEP_MS, untilNext));
  }, log, 'retention sweep failed; retrying', options.intervalMs);

  return {
    /**
     * Erases the threads (locked by the caller, in `uow`'s transaction): rows and record at
     * commit, the Redis tombstone right after, the rest in the background. Answers PENDING.
     */
    async erase(uow: UnitOfWork, threads: readonly Thread[], reason: ErasureReason): Promise<ThreadErasure[]> {
      const erased = await eraseRows(await uow.writer(), threads, reason);
      uow.afterCommit(async () => {
        await tombstoneAll(erased);
        erasing.runIn(0);
      });
      return erased.erasures;
    },

    /** A thread's retainUntil was set: the sweeper wakes by then. */
    retentionSet(at: Date | null): void {
      if (at) sweeping.runIn(Math.max(0, at.getTime() - now().getTime()));
    },

    runOnce,

    /**
     * Sweeps once before it returns, and picks up erasures left pending (by a crash, a tier that
     * was down) in the background: a ClickHouse still starting must not hold up the server.
     */
    async start(): Promise<void> {
      await erasing.start(false);
      await sweeping.start(true);
      if ((await listPendingErasures(db, 1)).length > 0) erasing.runIn(0);
    },

    /** Lets a pass in progress finish; schedules nothing more. */
    async stop(): Promise<void> {
      await Promise.all([sweeping.stop(), erasing.stop()]);
    },
  };
}

export type Eraser = ReturnType<typeof createEraser>;

/** Longest the retention sweeper sleeps: a retainUntil set through another instance is honoured within it. */
const MAX_SWEEP_SLEEP_MS = 3_600_000;
