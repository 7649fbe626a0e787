import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { createDatabase } from '../../src/db/create-database.js';
import type { Database } from '../../src/db/database.js';
import { ids } from '../../src/ids/generate-ids.js';
import { insertMessageRecords } from '../../src/repositories/message-records-repository.js';
import { createPersister } from '../../src/storage/persister.js';
import { createRedisClient } from '../../src/storage/redis-client.js';
import { CONSUMER_GROUPS, PERSISTENCE_STREAM } from '../../src/storage/redis-keys.js';
import type { MessageRecord } from '../../src/storage/message-record.js';
import { streamFieldsOf } from '../../src/storage/stream-records.js';
import { messageContent } from './payload.js';
import { seedBenchThreads } from './servers.js';
import { median } from '../shared/stats.js';
import { persisterBacklog } from './stream-backlog.js';

export interface PersisterSettings {
  rounds: number;
  threads: number;
  contentBytes: number;
  batchSize: number;
  /** Rows written in batches per round. */
  batchedRows: number;
  /** Rows written one statement (one commit) each per round; a round also stops after maxPerRowSec. */
  perRowRows: number;
  maxPerRowSec: number;
  /** Concurrent single-row writers in the informational "per-row, concurrent" variant. */
  perRowConcurrency: number;
  /** Rows queued on the stream for the end-to-end drain of the real persister. */
  drainRows: number;
  maxDrainSec: number;
}

interface Round {
  batched: number;
  perRow: number;
  perRowConcurrent: number;
  persisterDrain: number;
}

/**
 * (2) Persister throughput, rows/s: insertMessageRecords with `batchSize`-row batches (what the
 * persister does) against one single-row statement per commit, on the same kind of rows in the
 * same database, alternating; plus the whole persister (XREADGROUP → insert → XACK → watermarks)
 * draining a pre-filled stream in a Redis database of its own (db 1), so the servers' stream is untouched.
 */
export async function measurePersisterThroughput(urls: { databaseUrl: string; redisUrl: string }, settings: PersisterSettings) {
  const db = createDatabase({ connectionString: urls.databaseUrl, poolSize: Math.max(10, settings.perRowConcurrency) });
  try {
    const threads = await seedBenchThreads(db, 'persist', settings.threads);
    const rows = createRowFactory(threads.map((thread) => thread.threadId), settings.contentBytes);
    const rounds: Round[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      const batched = await timeRows(async () => {
        const all = rows.next(settings.batchedRows);
        for (let i = 0; i < all.length; i += settings.batchSize) await insertMessageRecords(db, all.slice(i, i + settings.batchSize));
        return all.length;
      });
      const perRow = await timeRows(() => writeOneByOne(db, rows, settings.perRowRows, 1, settings.maxPerRowSec));
      const perRowConcurrent = await timeRows(() =>
        writeOneByOne(db, rows, settings.perRowRows, settings.perRowConcurrency, settings.maxPerRowSec),
      );
      const persisterDrain = await drainThroughPersister(db, urls.redisUrl, rows.next(settings.drainRows), settings);
      rounds.push({ batched, perRow, perRowConcurrent, persisterDrain });
      console.log(
        `  persister round ${round + 1}: batched ${batched.toFixed(0)} rows/s, per-row ${perRow.toFixed(0)} rows/s,` +
          ` per-row x${settings.perRowConcurrency} ${perRowConcurrent.toFixed(0)} rows/s, persister drain ${persisterDrain.toFixed(0)} rows/s`,
      );
    }
    const medians = {
      batched: median(rounds.map((r) => r.batched)),
      perRow: median(rounds.map((r) => r.perRow)),
      perRowConcurrent: median(rounds.map((r) => r.perRowConcurrent)),
      persisterDrain: median(rounds.map((r) => r.persisterDrain)),
    };
    return {
      settings,
      rounds,
      medians,
      ratios: {
        batchedOverPerRow: medians.batched / medians.perRow,
        persisterDrainOverPerRow: medians.persisterDrain / medians.perRow,
        batchedOverPerRowConcurrent: medians.batched / medians.perRowConcurrent,
      },
    };
  } finally {
    await db.destroy();
  }
}

