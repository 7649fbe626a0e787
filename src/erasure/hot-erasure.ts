import type { Redis } from 'ioredis';
import type { MessageId, ThreadId } from '../ids/id-types.js';
import { luaScript } from '../storage/lua-script.js';
import { THREAD_EVENT_LOG_LUA } from '../storage/thread-event-log.js';
import { deleteMatchingEntries } from '../storage/stream-scan.js';
import {
  DEAD_LETTER_STREAM, draftKeys, ERASED_THREADS, erasingThreadFeedKey, PERSISTENCE_STREAM, threadChannel, threadKeys, unpersistedMessageKey,
} from '../storage/redis-keys.js';
import { threadDeletedEvent } from '../realtime/thread-events.js';
import { erasureKeyOf } from './erasure-keys.js';
import { appendViewerEvent, forgetFeedEntries, type ViewerFeedLimits } from '../storage/viewer-feed.js';

/**
 * The Redis side of erasing a thread (see erase-threads.ts for the whole): a tombstone first,
 * then, once both consumer groups are past it, every key and stream entry naming the thread.
 */

/** How long the purge can still find the feed of an erasing thread's owner: far longer than an erasure takes. */
const ERASING_OWNER_TTL_SECONDS = 30 * 86_400;

/** How long the ThreadDeleted of a thread whose owner is unknown stays in its event log, if the purge never came: the hot state's default lifetime. */
const TOMBSTONE_LOG_TTL_SECONDS = 7 * 86_400;

/**
 * In one step: the thread joins the erased set (stream consumers drop its entries, no script
 * seeds its hot state again), its hot state, if any, turns DELETED (sends are refused as
 * NOT_FOUND), and its subscribers hear ThreadDeleted, the last entry of its event log (logged
 * before the thread joins the erased set, which ends its logging; a repeat is only published).
 * Replies with the stream's newest entry ID ('0-0' for an empty stream): everything of the thread
 * the consumers could still write is at or before it.
 * KEYS: meta, erasedThreads, stream, events, eventsFloor  ARGV: threadId, nowMs, channel, eventJson, ttlSeconds
 */
const TOMBSTONE_THREAD = luaScript(`${THREAD_EVENT_LOG_LUA}
-- No trim for the last event: the purge removes the whole log soon.
appendThreadEvent(KEYS[4], KEYS[5], ARGV[1], ARGV[3], '1000000000', ARGV[5], ARGV[4], '')
redis.call('ZADD', KEYS[2], ARGV[2], redis.sha1hex(ARGV[1]))
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'status', 'DELETED') end
local newest = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
if newest[1] then return newest[1][1] end
return '0-0'
`);

/**
 * Tombstones the thread (idempotent) and drops its drafts; returns the stream mark. With `feed`,
 * the owner's viewer feed loses every entry naming the thread (its titles, its messages) and gets
 * a ViewerThreadDeleted, which names only its ID (again on a repeat: a client drops a second one).
 * That entry goes too when the erasure completes (purgeThreadFromRedis): until then a resuming
 * client is told of the deletion; after, the thread is simply absent.
 */
export async function tombstoneThread(
  redis: Redis,
  threadId: ThreadId,
  streamingMessageIds: readonly MessageId[],
  now: Date,
  feed: ({ ownerId: string } & ViewerFeedLimits) | null = null,
): Promise<string> {
  const keys = threadKeys(threadId);
  const mark = (await TOMBSTONE_THREAD(
    redis,
    [keys.meta, ERASED_THREADS, PERSISTENCE_STREAM, keys.events, keys.eventsFloor],
    [threadId, now.getTime(), threadChannel(threadId), JSON.stringify(threadDeletedEvent(threadId)), feed?.ttlSeconds ?? TOMBSTONE_LOG_TTL_SECONDS],
  )) as string;
  // No delta or completion may land once the thread is gone: a draft's keys are its only way in.
  const window = await windowEntries(redis, threadId);
  await deleteDrafts(redis, [...streamingMessageIds, ...window.filter((entry) => entry.status === 'IN_PROGRESS').map((entry) => entry.id)]);
  if (feed) {
    await forgetThreadInFeed(redis, feed.ownerId, threadId);
    await redis.set(erasingThreadFeedKey(erasureKeyOf(threadId)), feed.ownerId, 'EX', ERASING_OWNER_TTL_SECONDS);
    await appendViewerEvent(redis, feed.ownerId, feed, 'ViewerThreadDeleted', { threadId });
  }
  return mark;
}

