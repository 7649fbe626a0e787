import type { Redis } from 'ioredis';
import type { ThreadId } from '../ids/id-types.js';
import { luaScript } from './lua-script.js';
import { ERASED_THREADS, threadKeys } from './redis-keys.js';
import { compareStreamIds } from './stream-ids.js';
import { deleteMatchingEntries, firstEntryAt } from './stream-scan.js';

/**
 * A thread's event log (issue 12 §1): a Redis Stream per thread, `threadKeys(id).events`, holding
 * every event published on the thread's channel, whose entry IDs order them. The entry ID is what
 * a subscriber's cursor names, so `threadEvents(after:)` replays exactly what came after it.
 *
 * Every script that publishes a thread event appends it here in the same step (THREAD_EVENT_LOG_LUA),
 * and announces it as `<entryId>\n<json>`, so a live event and its logged copy carry one ID. Beside
 * the log, `eventsFloor` is the newest ID the log no longer covers: the last entry trimmed away, or,
 * for a log that started afresh (its thread's first event, or after Redis lost it), the ID just
 * before its first entry. A cursor below the floor cannot be replayed in full.
 *
 * A streaming message's deltas are entries tagged `d=<messageId>`; its completion deletes them
 * (compaction), so a replay from before the completion carries the completion, not the chunks.
 * A deleted message keeps no text in the log: its deletion removes its events (`forgetMessage`).
 */

/** How much a log keeps: about `maxEvents` entries (THREAD_EVENT_LOG_MAX_EVENTS), for as long as its thread's hot state. */
export interface ThreadEventLogLimits {
  maxEvents: number;
  ttlSeconds: number;
}

/**
 * Lua functions prepended to each script that publishes a thread event.
 * appendThreadEvent(log, floor, threadId, channel, maxLen, ttl, json, deltaOf ('' = not a delta)):
 * appends, trims (in batches of a twentieth of maxLen, recording the floor), renews the log's
 * lifetime and publishes; answers the entry ID. An erased thread's event is published (its
 * subscribers may still be ending) but never logged: nothing may name the thread again.
 */
export const THREAD_EVENT_LOG_LUA = `
local function predecessorOf(id)
  local ms, n = string.match(id, '^(%d+)-(%d+)$')
  if n ~= '0' then return ms .. '-' .. string.format('%.0f', tonumber(n) - 1) end
  return string.format('%.0f', tonumber(ms) - 1) .. '-18446744073709551615'
end
local function appendThreadEvent(log, floor, threadId, channel, maxLen, ttl, json, deltaOf)
  if redis.call('ZSCORE', '${ERASED_THREADS}', redis.sha1hex(threadId)) then
    redis.call('PUBLISH', channel, json)
    return ''
  end
  local fresh = redis.call('EXISTS', log) == 0
  local id
  if deltaOf ~= '' then id = redis.call('XADD', log, '*', 'e', json, 'd', deltaOf)
  else id = redis.call('XADD', log, '*', 'e', json) end
  if fresh then redis.call('SET', floor, predecessorOf(id)) end
  local limit = tonumber(maxLen)
  local excess = redis.call('XLEN', log) - limit
  if excess >= math.max(1, math.floor(limit / 20)) then
    local removed = redis.call('XRANGE', log, '-', '+', 'COUNT', excess)
    redis.call('SET', floor, removed[#removed][1])
    redis.call('XTRIM', log, 'MAXLEN', limit)
  end
  redis.call('EXPIRE', log, ttl)
  redis.call('EXPIRE', floor, ttl)
  redis.call('PUBLISH', channel, id .. '\\n' .. json)
  return id
end
`;

/**
 * What a replay needs, in one step so that no trim falls between the check and the read: the
 * floor, the newest ID, and up to `count` entries after `after` (none when count is 0).
 * KEYS: log, floor  ARGV: after, count
 * Reply: {} without a log, else {floor, lastId, id, json, id, json, …}
 */
