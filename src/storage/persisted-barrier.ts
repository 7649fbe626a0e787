import type { Redis } from 'ioredis';
import { CONSUMER_GROUPS, PERSISTENCE_STREAM } from './redis-keys.js';
import { compareStreamIds } from './stream-trim.js';

/** How often the barrier looks again, ms. */
const POLL_MS = 5;

/**
 * Waits until Postgres holds every write acknowledged before the call: the Postgres consumer group
 * has read past the stream's newest entry as of now and has nothing at or before it still
 * pending. Later writes do not hold it up, so it ends under any load, within the persister's lag.
 * Returns false when `timeoutMs` passes first (the caller then answers from what Postgres has).
 */
export async function waitUntilPersisted(redis: Redis, timeoutMs: number): Promise<boolean> {
  const [newest] = await redis.xrevrange(PERSISTENCE_STREAM, '+', '-', 'COUNT', 1);
  if (!newest) return true;
  const [tail] = newest;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await groupHasPassed(redis, CONSUMER_GROUPS.postgres, tail)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Whether a consumer group is done with the persistence stream up to `entryId`: it has read past
 * it, and nothing at or before it is still pending (read, not yet written and acked).
 */
export async function groupHasPassed(redis: Redis, groupName: string, entryId: string): Promise<boolean> {
  const groups = (await redis.call('XINFO', 'GROUPS', PERSISTENCE_STREAM)) as unknown[][];
  const group = groups.find((fields) => fields[fields.indexOf('name') + 1] === groupName);
  if (!group) return false;
  const lastDelivered = String(group[group.indexOf('last-delivered-id') + 1]);
  if (compareStreamIds(lastDelivered, entryId) < 0) return false;
  const [count, oldestPending] = (await redis.call('XPENDING', PERSISTENCE_STREAM, groupName)) as [number, string | null];
  return Number(count) === 0 || !oldestPending || compareStreamIds(oldestPending, entryId) > 0;
}
