import type { MessageId, ThreadId } from '../ids/id-types.js';

/**
 * Every Redis key and channel name, from one place. Per-thread keys share a hash tag
 * (`{threadId}`) so one Lua script may touch them all, on one node, under Redis Cluster too.
 */
export function threadKeys(threadId: ThreadId) {
  const tag = `tl:{${threadId}}`;
  return {
    /** Hash: owner, status, seq (last assigned), persisted (watermark), coldClientIds, callsIndexed. */
    meta: `${tag}:meta`,
    /** List of message JSON, oldest first: the recent window reads are served from. */
    window: `${tag}:window`,
    /** Hash: clientMessageId → message JSON, for idempotent sends. */
    clientIds: `${tag}:cmid`,
    /** Set of the thread's run IDs known to exist in Postgres. */
    runs: `${tag}:runs`,
    /** Hash: callId → open | answered, for the thread's tool calls (complete once meta's callsIndexed is 1). */
    toolCalls: `${tag}:calls`,
    /** Stream of every event published on the thread's channel, whose entry IDs are its subscribers' cursors (thread-event-log.ts). */
    events: `${tag}:events`,
    /** String: the newest event ID the log no longer covers (thread-event-log.ts). */
    eventsFloor: `${tag}:events:floor`,
  };
}

/** The persistence stream: every acked message, read by the Postgres and ClickHouse consumer groups. */
export const PERSISTENCE_STREAM = 'tl:stream';
/** Entries that failed too often to be written, with their error, kept for inspection and replay. */
export const DEAD_LETTER_STREAM = 'tl:stream:dead';
/**
 * Sorted set of erased threads: SHA-1 hex of the thread ID (erasure-keys.ts; Lua's redis.sha1hex
 * gives the same) → when it was erased, ms. Never the ID itself: it outlives the thread's keys.
 * Stream consumers drop entries of these threads, and no script seeds hot state for one again.
 */
export const ERASED_THREADS = 'tl:erased';
/**
 * Whose viewer feed holds an erasing thread's ViewerThreadDeleted, by the thread's SHA-1 hex
 * (erasure-keys.ts): the purge removes that entry too, so that nothing names the thread once the
 * erasure is complete. Set at the tombstone, deleted by the purge.
 */
export function erasingThreadFeedKey(threadHash: string): string {
  return `tl:erasing:${threadHash}:feed-owner`;
}

/** Consumer group names on the persistence stream. */
export const CONSUMER_GROUPS = { postgres: 'postgres', clickhouse: 'clickhouse' } as const;

/**
 * Where a message not yet in Postgres sits, `<threadId>:<seq>`, so `message(id:)` can read it
 * from its thread's window. Set by the send script, removed by the persister after commit.
 */
export function unpersistedMessageKey(messageId: MessageId): string {
  return `tl:unpersisted:${messageId}`;
}

export function parseUnpersistedPlace(place: string): { threadId: ThreadId; seq: number } {
  const [threadId, seq] = place.split(':');
  return { threadId: threadId as ThreadId, seq: Number(seq) };
}

/**
 * A viewer's feed (issue 12 §2): a capped Redis Stream of the events of all the owner's threads,
 * whose entry IDs are the feed's cursors. Tagged by the owner, so every entry of one user sits in
 * one slot (under Redis Cluster the send script would need the thread's keys there too: see README).
 */
export function viewerFeedKey(ownerId: string): string {
  return `tl:{u:${ownerId}}:feed`;
}

/**
 * How many entries were deleted from a viewer's feed (a deleted message's activity, an erased
 * thread's events) rather than trimmed: a replay subtracts them before deciding the feed was trimmed.
 */
export function viewerFeedForgottenKey(ownerId: string): string {
  return `tl:{u:${ownerId}}:feedForgotten`;
}

/** The pub/sub channel announcing each new entry of a viewer's feed to every server instance. */
export function viewerChannel(ownerId: string): string {
  return `tl:viewer:${ownerId}`;
}

export const CHANNEL_PREFIX = 'tl:events:';

/** The pub/sub channel carrying one thread's events to every server instance. */
export function threadChannel(threadId: ThreadId): string {
  return `${CHANNEL_PREFIX}${threadId}`;
}

/**
 * A streaming message's draft: a hash (owner, channel, seq, record, chunks) and its content
 * so far. Keyed by message ID, because deltas name only the message.
 */
export function draftKeys(messageId: MessageId) {
  return { draft: `tl:draft:${messageId}`, content: `tl:draft:${messageId}:content` };
}
