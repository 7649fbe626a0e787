import type { Redis } from 'ioredis';

/** Entries read per XRANGE: each a short command, so a long scan never holds Redis for others. */
const SCAN_PAGE = 1_000;

/** How far before a message's createdAt its events may lie: the clocks of this server and Redis may differ. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** The first stream entry ID that can hold an event made at `createdAt` (stream IDs are Redis' milliseconds). */
export function firstEntryAt(createdAt: string): string {
  return `${Math.max(0, Date.parse(createdAt) - CLOCK_SKEW_MS)}-0`;
}

/**
 * XDELs the entries of a stream from `from` on that `matches` picks, read page by page from here,
 * not in Lua: a script reading a whole stream of large entries would stall Redis for every user
 * while it ran. Answers how many it deleted. Erasure (a thread's entries) and message deletion
 * (a message's events) both forget this way; repeating it is harmless.
 */
export async function deleteMatchingEntries(
  redis: Redis,
  stream: string,
  from: string,
  matches: (fields: readonly string[]) => boolean,
): Promise<number> {
  let start = from;
  let deleted = 0;
  for (;;) {
    const page = await redis.xrange(stream, start, '+', 'COUNT', SCAN_PAGE);
    const picked = page.filter(([, fields]) => matches(fields)).map(([id]) => id);
    if (picked.length > 0) deleted += await redis.xdel(stream, ...picked);
    if (page.length < SCAN_PAGE) return deleted;
    start = `(${(page.at(-1) as [string, string[]])[0]}`;
  }
}
