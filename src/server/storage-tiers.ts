import os from 'node:os';
import type { Redis } from 'ioredis';
import type { Kysely, LogEvent } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { cancelRunningStatements, createDatabase } from '../db/create-database.js';
import type { Database } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { openPostgres } from '../db/open-postgres.js';
import { claimDataDir } from '../data-dir/claim-data-dir.js';
import { createHotTier } from '../storage/hot-tier.js';
import { createMessageStore, type MessageStore } from '../storage/message-store.js';
import { openRedis } from '../storage/open-redis.js';
import { createRedisClient } from '../storage/redis-client.js';
import { openArchive, type OpenArchive } from '../archive/open-archive.js';
import { startStreamWorkers } from '../workers/start-stream-workers.js';
import { serverStreamWorkers } from '../workers/worker-placement.js';
import { createEraser, type Eraser } from '../erasure/eraser.js';

export interface StorageTiers {
  db: Kysely<Database>;
  redis: Redis | null;
  messageStore: MessageStore;
  archive: OpenArchive;
  /** Thread erasure across the tiers; its background passes run in every server. */
  eraser: Eraser;
  /** A fresh Redis connection for a blocking reader or a subscriber; null without Redis. */
  newRedisConnection(name: string, commandTimeoutMs?: number): Promise<Redis | null>;
  /** Stops workers, closes clients and pools, then stops embedded servers. */
  close(): Promise<void>;
}

type Closers = Array<() => Promise<unknown>>;

/**
 * Opens Postgres (migrated), Redis (or none) and the message store; starts the persister if
 * configured. When any step fails, what had opened is closed again before the error is thrown:
 * an embedded Postgres or redis-server must not outlive a failed start.
 */
export async function openStorageTiers(config: Config, log: Logger, onQuery?: (event: LogEvent) => void): Promise<StorageTiers> {
  const closers: Closers = [];
  const close = async () => {
    for (const step of closers.splice(0)) await step().catch((error) => log.warn({ err: error }, 'error while closing'));
  };
  try {
    return { ...(await openEachTier(config, log, closers, onQuery)), close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function openEachTier(config: Config, log: Logger, closers: Closers, onQuery?: (event: LogEvent) => void): Promise<Omit<StorageTiers, 'close'>> {
  // The embedded servers belong to one live process per DATA_DIR; a dead owner's are stopped first.
  if (config.postgres.kind === 'embedded' || config.redis.kind === 'embedded') {
    const claim = await claimDataDir(config.dataDir, log);
    closers.unshift(() => claim.release());
  }
  const postgres = await openPostgres(config, log);
  closers.unshift(() => postgres.release());
  const db = createDatabase({ connectionString: postgres.connectionString, poolSize: config.postgres.poolSize, onQuery });
  closers.unshift(async () => {
    // Workers have stopped by now: a statement still running belongs to a request cut at the shutdown deadline.
    const cancelled = await cancelRunningStatements(db).catch(() => 0);
    if (cancelled > 0) log.warn({ cancelled }, 'cancelled statements of requests cut at shutdown');
    await db.destroy();
  });
  await migrateToLatest(db);

  const redisEndpoint = await openRedis(config, log);
  if (redisEndpoint) closers.unshift(() => redisEndpoint.release());
  // Connections keep reconnecting on their own; an unreachable Redis at start-up means degraded, not dead.
  const newRedisConnection = async (name: string, commandTimeoutMs?: number) => {
    if (!redisEndpoint) return null;
    const connection = createRedisClient(redisEndpoint.url, { name, log, commandTimeoutMs });
    closers.unshift(() => connection.quit().catch(() => connection.disconnect()));
    await connection.connect().catch((error) => log.warn({ err: error, redis: name }, 'Redis not reachable yet; will keep trying'));
    return connection;
  };
  const redis = await newRedisConnection('threadline-hot');
  const messageStore = createMessageStore({ db, hot: redis ? createHotTier(redis, config.hotTier) : null, log });
  closers.unshift(() => messageStore.stop());

  let stopping = false;
  closers.unshift(async () => void (stopping = true));
  const archive = await openArchive(config.clickhouse, log, () => stopping);
  closers.unshift(() => archive.release());
  if (redis) {
    const workers = await startStreamWorkers(serverStreamWorkers(config), {
      config,
      log,
      db,
      archive,
      consumer: `${os.hostname()}-${process.pid}`,
      connectRedis: async (name, commandTimeoutMs) => (await newRedisConnection(name, commandTimeoutMs)) as Redis,
    });
    closers.unshift(() => workers.stop());
  }
  // Every server runs one: it holds the three tiers, and its steps are idempotent across instances.
  const viewerFeed = { maxEvents: config.hotTier.viewerFeedMaxEvents, ttlSeconds: config.hotTier.ttlSeconds };
  const eraser = createEraser({ db, redis, archive, log, ...config.erasure, viewerFeed });
  await eraser.start();
  closers.unshift(() => eraser.stop());

  return { db, redis, messageStore, archive, eraser, newRedisConnection };
}
