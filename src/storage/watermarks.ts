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

/** KEYS: the threads' meta hashes  ARGV: the watermark, then each thread's seq, in the order of KEYS. */
const ADVANCE = luaScript(`
for i = 1, #KEYS do
  local current = tonumber(redis.call('HGET', KEYS[i], ARGV[1]) or '-1')
  if current >= 0 and tonumber(ARGV[i + 1]) > current then redis.call('HSET', KEYS[i], ARGV[1], ARGV[i + 1]) end
end
return 0`);

/**
 * Every thread of a batch in one script: a batch spread over many threads (a busy server's
 * usual one) cost a script call per thread, on the worker's event loop and in Redis, about one
 * per message. Like the send script, it spans the keys of several threads (see README on Redis Cluster).
 */
export async function advanceWatermarks(redis: Redis, watermark: Watermark, maxSeqByThread: Map<ThreadId, number>): Promise<void> {
  if (maxSeqByThread.size === 0) return;
  const threads = [...maxSeqByThread];
  await ADVANCE(redis, threads.map(([threadId]) => threadKeys(threadId).meta), [watermark, ...threads.map(([, seq]) => String(seq))]);
}

/** The highest seq per thread in a batch of records. */
export function maxSeqByThread(records: Iterable<{ threadId: string; seq: number }>): Map<ThreadId, number> {
  const max = new Map<ThreadId, number>();
  for (const { threadId, seq } of records) max.set(threadId as ThreadId, Math.max(seq, max.get(threadId as ThreadId) ?? 0));
  return max;
}