const READ_THREAD_EVENTS = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local lastId = '0-0'
for i = 1, #info, 2 do if info[i] == 'last-generated-id' then lastId = info[i + 1] end end
local reply = {redis.call('GET', KEYS[2]) or lastId, lastId}
if tonumber(ARGV[2]) > 0 then
  for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])) do
    reply[#reply + 1] = entry[1]
    reply[#reply + 1] = entry[2][2]
  end
end
return reply
`);

/**
 * The log's newest entry ID, starting the log with an empty marker entry when the thread has none,
 * so that "from now" is a position in a log: a log started later, after Redis lost this one, has a
 * floor above it, and a catch-up from it is then known to be incomplete. '0-0' for an erased thread.
 * KEYS: log, floor  ARGV: threadId, ttlSeconds
 */
const OPEN_THREAD_EVENTS = luaScript(`${THREAD_EVENT_LOG_LUA}
if redis.call('ZSCORE', '${ERASED_THREADS}', redis.sha1hex(ARGV[1])) then return '0-0' end
if redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do if info[i] == 'last-generated-id' then return info[i + 1] end end
end
local id = redis.call('XADD', KEYS[1], '*', 'e', '')
redis.call('SET', KEYS[2], predecessorOf(id))
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return id
`);

/** One logged event, as stored: its entry ID and the JSON its thread's channel carried ('' for the marker a log starts with). */
export interface LoggedThreadEvent {
  entry: string;
  json: string;
}

export interface ThreadEventLogPage {
  /** The newest entry ID the log ever took ('0-0' before its first). */
  head: string;
  entries: LoggedThreadEvent[];
}

/** Reads thread event logs. */
export function createThreadEventLog(redis: Redis, limits: ThreadEventLogLimits) {
  /**
   * Up to `count` entries after `after`, oldest first; null when the log cannot tell everything
   * after it: the thread has no log (never had an event, or Redis lost it), or `after` is below its floor.
   */
  async function read(threadId: ThreadId, after: string, count: number): Promise<ThreadEventLogPage | null> {
    const { events, eventsFloor } = threadKeys(threadId);
    const reply = (await READ_THREAD_EVENTS(redis, [events, eventsFloor], [after, count])) as string[];
    if (reply.length === 0) return null;
    const [floor, head, ...flat] = reply as [string, string, ...string[]];
    if (compareStreamIds(after, floor) < 0) return null;
    const entries: LoggedThreadEvent[] = [];
    for (let index = 0; index < flat.length; index += 2) entries.push({ entry: flat[index] as string, json: flat[index + 1] as string });
    return { head, entries };
  }

  /**
   * Removes a deleted message's events (its MessageAdded, deltas, completion and edits: they hold
   * its text), all but its MessageDeleted; a replay then reads the message from the store, as its
   * tombstone (thread-tail.ts). Repeating it is harmless.
   */
  async function forgetMessage(threadId: ThreadId, messageId: string, createdAt: string): Promise<void> {
    await deleteMatchingEntries(redis, threadKeys(threadId).events, firstEntryAt(createdAt), ([, json = '']) => isEventOfMessage(json, messageId));
  }

  return {
    limits,
    read,
    forgetMessage,
    /** The log's newest entry ID, starting the log if there is none (OPEN_THREAD_EVENTS): "from now" for a subscription. */
    async open(threadId: ThreadId): Promise<string> {
      const { events, eventsFloor } = threadKeys(threadId);
      return (await OPEN_THREAD_EVENTS(redis, [events, eventsFloor], [threadId, limits.ttlSeconds])) as string;
    },
  };
}

export type ThreadEventLog = ReturnType<typeof createThreadEventLog>;

/** Whether a logged event is one of the message's own (its deletion excepted). */
function isEventOfMessage(json: string, messageId: string): boolean {
  if (!json.includes(messageId)) return false;
  let event: { type?: string; messageId?: string; message?: { id?: string } };
  try {
    event = JSON.parse(json);
  } catch {
    return false;
  }
  return event.type !== 'MessageDeleted' && (event.messageId === messageId || event.message?.id === messageId);
}
