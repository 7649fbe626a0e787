import type { Redis } from 'ioredis';
import { clientError } from '../errors/error-codes.js';
import { luaScript } from './lua-script.js';
import { viewerChannel, viewerFeedForgottenKey, viewerFeedKey } from './redis-keys.js';
import { deleteMatchingEntries, firstEntryAt } from './stream-scan.js';
import { compareStreamIds } from './stream-ids.js';

/**
 * The viewer feed in Redis (issue 12 §2): one capped stream per user, `viewerFeedKey(owner)`,
 * whose entry IDs are the cursors of `viewerEvents`. Every entry is `type` and `data` (JSON made
 * by the server, or the message record the send script already holds); each append is announced
 * on `viewerChannel(owner)` as `<cursor>\n<type>\n<data>` in the same step, so a live event needs
 * no read of the stream. The send script appends its ThreadActivity itself (hot-tier-scripts.ts),
 * everything else comes through APPEND_VIEWER_EVENT.
 */

export type ViewerFeedType = 'ThreadCreated' | 'ViewerThreadUpdated' | 'ThreadActivity' | 'ThreadRead' | 'ViewerRunStatusChanged' | 'ViewerThreadDeleted';

/** One entry of a feed, as stored. */
export interface ViewerFeedEntry {
  cursor: string;
  type: ViewerFeedType;
  data: string;
}

/** How much a feed keeps: about `maxEvents` entries (VIEWER_FEED_MAX_EVENTS), and nothing of a user idle for `ttlSeconds` (HOT_STATE_TTL_DAYS). */
export interface ViewerFeedLimits {
  maxEvents: number;
  ttlSeconds: number;
}

/**
 * The append and its announcement, in one step, so no subscriber sees one without the other.
 * KEYS: feed  ARGV: channel, maxLen, type, data, ttlSeconds  Reply: the entry ID (the cursor)
 */
const APPEND_VIEWER_EVENT = luaScript(`
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'type', ARGV[3], 'data', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('PUBLISH', ARGV[1], id .. '\\n' .. ARGV[3] .. '\\n' .. ARGV[4])
return id
`);

/**
 * What a replay needs, read in one step so that no trim falls between the check and the read:
 * how many entries the stream ever took, less those deleted on purpose (viewerFeedForgottenKey),
 * and how many it holds (more taken than held: it was trimmed), its oldest and newest IDs, and up to
 * `count` entries after `after`.
 * KEYS: feed, forgotten  ARGV: after, count
 * Reply: {entriesAdded, length, firstId, lastId, id, type, data, id, type, data, …}; {} without a feed
 */
