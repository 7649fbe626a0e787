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

/** Where a consumer group stands on the persistence stream: what it has read, and its oldest entry read but not acked. */
export interface GroupProgress {
  lastDelivered: string;
  oldestPending: string | null;
}

/** Every consumer group's progress (or only the group named), by name: one round trip, and one more per group. */
export async function readGroupProgress(redis: Redis, only?: string): Promise<Map<string, GroupProgress>> {
  const groups = (await redis.call('XINFO', 'GROUPS', PERSISTENCE_STREAM)) as unknown[][];
  const progress = new Map<string, GroupProgress>();
  for (const fields of groups) {
    const name = String(fields[fields.indexOf('name') + 1]);
    if (only !== undefined && name !== only) continue;
    const [count, oldestPending] = (await redis.call('XPENDING', PERSISTENCE_STREAM, name)) as [number, string | null];
    progress.set(name, { lastDelivered: String(fields[fields.indexOf('last-delivered-id') + 1]), oldestPending: Number(count) === 0 ? null : oldestPending });
  }
  return progress;
}

/**
 * Whether a group is done with the stream up to `entryId`: it has read past it, and nothing at or
 * before it is still pending (read, not yet written and acked). An absent group has not.
 */
export function hasPassed(progress: GroupProgress | undefined, entryId: string): boolean {
  if (!progress || compareStreamIds(progress.lastDelivered, entryId) < 0) return false;
  return progress.oldestPending === null || compareStreamIds(progress.oldestPending, entryId) > 0;
}

export async function groupHasPassed(redis: Redis, groupName: string, entryId: string): Promise<boolean> {
  return hasPassed((await readGroupProgress(redis, groupName)).get(groupName), entryId);
}
