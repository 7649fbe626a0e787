import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { openArchive, type OpenArchive } from '../archive/open-archive.js';
import type { Config } from '../config.js';
import { createDatabase } from '../db/create-database.js';
import type { Database } from '../db/database.js';
import { openPostgres } from '../db/open-postgres.js';
import { claimDataDir } from '../data-dir/claim-data-dir.js';
import { createRedisClient } from '../storage/redis-client.js';
import type { StreamWorker } from './worker-placement.js';

/** Postgres connections of a worker process: its persister writes one batch at a time. */
const WORKER_POOL_SIZE = 4;

export interface WorkerResources {
  db?: Kysely<Database>;
  archive?: OpenArchive;
  connectRedis(name: string, commandTimeoutMs: number): Promise<Redis>;
  /** Closes Redis connections, the archive and the Postgres pool (stop the workers first). */
  close(): Promise<void>;
}

/**
 * What a worker process needs for the workers it runs, and nothing else: an archiver alone
 * opens no Postgres, a persister alone no archive. Services that are down at start-up are
 * waited for, as in the server (Redis reconnects, the archive retries its migrations).
 */
export async function openWorkerResources(config: Config, log: Logger, redisUrl: string, workers: readonly StreamWorker[]): Promise<WorkerResources> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const closer of closers.splice(0)) await closer().catch((error) => log.warn({ err: error }, 'error while closing'));
  };
  try {
    const db = workers.includes('persister') ? await openDatabase(config, log, closers) : undefined;
    const archive = workers.includes('archiver') ? await openWorkerArchive(config, log, closers) : undefined;
    const connectRedis = async (name: string, commandTimeoutMs: number) => {
      const connection = createRedisClient(redisUrl, { name, log, commandTimeoutMs });
      closers.unshift(() => connection.quit().catch(() => connection.disconnect()));
      await connection.connect().catch((error) => log.warn({ err: error, redis: name }, 'Redis not reachable yet; will keep trying'));
      return connection;
    };
    return { db, archive, connectRedis, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function openDatabase(config: Config, log: Logger, closers: Array<() => Promise<unknown>>): Promise<Kysely<Database>> {
  // Embedded Postgres: this worker runs it, so it must own the DATA_DIR (refused beside a live server).
  if (config.postgres.kind === 'embedded') {
    const claim = await claimDataDir(config.dataDir, log);
    closers.unshift(() => claim.release());
  }
  const postgres = await openPostgres(config, log);
  closers.unshift(() => postgres.release());
  const db = createDatabase({ connectionString: postgres.connectionString, poolSize: WORKER_POOL_SIZE });
  closers.unshift(() => db.destroy());
  return db;
}

async function openWorkerArchive(config: Config, log: Logger, closers: Array<() => Promise<unknown>>): Promise<OpenArchive> {
  let stopping = false;
  const archive = await openArchive(config.clickhouse, log, () => stopping);
  closers.unshift(() => archive.release());
  // Before the release: a migration retry that fails on the closed client then gives up.
  closers.unshift(async () => void (stopping = true));
  return archive;
}
