import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ids } from '../../src/ids/generate-ids.js';
import type { ThreadId } from '../../src/ids/id-types.js';
import { threadKeys } from '../../src/storage/redis-keys.js';
import { advanceWatermarks } from '../../src/storage/watermarks.js';

// The workers move the watermarks of all of a batch's threads in one script: each thread's
// moves only forward, and only where its hot state exists.
describe('advancing the watermarks of a batch', () => {
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(() => redis.quit());

  const persistedOf = async (threadId: ThreadId) => redis.hget(threadKeys(threadId).meta, 'persisted');

  it('moves each hot thread forward, never back, and leaves threads without hot state alone', async () => {
    const [behind, ahead, cold] = [ids.threadId('test'), ids.threadId('test'), ids.threadId('test')];
    await redis.hset(threadKeys(behind).meta, 'persisted', '2', 'archived', '0');
    await redis.hset(threadKeys(ahead).meta, 'persisted', '9', 'archived', '0');

    await advanceWatermarks(redis, 'persisted', new Map([[behind, 5], [ahead, 7], [cold, 3]]));

    expect(await persistedOf(behind)).toBe('5');
    expect(await persistedOf(ahead)).toBe('9');
    expect(await redis.exists(threadKeys(cold).meta)).toBe(0);
    // Each watermark on its own: the archived one did not move.
    expect(await redis.hget(threadKeys(behind).meta, 'archived')).toBe('0');
    await redis.del(threadKeys(behind).meta, threadKeys(ahead).meta);
  });
});
