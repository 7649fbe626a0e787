import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { claimOutboxEntries, deleteOutboxEntries, setOutboxEntryAside, type StoredOutboxEntry } from '../repositories/outbox-repository.js';
import type { HotTier } from './hot-tier.js';
import { isLastingRedisRefusal } from './redis-refusals.js';

export interface OutboxRelayOptions {
  db: Kysely<Database>;
  hot: HotTier;
  log: Logger;
  /** Entries relayed per transaction. */
  batchSize?: number;
  /** Wait before trying again after Redis refused, ms. */
  retryIntervalMs?: number;
}

/**
 * One key for every instance's relay: taken for the transaction, so relays on several servers
 * take turns and each thread's entries reach the stream in the order they were committed.
 */
const RELAY_LOCK_KEY = 7_240_051_903;

/**
 * Relays committed outbox entries (outbox-repository.ts) to Redis: onto the persistence stream,
 * so the archiver sees every message whatever path sequenced it, and to the thread's
 * subscribers. Deleted in the transaction that relayed them; a relay cut short repeats them,
 * which is harmless (consumers are idempotent, subscribers drop what they have).
 *
 * It runs when told (`wake`, after a commit that wrote an entry; at start; before the circuit
 * closes) and keeps retrying while entries remain and Redis refuses them. No polling otherwise:
 * an idle server issues no statements.
 */
/**
 * Takes the relays' turn for the rest of the transaction. A thread erasure takes it too: no relay
 * is then between reading a thread's entries and streaming them while its rows are deleted, so
 * nothing of the thread reaches the stream after its tombstone.
 */
export async function lockOutboxRelay(trx: Transaction<Database>): Promise<void> {
  await sql`/* outbox.lockOutboxRelay */ select pg_advisory_xact_lock(${RELAY_LOCK_KEY})`.execute(trx);
}

export function createOutboxRelay(options: OutboxRelayOptions) {
  const { db, hot, log } = options;
  const batchSize = options.batchSize ?? 200;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  /** One batch in one transaction; how many entries it took (relayed or set aside). */
  async function relayBatch(): Promise<number> {
    return db.transaction().execute(async (trx) => {
      await lockOutboxRelay(trx);
      const entries = await claimOutboxEntries(trx, batchSize);
      const relayed: number[] = [];
      for (const entry of entries) {
        if (await relayedOrSetAside(trx, entry)) relayed.push(entry.id);
      }
      await deleteOutboxEntries(trx, relayed);
      return entries.length;
    });
  }

  /**
   * Relays one entry (true), or sets it aside (false) when Redis refuses it for good: retried,
   * it would fail the same way in front of every later entry, and the fast path, which waits for
   * the outbox to drain, would never come back. Anything else (Redis unreachable) fails the batch.
   */
  async function relayedOrSetAside(trx: Transaction<Database>, entry: StoredOutboxEntry): Promise<boolean> {
    try {
      await hot.relay(entry);
      return true;
    } catch (error) {
      if (!isLastingRedisRefusal(error)) throw error;
      await setOutboxEntryAside(trx, entry.id, String(error));
      // An operator must hear of it: Redis, the archive and live subscribers miss this change until it is requeued.
      log.error({ err: error, outboxEntry: entry.id, kind: entry.kind }, 'outbox entry set aside: Redis refused it (README: Outbox entries set aside)');
      return false;
    }
  }

  /** Relays until the outbox is empty; throws what stopped it. */
  async function drainOnce(): Promise<void> {
    while (!stopped && (await relayBatch()) === batchSize);
  }

  /** Runs one drain at a time; a wake during a drain runs another after it, so nothing committed meanwhile waits. */
  function drain(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await drainOnce();
        } while (again && !stopped);
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  function scheduleRetry(): void {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      wake();
    }, options.retryIntervalMs ?? 1_000);
    retry.unref();
  }

  /** Relays what is pending; if Redis refuses, keeps retrying in the background. Never throws. */
  async function relayOrRetry(): Promise<void> {
    if (stopped) return;
    await drain().catch((error: unknown) => {
      log.debug({ err: error }, 'outbox not relayed yet; retrying');
      scheduleRetry();
    });
  }

  function wake(): void {
    void relayOrRetry();
  }

  return {
    wake,
    relayOrRetry,

    /** Relays everything committed so far, or throws; recovery waits for it before the fast path resumes. */
    async relayPending(): Promise<void> {
      // A drain already under way goes round once more before it resolves, so it covers what
      // committed after it began.
      await drain();
    },

    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(retry);
      await running?.catch(() => {});
    },
  };
}

export type OutboxRelay = ReturnType<typeof createOutboxRelay>;