/** Runs `write` (which returns how many rows it wrote) and answers rows per second. */
async function timeRows(write: () => Promise<number>): Promise<number> {
  const started = performance.now();
  const count = await write();
  return count / ((performance.now() - started) / 1000);
}

/** `total` rows, one statement each (autocommit: one commit per row), from `concurrency` writers. */
async function writeOneByOne(db: Kysely<Database>, rows: RowFactory, total: number, concurrency: number, maxSec: number): Promise<number> {
  const deadline = performance.now() + maxSec * 1000;
  const all = rows.next(total);
  let next = 0;
  const writer = async () => {
    while (next < all.length && performance.now() < deadline) await insertMessageRecords(db, [all[next++] as MessageRecord]);
  };
  await Promise.all(Array.from({ length: concurrency }, writer));
  return next;
}

/** Queues `records` on a private stream (Redis db 1), then times the real persister draining it. */
async function drainThroughPersister(db: Kysely<Database>, redisUrl: string, records: MessageRecord[], settings: PersisterSettings): Promise<number> {
  const log = pino({ level: 'warn' });
  const url = `${redisUrl}/1`;
  const redis = createRedisClient(url, { name: 'bench-drain-fill', log, commandTimeoutMs: 10_000 });
  const persisterRedis = createRedisClient(url, { name: 'bench-drain-persister', log, commandTimeoutMs: 10_000 });
  await Promise.all([redis.connect(), persisterRedis.connect()]);
  const persister = createPersister({
    redis: persisterRedis, db, log, consumer: 'bench-drain', batchSize: settings.batchSize, blockMs: 20, claimIdleMs: 30_000,
  });
  try {
    await redis.del(PERSISTENCE_STREAM);
    await redis.xgroup('CREATE', PERSISTENCE_STREAM, CONSUMER_GROUPS.postgres, '0', 'MKSTREAM');
    await Promise.all(records.map((record) => redis.xadd(PERSISTENCE_STREAM, '*', ...streamFieldsOf({ type: 'message', record }))));
    const started = performance.now();
    persister.start();
    const deadline = started + settings.maxDrainSec * 1000;
    while (performance.now() < deadline) {
      if ((await persisterBacklog(redis)).drained) return records.length / ((performance.now() - started) / 1000);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`the persister did not drain ${records.length} entries in ${settings.maxDrainSec} s`);
  } finally {
    await persister.stop();
    await redis.del(PERSISTENCE_STREAM).catch(() => {});
    redis.disconnect();
    persisterRedis.disconnect();
  }
}

type RowFactory = ReturnType<typeof createRowFactory>;

/** Message records as the hot tier queues them: sequenced per thread, round robin over the threads. */
function createRowFactory(threadIds: string[], contentBytes: number) {
  const seqs = new Map(threadIds.map((id) => [id, 0]));
  let n = 0;
  return {
    next(count: number): MessageRecord[] {
      return Array.from({ length: count }, () => {
        const index = n % threadIds.length;
        const threadId = threadIds[index] as string;
        const seq = (seqs.get(threadId) ?? 0) + 1;
        seqs.set(threadId, seq);
        n++;
        return {
          id: ids.messageId(),
          threadId,
          ownerId: `bench-persist-${index}`,
          runId: null,
          role: 'USER',
          content: messageContent(n, contentBytes),
          metadata: { client: 'bench', locale: 'en-GB', n },
          seq,
          clientMessageId: null,
          parts: null,
          actor: null,
          createdAt: new Date().toISOString(),
          status: 'COMPLETED', revision: 1, editedAt: null, deletedAt: null,
        };
      });
    },
  };
}
