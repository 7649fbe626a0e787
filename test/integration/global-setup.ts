import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { TestProject } from 'vitest/node';
import { createDatabase } from '../../src/db/create-database.js';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { findRedisServer, startEmbeddedRedis } from '../../src/storage/embedded-redis.js';
import { freePort } from '../support/free-port.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
  }
}

/**
 * One real Postgres for the whole integration run, migrated once: TEST_DATABASE_URL when set,
 * otherwise a throwaway embedded cluster in a temporary directory.
 */
export default async function setup(project: TestProject) {
  const log = pino({ level: 'warn' });
  const external = process.env.TEST_DATABASE_URL;
  let directory: string | undefined;
  let stop = async () => {};
  let url: string;
  if (external) {
    url = external;
  } else {
    directory = await mkdtemp(path.join(os.tmpdir(), 'threadline-test-'));
    // Postgres runs as the unprivileged `postgres` user when we are root: it must be able to enter.
    await chmod(directory, 0o755);
    const postgres = await startEmbeddedPostgres({ directory: path.join(directory, 'postgres'), port: await freePort(), log });
    url = postgres.connectionString;
    stop = postgres.stop;
  }
  const db = createDatabase({ connectionString: url });
  await migrateToLatest(db);
  await db.destroy();
  project.provide('databaseUrl', url);
  const redis = await startTestRedis(log);
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
    await stop();
    if (directory) await rm(directory, { recursive: true, force: true });
  };
}

/** One real redis-server for the run (AOF on, as in production), in its own temporary directory. */
async function startTestRedis(log: pino.Logger) {
  const external = process.env.TEST_REDIS_URL;
  if (external) return { url: external, stop: async () => {} };
  const binary = findRedisServer();
  if (!binary) throw new Error('Integration tests need redis-server (apt-get install redis-server) or TEST_REDIS_URL');
  const directory = await mkdtemp(path.join(os.tmpdir(), 'threadline-test-redis-'));
  const redis = await startEmbeddedRedis(binary, { directory, port: await freePort(), appendFsync: 'everysec', log });
  return {
    url: redis.url,
    stop: async () => {
      await redis.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

