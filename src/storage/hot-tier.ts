import type { Redis } from 'ioredis';
import type { Message } from '../domain/message.js';
import type { Thread, ThreadStatus } from '../domain/thread.js';
import type { MessageId, RunId, ThreadId } from '../ids/id-types.js';
import { streamableKindsOf } from '../domain/part-streaming.js';
import { toolCallIdsOf, type ToolCallRefusal, type ToolCallState } from '../domain/message-parts.js';
import {
  INDEX_TOOL_CALLS, INIT_THREAD, PUBLISH_THREAD_EVENT, READ_WINDOW_SLICE, RECORD_CLIENT_ID, REPLACE_WINDOW_ENTRY, RESEED_THREAD, SEND_MESSAGE, SET_IF_HOT,
} from './hot-tier-scripts.js';
import {
  draftKeys, ERASED_THREADS, parseUnpersistedPlace, PERSISTENCE_STREAM, threadChannel, threadKeys, unpersistedMessageKey, viewerChannel, viewerFeedKey,
} from './redis-keys.js';
import { appendViewerEvent, forgetMessageActivity, readViewerFeed, viewerFeedHead } from './viewer-feed.js';
import { execAtomically } from './redis-transaction.js';
import { createThreadEventLog } from './thread-event-log.js';
import { messageOfRecord, type MessageRecord } from './message-record.js';
import { streamFieldsOf, type StreamRecord } from './stream-records.js';
import type { OutboxEntry } from '../repositories/outbox-repository.js';
import { messageAddedEvent, messageChangedEvent, messageCompletedEvent, runStatusChangedEvent, threadUpdatedEvent, type ThreadEventWire } from '../realtime/thread-events.js';

export type Durability = 'HOT' | 'DURABLE' | 'ARCHIVED';

export interface Watermarks {
  persisted: number;
  archived: number;
}

export type AppendOutcome =
  | { status: 'OK' | 'DUPLICATE'; message: Message; watermarks: Watermarks }
  | { status: 'COLD' | 'NOT_FOUND' | 'ARCHIVED' | 'CHECK_CLIENT_ID' | 'CHECK_RUN' | 'CHECK_TOOL_CALLS' }
  | { status: ToolCallRefusal; callId: string };

/** The seqs a read wants from a window: after < seq < before, at most `limit`, from the end of that range when `backwards`. */
export interface SeqRange {
  after?: number | undefined;
  before?: number | undefined;
  limit: number;
  backwards: boolean;
}

/** What a thread's window holds of a range, and what is needed to judge whether that answers a page. */
export interface WindowSlice {
  ownerId: string;
  /** Seq of the window's oldest message; lastSeq + 1 when the window is empty. */
  firstSeq: number;
  /** The thread's counter: its newest seq, Redis-only messages included. */
  lastSeq: number;
  /** The window's messages in the range, oldest first, at most the range's limit; durability judged by `watermarks`. */
  messages: Array<Message & { durability: Durability }>;
  watermarks: Watermarks;
}

export interface HotTierOptions {
  /** Messages kept per thread. */
  windowSize: number;
  /** Idle lifetime of a thread's hot state, seconds. */
  ttlSeconds: number;
  /** Events kept per user in the viewer feed (VIEWER_FEED_MAX_EVENTS). Default 1000. */
  viewerFeedMaxEvents?: number;
  /** Events kept per thread in its event log (THREAD_EVENT_LOG_MAX_EVENTS). Default 1000. */
  threadEventLogMaxEvents?: number;
}

/** How far a message has travelled, judged by its thread's watermarks. */
export function durabilityOf(seq: number, watermarks: Watermarks): Durability {
  if (seq > watermarks.persisted) return 'HOT';
  return seq <= watermarks.archived ? 'ARCHIVED' : 'DURABLE';
}

/**
 * The Redis tier: per-thread sequence counters, recent windows, cached ownership, the
 * persistence stream and event fan-out. Every write is one Lua script, so a message is
 * sequenced, windowed, queued for Postgres and published atomically, or not at all.
 */
