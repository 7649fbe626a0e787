import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/database.js';
import type { ThreadId } from '../../src/ids/id-types.js';
import { PERSISTENCE_STREAM, threadKeys } from '../../src/storage/redis-keys.js';
import { ownerRows } from './owner-rows.js';

/**
 * Everything a refused write to a thread could have touched: its owner's rows, the thread's hot
 * state (counter, window, tool-call index) and its entries on the persistence stream. Equal
 * before and after a refusal, it proves the refusal changed nothing in Postgres or Redis.
 */
export async function threadFootprint(db: Kysely<Database>, redis: Redis, ownerId: string, threadId: ThreadId) {
  const keys = threadKeys(threadId);
  return {
    rows: await ownerRows(db, ownerId),
    seq: await redis.hget(keys.meta, 'seq'),
    window: await redis.lrange(keys.window, 0, -1),
    toolCalls: await redis.hgetall(keys.toolCalls),
    streamed: (await redis.xrange(PERSISTENCE_STREAM, '-', '+')).filter(([, fields]) => fields.join(' ').includes(threadId)).length,
  };
}