const READ_VIEWER_FEED = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local fields = {}
for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
local first = fields['first-entry']
local added = fields['entries-added'] - tonumber(redis.call('GET', KEYS[2]) or '0')
local reply = {tostring(added), tostring(fields['length']), first and first[1] or '0-0', fields['last-generated-id']}
local entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])
for _, entry in ipairs(entries) do
  local type, data = '', ''
  for j = 1, #entry[2], 2 do
    if entry[2][j] == 'type' then type = entry[2][j + 1] elseif entry[2][j] == 'data' then data = entry[2][j + 1] end
  end
  reply[#reply + 1] = entry[1]
  reply[#reply + 1] = type
  reply[#reply + 1] = data
end
return reply
`);

const CURSOR = /^(\d{1,15})-(\d{1,15})$/;

/** A cursor as given by a client: a stream entry ID, else BAD_USER_INPUT. */
export function parseFeedCursor(value: string): string {
  if (!CURSOR.test(value)) {
    throw clientError('BAD_USER_INPUT', `"${value.slice(0, 64)}" is not a viewerEvents cursor: pass the cursor of an event you received`);
  }
  return value;
}

/** Appends one event to the owner's feed and announces it; answers its cursor. */
export async function appendViewerEvent(redis: Redis, ownerId: string, limits: ViewerFeedLimits, type: ViewerFeedType, data: unknown): Promise<string> {
  const args = [viewerChannel(ownerId), limits.maxEvents, type, JSON.stringify(data), limits.ttlSeconds];
  return (await APPEND_VIEWER_EVENT(redis, [viewerFeedKey(ownerId)], args)) as string;
}

/**
 * Deletes the entries of the owner's feed that `matches` picks (from `from` on), and counts them as
 * forgotten, not trimmed, so a replay across them is not refused. Repeating it is harmless.
 */
export async function forgetFeedEntries(redis: Redis, ownerId: string, from: string, matches: (fields: readonly string[]) => boolean): Promise<void> {
  const feed = viewerFeedKey(ownerId);
  const deleted = await deleteMatchingEntries(redis, feed, from, matches);
  if (deleted === 0) return;
  const forgotten = viewerFeedForgottenKey(ownerId);
  await redis.incrby(forgotten, deleted);
  // No longer than the feed: a count outliving it would hide the trims of a feed started afresh.
  const ttl = await redis.pttl(feed);
  await (ttl > 0 ? redis.pexpire(forgotten, ttl) : redis.unlink(forgotten));
}

/** Takes a deleted message's ThreadActivity entries out of its owner's feed: the entry's data is the message record, its text included. */
export async function forgetMessageActivity(redis: Redis, ownerId: string, messageId: string, createdAt: string): Promise<void> {
  await forgetFeedEntries(redis, ownerId, firstEntryAt(createdAt), (fields) => isActivityOf(fields, messageId));
}

function isActivityOf(fields: readonly string[], messageId: string): boolean {
  const type = fields[fields.indexOf('type') + 1];
  const data = fields[fields.indexOf('data') + 1] ?? '';
  if (type !== 'ThreadActivity' || !data.includes(messageId)) return false;
  try {
    return (JSON.parse(data) as { id?: string }).id === messageId;
  } catch {
    return false;
  }
}

/** The owner's newest cursor, '0-0' before the first event: "from now" for a subscription without `after`. */
export async function viewerFeedHead(redis: Redis, ownerId: string): Promise<string> {
  const [newest] = await redis.xrevrange(viewerFeedKey(ownerId), '+', '-', 'COUNT', 1);
  return newest?.[0] ?? '0-0';
}

/** A channel message of a viewer channel, back into its entry; undefined for anything else. */
export function parseFeedAnnouncement(message: string): ViewerFeedEntry | undefined {
  const first = message.indexOf('\n');
  const second = message.indexOf('\n', first + 1);
  if (first < 0 || second < 0) return undefined;
  return { cursor: message.slice(0, first), type: message.slice(first + 1, second) as ViewerFeedType, data: message.slice(second + 1) };
}

export interface FeedPage {
  entries: ViewerFeedEntry[];
  /** The feed's newest cursor ('0-0' for a feed with no events yet). */
  lastCursor: string;
}

/** Why a replay from `after` cannot be told in full: entries after it were trimmed away. */
export function feedReplayUnavailable(after: string, maxEvents: number) {
  return clientError(
    'REPLAY_UNAVAILABLE',
    `Cannot replay the viewer events after cursor ${after}: the feed keeps about ${maxEvents} events per user and older ones are gone. Reload what you show, then subscribe to viewerEvents without after`,
    { after, maxEvents },
  );
}

/**
 * Up to `count` entries after `after`, oldest first. REPLAY_UNAVAILABLE when the feed was trimmed
 * past `after` (so something after it may be gone) or has expired; BAD_USER_INPUT for a cursor
 * past the newest event of the feed.
 */
export async function readViewerFeed(redis: Redis, ownerId: string, after: string, count: number, maxEvents: number): Promise<FeedPage> {
  const reply = (await READ_VIEWER_FEED(redis, [viewerFeedKey(ownerId), viewerFeedForgottenKey(ownerId)], [after, count])) as string[];
  if (reply.length === 0) {
    // No feed: a user with no event yet, or one idle past the feed's lifetime, whose events are gone.
    if (compareStreamIds(after, '0-0') > 0) throw feedReplayUnavailable(after, maxEvents);
    return { entries: [], lastCursor: '0-0' };
  }
  const [added, length, firstId, lastId, ...flat] = reply as [string, string, string, string, ...string[]];
  if (compareStreamIds(after, lastId) > 0) throw beyondHead(after, lastId);
  if (Number(added) > Number(length) && compareStreamIds(after, firstId) < 0) throw feedReplayUnavailable(after, maxEvents);
  const entries: ViewerFeedEntry[] = [];
  for (let index = 0; index < flat.length; index += 3) {
    entries.push({ cursor: flat[index] as string, type: flat[index + 1] as ViewerFeedType, data: flat[index + 2] as string });
  }
  return { entries, lastCursor: lastId };
}

function beyondHead(after: string, head: string) {
  return clientError('BAD_USER_INPUT', `Cursor ${after} is past the viewer feed's newest event (${head}): subscribe without after to start from now`);
}
