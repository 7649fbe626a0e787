import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { clearStaleHotStates, listStaleHotStates } from '../repositories/message-records-repository.js';
import type { HotTier } from './hot-tier.js';
import { CONSUMER_GROUPS, PERSISTENCE_STREAM } from './redis-keys.js';

export interface RecoveryOptions {
  /** Longest wait for the persister to drain the stream, ms. Default 15000. */
  drainTimeoutMs?: number;
  /** Runs once the backlog is drained, before the counters are read: the caller stops writes to Postgres that bypass Redis. */
  beforeReseed?: () => Promise<void>;
}

/**
 * Makes Redis safe to use again after writes went straight to Postgres: first every message
 * queued before the outage must be in Postgres (so Postgres's last seq is the truth), then
 * the threads written meanwhile get their counters re-seeded from it.
 */
export async function recoverHotState(hot: HotTier, db: Kysely<Database>, log: Logger, options: RecoveryOptions = {}): Promise<void> {
  await waitForPersisterDrain(hot, options.drainTimeoutMs ?? 15_000);
  await options.beforeReseed?.();
  const stale = await listStaleHotStates(db);
  for (const { threadId, lastSeq } of stale) await hot.reseedThread(threadId, lastSeq);
  await clearStaleHotStates(db, stale);
  if (stale.length) log.info({ threads: stale.length }, 're-seeded hot state of threads written during the Redis outage');
}

async function waitForPersisterDrain(hot: HotTier, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const backlog = await persisterBacklog(hot);
    if (backlog === 0) return;
    if (Date.now() > deadline) throw new Error(`Persister still has ${backlog} entries to write; not resuming the fast path yet`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Entries not yet read plus entries read but not acked, for the Postgres consumer group (a lower bound, 0 only when drained). */
export async function persisterBacklog(hot: HotTier): Promise<number> {
  const groups = (await hot.redis.call('XINFO', 'GROUPS', PERSISTENCE_STREAM).catch((error) => {
    if (String(error).includes('no such key')) return [];
    throw error;
  })) as unknown[][];
  for (const group of groups) {
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < group.length; i += 2) fields.set(String(group[i]), group[i + 1]);
    if (fields.get('name') !== CONSUMER_GROUPS.postgres) continue;
    const pending = Number(fields.get('pending') ?? 0);
    // Not Redis's `lag`: after a kill -9 and an AOF replay, Redis 7.0 can report a lag that stays
    // above 0 for a group that has read everything (entries-read falls behind entries-added for
    // good; seen in bench/fault-soak: lag 1552 with last-delivered-id = last-generated-id), and
    // recovery would wait on it forever. Whether an entry follows the last delivered one is exact.
    const undelivered = await hot.redis.xrange(PERSISTENCE_STREAM, `(${String(fields.get('last-delivered-id'))}`, '+', 'COUNT', 1);
    return pending + undelivered.length;
  }
  // No group yet: nothing has been consumed, so everything in the stream is backlog.
  return Number(await hot.redis.xlen(PERSISTENCE_STREAM));
}
