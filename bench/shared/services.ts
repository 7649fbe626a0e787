import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { findRedisServer, startEmbeddedRedis } from '../../src/storage/embedded-redis.js';
import { freePort } from '../../test/support/free-port.js';

export interface BenchServices {
  /** The temporary directory everything lives in (servers use it as DATA_DIR). */
  directory: string;
  databaseUrl: string;
  redisUrl: string;
  /** Settings read back from the running servers, for the report. */
  settings(): Promise<{ postgres: Record<string, string>; redis: Record<string, string> }>;
  /** Stops Redis and Postgres and removes their directory; safe to call twice. */
  stop(): Promise<void>;
}

/** Postgres settings that decide what a commit costs; all left at their defaults. */
const POSTGRES_SETTINGS = [
  'server_version', 'synchronous_commit', 'fsync', 'wal_sync_method', 'full_page_writes', 'commit_delay',
  'shared_buffers', 'wal_buffers', 'max_wal_size', 'checkpoint_timeout', 'max_connections', 'jit',
];
const REDIS_SETTINGS = ['appendonly', 'appendfsync', 'save', 'maxmemory'];

/**
 * A private embedded Postgres and redis-server (AOF on, fsync everysec, as in production), in a
 * temporary directory, on free loopback ports. Nothing is tuned: both paths see the defaults.
 */
export async function startBenchServices(log: Logger): Promise<BenchServices> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'threadline-bench-'));
  // As root, Postgres runs as the `postgres` user: it must be able to enter the directory.
  await chmod(directory, 0o755);
  const stops: Array<() => Promise<void>> = [() => rm(directory, { recursive: true, force: true })];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const step of stops.splice(0)) await step().catch((error) => log.warn({ err: error }, 'bench services: stop step failed'));
  };
  try {
    const postgres = await startEmbeddedPostgres({ directory: path.join(directory, 'postgres'), port: await freePort(), log });
    stops.unshift(postgres.stop);
    const binary = findRedisServer();
    if (!binary) throw new Error('The benchmark needs redis-server (apt-get install redis-server)');
    const redis = await startEmbeddedRedis(binary, { directory: path.join(directory, 'redis'), port: await freePort(), appendFsync: 'everysec', log });
    stops.unshift(redis.stop);
    return {
      directory,
      databaseUrl: postgres.connectionString,
      redisUrl: redis.url,
      settings: () => readSettings(postgres.connectionString, redis.url),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function readSettings(databaseUrl: string, redisUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const postgres: Record<string, string> = {};
  try {
    for (const name of POSTGRES_SETTINGS) postgres[name] = (await client.query(`show ${name}`)).rows[0][name];
  } finally {
    await client.end();
  }
  const redisClient = new Redis(redisUrl, { lazyConnect: true });
  await redisClient.connect();
  const redis: Record<string, string> = {};
  try {
    for (const name of REDIS_SETTINGS) {
      const [, value] = (await redisClient.config('GET', name)) as [string, string];
      redis[name] = value;
    }
    redis.redis_version = /redis_version:(\S+)/.exec(await redisClient.info('server'))?.[1] ?? 'unknown';
  } finally {
    redisClient.disconnect();
  }
  return { postgres, redis };
}