export function createHotTier(redis: Redis, options: HotTierOptions) {
  const ttl = String(options.ttlSeconds);
  const feedMax = options.viewerFeedMaxEvents ?? 1_000;
  const feedLimits = { maxEvents: feedMax, ttlSeconds: options.ttlSeconds };
  const eventLog = createThreadEventLog(redis, { maxEvents: options.threadEventLogMaxEvents ?? 1_000, ttlSeconds: options.ttlSeconds });
  const logArgs = [String(eventLog.limits.maxEvents), ttl] as const;

  /** Logs and publishes a thread event, queuing `record` for the stream consumers in the same step when given. */
  async function publish(threadId: ThreadId, event: ThreadEventWire, record?: StreamRecord): Promise<void> {
    const { events, eventsFloor } = threadKeys(threadId);
    await PUBLISH_THREAD_EVENT(
      redis,
      [events, eventsFloor, PERSISTENCE_STREAM],
      [threadId, threadChannel(threadId), ...logArgs, JSON.stringify(event), ...(record ? streamFieldsOf(record) : [])],
    );
  }

  return {
    redis,

    /** Each user's feed of the events of all their threads (viewer-feed.ts), read by viewerEvents. */
    viewerFeed: {
      maxEvents: feedMax,
      read: (ownerId: string, after: string, count: number) => readViewerFeed(redis, ownerId, after, count, feedMax),
      head: (ownerId: string) => viewerFeedHead(redis, ownerId),
    },

    /** Each thread's log of its events (thread-event-log.ts), read by threadEvents(after:) and runUpdated(after:). */
    eventLog,

    async append(record: Omit<MessageRecord, 'seq'>, checkedInPostgres: { clientId?: boolean } = {}): Promise<AppendOutcome> {
      const keys = threadKeys(record.threadId as ThreadId);
      const { calls, results } = toolCallIdsOf(record.parts);
      const reply = (await SEND_MESSAGE(
        redis,
        [
          keys.meta, keys.window, keys.clientIds, keys.runs, PERSISTENCE_STREAM,
          draftKeys(record.id as MessageId).draft, unpersistedMessageKey(record.id as MessageId), keys.toolCalls, viewerFeedKey(record.ownerId),
          keys.events, keys.eventsFloor,
        ],
        [
          record.ownerId,
          JSON.stringify(record),
          record.clientMessageId ?? '',
          record.runId ?? '',
          threadChannel(record.threadId as ThreadId),
          String(options.windowSize),
          checkedInPostgres.clientId ? '1' : '0',
          ttl,
          record.status === 'IN_PROGRESS' ? '1' : '0',
          record.threadId,
          calls.join(' '),
          results.join(' '),
          ...draftArguments(record),
          viewerChannel(record.ownerId),
          String(feedMax),
          logArgs[0],
        ],
      )) as [string, (string | number)?, string?, string?];
      // What follows the status: the seq OK took (the record is the caller's), the earlier message's
      // JSON for DUPLICATE, the callId a TOOL_CALL_* refusal names.
      const [status, detail, persisted, archived] = reply;
      if (status === 'OK') {
        return { status, message: messageOfRecord({ ...record, seq: Number(detail) }), watermarks: toWatermarks(persisted, archived) };
      }
      if (status === 'DUPLICATE') {
        return { status, message: messageOfRecord(JSON.parse(detail as string)), watermarks: toWatermarks(persisted, archived) };
      }
      if (status === 'TOOL_CALL_EXISTS' || status === 'UNKNOWN_TOOL_CALL' || status === 'TOOL_CALL_ANSWERED') return { status, callId: detail as string };
      return { status: status as 'COLD' };
    },

    /** Completes a thread's tool-call index with what Postgres knows (the CHECK_TOOL_CALLS answer). */
    async indexToolCalls(threadId: ThreadId, states: readonly ToolCallState[]): Promise<void> {
      const keys = threadKeys(threadId);
      const pairs = states.flatMap(({ callId, answered }) => [callId, answered ? 'answered' : 'open']);
      await INDEX_TOOL_CALLS(redis, [keys.meta, keys.toolCalls], [ttl, ...pairs]);
    },

    /** Caches what the fast path needs to know about a thread, from its Postgres row; false when the thread was erased meanwhile. */
    async seedThread(thread: Thread): Promise<boolean> {
      const seeded = await INIT_THREAD(redis, [threadKeys(thread.id).meta, ERASED_THREADS], [thread.ownerId, thread.status, String(thread.lastSeq), ttl, thread.id]);
      return Number(seeded) !== -1;
    },

    async reseedThread(threadId: ThreadId, lastSeq: number): Promise<void> {
      const keys = threadKeys(threadId);
      await RESEED_THREAD(redis, [keys.meta, keys.window], [String(lastSeq)]);
    },

    async setThreadStatus(threadId: ThreadId, status: ThreadStatus): Promise<void> {
      await SET_IF_HOT(redis, [threadKeys(threadId).meta], ['status', status]);
    },

    /** Records that a run exists, so messages naming it need no Postgres check. */
    async rememberRun(threadId: ThreadId, runId: RunId): Promise<void> {
      const { runs } = threadKeys(threadId);
      await execAtomically(redis.multi().sadd(runs, runId).expire(runs, options.ttlSeconds));
    },

    /**
     * The last seq Redis handed out in each thread (ahead of Postgres until the persister catches
     * up; 0 for a thread that is not hot), in one round trip, in the order given.
     */
    async lastSeqs(threadIds: readonly ThreadId[]): Promise<number[]> {
      if (threadIds.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const threadId of threadIds) pipeline.hget(threadKeys(threadId).meta, 'seq');
      const replies = (await pipeline.exec()) ?? [];
      return replies.map(([error, value]) => {
        if (error) throw error;
        return Number(value ?? 0);
      });
    },

    /** Slices of many threads' windows in one round trip (one pipeline); absent when not hot. */
    async readSlices(threadIds: readonly ThreadId[], range: SeqRange): Promise<Map<ThreadId, WindowSlice>> {
      const args = [range.after ?? '', range.before ?? '', range.limit, range.backwards ? '1' : '0'];
      if (threadIds.length === 0) return new Map();
      const calls = threadIds.map((threadId) => {
        const keys = threadKeys(threadId);
        return { keys: [keys.meta, keys.window], args };
      });
      const replies = (await READ_WINDOW_SLICE.many(redis, calls)) as string[][];
      const slices = new Map<ThreadId, WindowSlice>();
      replies.forEach(([owner, persisted, archived, firstSeq, lastSeq, ...entries], index) => {
        if (!owner) return;
        const watermarks = toWatermarks(persisted, archived);
        // Durability set as each message is made: a page's messages are not copied again to add it.
        const messages = entries.map((entry) => {
          const message = messageOfRecord(JSON.parse(entry));
          return Object.assign(message, { durability: durabilityOf(message.seq, watermarks) });
        });
        slices.set(threadIds[index] as ThreadId, { ownerId: owner, firstSeq: Number(firstSeq), lastSeq: Number(lastSeq), messages, watermarks });
      });
      return slices;
    },

    /** Messages acked but not yet in Postgres, read from their thread's window at their seq; absent when unknown. */
    async findUnpersisted(messageIds: readonly MessageId[]): Promise<Map<MessageId, { message: Message; ownerId: string; watermarks: Watermarks }>> {
      const found = new Map<MessageId, { message: Message; ownerId: string; watermarks: Watermarks }>();
      if (messageIds.length === 0) return found;
      const places = await redis.mget(...messageIds.map(unpersistedMessageKey));
      await Promise.all(
        places.map(async (place, index) => {
          if (place === null) return;
          const { threadId, seq } = parseUnpersistedPlace(place);
          // Written by an older version without the seq: Postgres has it in a moment.
          if (!Number.isSafeInteger(seq)) return;
          const slice = (await this.readSlices([threadId], { after: seq - 1, limit: 1, backwards: false })).get(threadId);
          const message = slice?.messages.find((candidate) => candidate.id === messageIds[index]);
          if (slice && message) found.set(message.id, { message, ownerId: slice.ownerId, watermarks: slice.watermarks });
        }),
      );
      return found;
    },

    /** Forgets the window index of messages now committed in Postgres. */
    async forgetUnpersisted(messageIds: readonly MessageId[]): Promise<void> {
      if (messageIds.length) await redis.unlink(...messageIds.map(unpersistedMessageKey));
    },

    /**
     * Brings Redis in step with a change committed in Postgres (outbox-relay.ts): queues it on
     * the persistence stream for the persister and the archiver, updates the hot state it
     * concerns, and announces it to the thread's subscribers. Repeating it is harmless: stream
     * consumers write idempotently and subscribers drop what they already have.
     */
    async relay(entry: OutboxEntry): Promise<void> {
      switch (entry.kind) {
        case 'message':
        case 'messageCopied':
        case 'messageCompleted': {
          const record = entry.payload;
          const type = entry.kind === 'messageCompleted' ? 'messageCompleted' : 'message';
          const event = type === 'message' ? messageAddedEvent(record) : messageCompletedEvent(record);
          if (record.clientMessageId != null) {
            const { meta, clientIds } = threadKeys(record.threadId as ThreadId);
            await RECORD_CLIENT_ID(redis, [meta, clientIds], [record.clientMessageId, JSON.stringify(record), ttl]);
          }
          await publish(record.threadId as ThreadId, event, { type, record });
          // A message sequenced in Postgres is activity as one sequenced here is (the send script's own entry).
          if (entry.kind === 'message') await appendViewerEvent(redis, record.ownerId, feedLimits, 'ThreadActivity', record);
          return;
        }
        case 'messageEdited':
        case 'messageDeleted': {
          const record = entry.payload;
          const threadId = record.threadId as ThreadId;
          const keys = threadKeys(threadId);
          await REPLACE_WINDOW_ENTRY(
            redis,
            [keys.meta, keys.window, PERSISTENCE_STREAM, keys.clientIds, keys.events, keys.eventsFloor],
            [
              String(record.seq), record.id, String(record.revision), JSON.stringify(record), entry.kind,
              threadChannel(threadId), JSON.stringify(messageChangedEvent(entry.kind, record)), record.clientMessageId ?? '',
              threadId, ...logArgs,
            ],
          );
          // A deletion keeps the message's text in neither its thread's event log nor its owner's feed.
          if (entry.kind === 'messageDeleted') {
            await eventLog.forgetMessage(threadId, record.id, record.createdAt);
            await forgetMessageActivity(redis, record.ownerId, record.id, record.createdAt);
          }
          return;
        }
        case 'run': {
          const record = entry.payload;
          await this.rememberRun(record.threadId as ThreadId, record.id as RunId);
          await publish(record.threadId as ThreadId, runStatusChangedEvent(record), { type: 'run', record });
          await appendViewerEvent(redis, record.ownerId, feedLimits, 'ViewerRunStatusChanged', record);
          return;
        }
        case 'feedback':
          // For the archive only: a rating is no thread event.
          await redis.xadd(PERSISTENCE_STREAM, '*', ...streamFieldsOf({ type: 'feedback', record: entry.payload }));
          return;
        case 'thread': {
          const thread = entry.payload;
          await this.setThreadStatus(thread.id, thread.status);
          await publish(thread.id, threadUpdatedEvent(thread));
          await appendViewerEvent(redis, thread.ownerId, feedLimits, 'ViewerThreadUpdated', thread);
          return;
        }
        case 'threadCreated':
          // Nothing hot to update yet: the first send seeds the thread's state.
          await appendViewerEvent(redis, entry.payload.ownerId, feedLimits, 'ThreadCreated', entry.payload);
          return;
        case 'threadRead':
          await appendViewerEvent(redis, entry.payload.thread.ownerId, feedLimits, 'ThreadRead', entry.payload);
          return;
      }
    },
  };
}

export type HotTier = ReturnType<typeof createHotTier>;

/** What the send script keeps with a streaming message's draft: its parts' kinds and starting size; nothing for other sends. */
function draftArguments(record: Omit<MessageRecord, 'seq'>): [kinds: string, startingBytes: string] {
  if (record.status !== 'IN_PROGRESS') return ['', '0'];
  const bytes = record.parts ? Buffer.byteLength(JSON.stringify(record.parts), 'utf8') : Buffer.byteLength(record.content, 'utf8');
  return [streamableKindsOf(record.parts), String(bytes)];
}

function toWatermarks(persisted: string | null | undefined, archived: string | null | undefined): Watermarks {
  return { persisted: Number(persisted ?? 0), archived: Number(archived ?? 0) };
}
