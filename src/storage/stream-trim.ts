import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CONSUMER_GROUPS, PERSISTENCE_STREAM } from './redis-keys.js';

/**
 * Keeps the persistence stream from growing forever: entries that every consumer group has
 * read and acknowledged are deleted (XTRIM MINID). Nothing is trimmed until both groups exist,
 * since an entry a group has not read yet is that group's backlog.
 */
export async function trimAcknowledgedEntries(redis: Redis): Promise<number> {
  const groups = (await redis.call('XINFO', 'GROUPS', PERSISTENCE_STREAM).catch(() => [])) as unknown[][];
  const byName = new Map(groups.map((fields) => [String(fieldOf(fields, 'name')), fields]));
  const safePoints: string[] = [];
  for (const group of Object.values(CONSUMER_GROUPS)) {
    const fields = byName.get(group);
    if (!fields) return 0;
    // The oldest entry still pending in the group, else everything up to what it last read is done.
    const [count, oldestPending] = (await redis.call('XPENDING', PERSISTENCE_STREAM, group)) as [number, string | null];
    safePoints.push(Number(count) > 0 && oldestPending ? oldestPending : String(fieldOf(fields, 'last-delivered-id')));
  }
  const minId = safePoints.sort(compareStreamIds)[0];
  if (!minId || minId === '0-0') return 0;
  return Number(await redis.xtrim(PERSISTENCE_STREAM, 'MINID', minId));
}

/** Trims on an interval until stopped. Default every 10 s. */
export function startStreamTrimming(redis: Redis, log: Logger, intervalMs = 10_000) {
  const timer = setInterval(() => {
    trimAcknowledgedEntries(redis).then(
      (trimmed) => trimmed > 0 && log.debug({ trimmed }, 'trimmed acknowledged stream entries'),
      (error) => log.debug({ err: error }, 'stream trim skipped'),
    );
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function fieldOf(fields: unknown[], name: string): unknown {
  const index = fields.indexOf(name);
  return index >= 0 ? fields[index + 1] : undefined;
}

/** Stream IDs are `<ms>-<seq>`; compare numerically, part by part. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0n, aSeq = 0n] = a.split('-').map(BigInt);
  const [bMs = 0n, bSeq = 0n] = b.split('-').map(BigInt);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1;
}
