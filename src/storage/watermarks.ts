import type { Redis } from 'ioredis';
import type { ThreadId } from '../ids/id-types.js';
import { luaScript } from './lua-script.js';
import { threadKeys } from './redis-keys.js';

/**
 * How far each thread's messages have travelled: `persisted` (committed in Postgres) and
 * `archived` (inserted in ClickHouse), as the highest seq, kept in the thread's meta hash.
 * Only moves forward, and only on threads whose hot state exists.
 */
export type Watermark = 'persisted' | 'archived';

const ADVANCE = luaScript(`
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
if current >= 0 and tonumber(ARGV[2]) > current then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 0`);

export async function advanceWatermarks(redis: Redis, watermark: Watermark, maxSeqByThread: Map<ThreadId, number>): Promise<void> {
  await Promise.all(
    [...maxSeqByThread].map(([threadId, seq]) => ADVANCE(redis, [threadKeys(threadId).meta], [watermark, String(seq)])),
  );
}

/** The highest seq per thread in a batch of records. */
export function maxSeqByThread(records: Iterable<{ threadId: string; seq: number }>): Map<ThreadId, number> {
  const max = new Map<ThreadId, number>();
  for (const { threadId, seq } of records) max.set(threadId as ThreadId, Math.max(seq, max.get(threadId as ThreadId) ?? 0));
  return max;
}
