import type { Redis } from 'ioredis';
import { CONSUMER_GROUPS, PERSISTENCE_STREAM } from '../../src/storage/redis-keys.js';

export interface Backlog {
  /** Read by the persister but not yet acked (in its batch in hand). */
  pending: number;
  /** Not yet delivered to the persister's group (Redis 7 `lag`; null if unknown). */
  undelivered: number | null;
  /** Everything delivered and acked. */
  drained: boolean;
}

/** How far the persister's consumer group is behind on the persistence stream. */
export async function persisterBacklog(redis: Redis): Promise<Backlog> {
  const groups = ((await redis.xinfo('GROUPS', PERSISTENCE_STREAM)) as Array<Array<string | number | null>>).map(toObject);
  const group = groups.find((g) => g.name === CONSUMER_GROUPS.postgres);
  if (!group) return { pending: 0, undelivered: null, drained: false };
  const newest = ((await redis.xrevrange(PERSISTENCE_STREAM, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>)[0];
  const pending = Number(group.pending);
  const caughtUp = newest === undefined || group['last-delivered-id'] === newest[0];
  return { pending, undelivered: typeof group.lag === 'number' ? group.lag : null, drained: pending === 0 && caughtUp };
}

/** Waits (polling every 20 ms, at most `timeoutMs`) until the persister has drained the stream; returns the wait, ms. */
export async function waitForDrain(redis: Redis, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await persisterBacklog(redis)).drained) {
    if (Date.now() - started > timeoutMs) throw new Error(`the persister did not drain the stream within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

function toObject(flat: Array<string | number | null>): Record<string, string | number | null> {
  const object: Record<string, string | number | null> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) object[String(flat[i])] = flat[i + 1] as string | number | null;
  return object;
}
