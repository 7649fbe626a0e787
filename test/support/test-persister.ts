import type { Kysely } from 'kysely';
import pino from 'pino';
import type { Database } from '../../src/db/database.js';
import { createPersister } from '../../src/storage/persister.js';
import { createRedisClient } from '../../src/storage/redis-client.js';

export interface TestPersister {
  stop(): Promise<void>;
}

/**
 * The Postgres persister on a connection of its own, as `npm run worker` runs it, for tests whose
 * server runs without in-process workers and that decide when the backlog drains.
 */
export async function startTestPersister(redisUrl: string, db: Kysely<Database>, consumer: string, batchSize = 100): Promise<TestPersister> {
  const log = pino({ level: 'silent' });
  const redis = createRedisClient(redisUrl, { name: consumer, log, commandTimeoutMs: 5_000 });
  await redis.connect();
  const persister = createPersister({ redis, db, log, consumer, batchSize, blockMs: 20, claimIdleMs: 30_000 });
  persister.start();
  return {
    async stop() {
      await persister.stop();
      redis.disconnect();
    },
  };
}