/** Which of these threads are erased (one round trip): the archiver drops their entries. */
export async function findErasedInRedis(redis: Redis, threadIds: readonly string[]): Promise<Set<string>> {
  const unique = [...new Set(threadIds)];
  if (unique.length === 0) return new Set();
  const scores = (await redis.call('ZMSCORE', ERASED_THREADS, ...unique.map(erasureKeyOf))) as Array<string | null>;
  return new Set(unique.filter((_, index) => scores[index] !== null));
}

/**
 * Removes every key and stream entry naming the thread: its hot state (meta, window, client-ID
 * and tool-call indexes, runs), the window index of messages not yet persisted, drafts, its
 * entries in the persistence and dead-letter streams, and its owner's feed's ViewerThreadDeleted. Only the erased set's hash remains.
 */
export async function purgeThreadFromRedis(redis: Redis, threadId: ThreadId): Promise<void> {
  const window = await windowEntries(redis, threadId);
  await deleteDrafts(redis, window.filter((entry) => entry.status === 'IN_PROGRESS').map((entry) => entry.id));
  if (window.length) await redis.unlink(...window.map((entry) => unpersistedMessageKey(entry.id)));
  await redis.unlink(...Object.values(threadKeys(threadId)));
  for (const stream of [PERSISTENCE_STREAM, DEAD_LETTER_STREAM]) await deleteEntriesNaming(redis, stream, threadId);
  const ownerKey = erasingThreadFeedKey(erasureKeyOf(threadId));
  const owner = await redis.get(ownerKey);
  if (owner !== null) await forgetThreadInFeed(redis, owner, threadId);
  await redis.unlink(ownerKey);
}

/** Forgets erased threads older than `before` (they cannot come back once every tier is clean and relays are long done). */
export async function trimErasedThreads(redis: Redis, before: Date): Promise<void> {
  await redis.zremrangebyscore(ERASED_THREADS, '-inf', `(${before.getTime()}`);
}

/** The window's messages: every one not yet persisted is among them (the window never drops those). */
async function windowEntries(redis: Redis, threadId: ThreadId): Promise<Array<{ id: MessageId; status: string }>> {
  const entries = await redis.lrange(threadKeys(threadId).window, 0, -1);
  return entries.map((entry) => JSON.parse(entry) as { id: MessageId; status: string });
}

/** A draft is a hash, part 0's content and one key per further part (message-drafts.ts): two round trips for them all. */
async function deleteDrafts(redis: Redis, messageIds: readonly MessageId[]): Promise<void> {
  const unique = [...new Set(messageIds)];
  if (unique.length === 0) return;
  const kinds = await Promise.all(unique.map((messageId) => redis.hget(draftKeys(messageId).draft, 'kinds')));
  const keys = unique.flatMap((messageId, index) => {
    const { draft, content } = draftKeys(messageId);
    const parts = (kinds[index] ?? 't').length;
    return [draft, content, ...Array.from({ length: Math.max(0, parts - 1) }, (_, part) => `${content}:${part + 1}`)];
  });
  await redis.unlink(...keys);
}

/** Whether a stream entry names the thread in any field (its record, or a dead letter's error). */
const namesThread = (threadId: ThreadId) => (fields: readonly string[]) => fields.some((field) => field.includes(threadId));

/** The feed's entries naming the thread, counted as forgotten so that a replay across them is not refused as trimmed. */
async function forgetThreadInFeed(redis: Redis, ownerId: string, threadId: ThreadId): Promise<void> {
  await forgetFeedEntries(redis, ownerId, '-', namesThread(threadId));
}

/** XDELs every entry of `stream` that names the thread. */
async function deleteEntriesNaming(redis: Redis, stream: string, threadId: ThreadId): Promise<void> {
  await deleteMatchingEntries(redis, stream, '-', namesThread(threadId));
}
