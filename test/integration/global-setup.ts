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
 * otherwise a throwaway embedded cluster in a temporary directory. Whatever fails on the way
 * (no redis-server, a migration) stops what had started before the error is reported: a failed
 * run leaves no Postgres or redis-server behind.
 */
export default async function setup(project: TestProject) {
  const log = pino({ level: 'warn' });
  const teardown: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const step of teardown.splice(0)) await step().catch((error) => log.warn({ err: error }, 'integration teardown step failed'));
  };
  try {
    project.provide('databaseUrl', await startTestPostgres(log, teardown));
    const redis = await startTestRedis(log);
    teardown.unshift(redis.stop);
    project.provide('redisUrl', redis.url);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}

/** TEST_DATABASE_URL, or an embedded cluster in a temporary directory; migrated either way. */
async function startTestPostgres(log: pino.Logger, teardown: Array<() => Promise<unknown>>): Promise<string> {
  let url = process.env.TEST_DATABASE_URL;
  if (!url) {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'threadline-test-'));
    teardown.unshift(() => rm(directory, { recursive: true, force: true }));
    // Postgres runs as the unprivileged `postgres` user when we are root: it must be able to enter.
    await chmod(directory, 0o755);
    const postgres = await startEmbeddedPostgres({ directory: path.join(directory, 'postgres'), port: await freePort(), log });
    teardown.unshift(postgres.stop);
    url = postgres.connectionString;
  }
  const db = createDatabase({ connectionString: url });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  return url;
}

/** One real redis-server for the run (AOF on, as in production), in its own temporary directory. */
async function startTestRedis(log: pino.Logger) {
  const external = process.env.TEST_REDIS_URL;
  if (external) return { url: external, stop: async () => {} };
  const binary = findRedisServer();
  if (!binary) throw new Error('Integration tests need redis-server on the PATH (npm run setup installs it) or TEST_REDIS_URL');
  const directory = await mkdtemp(path.join(os.tmpdir(), 'threadline-test-redis-'));
  const redis = await startEmbeddedRedis(binary, { directory, port: await freePort(), appendFsync: 'everysec', log }).catch(async (error) => {
    await rm(directory, { recursive: true, force: true });
    throw error;
  });
  return {
    url: redis.url,
    stop: async () => {
      await redis.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

