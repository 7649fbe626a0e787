import type { Message } from '../domain/message.js';
import type { Run } from '../domain/run.js';
import type { Thread } from '../domain/thread.js';
import type { MessageId, ThreadId } from '../ids/id-types.js';
import { messageOfRecord, type MessageRecord } from '../storage/message-record.js';
import type { RunRecord } from '../storage/stream-records.js';

/**
 * Events published on a thread's channel (redis-keys.ts `threadChannel`), as JSON. MessageAdded
 * is published by the send script inside Redis; the rest by the server after commit.
 */
export type ThreadEventWire =
  | { type: 'MessageAdded'; seq: number; message: MessageRecord }
  | { type: 'ThreadUpdated'; thread: ThreadWire }
  | { type: 'RunStatusChanged'; run: RunRecord }
  | { type: 'MessageDelta'; threadId: string; messageId: string; seq: number; index: number; partIndex?: number; delta: string }
  | { type: 'MessageCompleted'; seq: number; message: MessageRecord }
  | { type: 'MessageEdited'; seq: number; message: MessageRecord }
  | { type: 'MessageDeleted'; threadId: string; messageId: string; seq: number }
  | { type: 'ThreadDeleted'; threadId: string };

export type ThreadWire = Omit<Thread, 'createdAt' | 'updatedAt' | 'retainUntil'> & { createdAt: string; updatedAt: string; retainUntil?: string | null };

/**
 * The decoded, typed form handed to subscribers. `entry` is the event's ID in its thread's event
 * log (thread-event-log.ts); an event that was never logged (published before logs existed, of an
 * erased thread, or replayed from the message store) has none.
 */
export type ThreadEvent = { entry?: string } & (
  | { type: 'MessageAdded'; threadId: ThreadId; seq: number; message: Message }
  | { type: 'ThreadUpdated'; threadId: ThreadId; thread: Thread }
  | { type: 'RunStatusChanged'; threadId: ThreadId; run: Run }
  /** A chunk of a streaming assistant message; `index` counts chunks from 0. */
  | { type: 'MessageDelta'; threadId: ThreadId; messageId: MessageId; seq: number; index: number; partIndex?: number; delta: string }
  /** A streaming message finished; `message.content` is the concatenation of its deltas. */
  | { type: 'MessageCompleted'; threadId: ThreadId; seq: number; message: Message }
  /** A message got a new revision (editMessage). */
  | { type: 'MessageEdited'; threadId: ThreadId; seq: number; message: Message }
  /** The message at `seq` is a tombstone now (deleteMessage). */
  | { type: 'MessageDeleted'; threadId: ThreadId; messageId: MessageId; seq: number }
  /** The thread was deleted: the last event of every subscription to it. */
  | { type: 'ThreadDeleted'; threadId: ThreadId });

export function threadWireOf(thread: Thread): ThreadWire {
  return { ...thread, createdAt: thread.createdAt.toISOString(), updatedAt: thread.updatedAt.toISOString(), retainUntil: thread.retainUntil?.toISOString() ?? null };
}

export function threadUpdatedEvent(thread: ThreadWire): ThreadEventWire {
  return { type: 'ThreadUpdated', thread };
}

/** As the send script publishes it, for a message sequenced elsewhere (the Postgres path, relayed by the outbox). */
export function messageAddedEvent(message: MessageRecord): ThreadEventWire {
  return { type: 'MessageAdded', seq: message.seq, message };
}

export function messageCompletedEvent(message: MessageRecord): ThreadEventWire {
  return { type: 'MessageCompleted', seq: message.seq, message };
}

export function threadDeletedEvent(threadId: ThreadId): ThreadEventWire {
  return { type: 'ThreadDeleted', threadId };
}

/** What subscribers hear of an edit or a deletion, from the record of the new revision or the tombstone. */
export function messageChangedEvent(kind: 'messageEdited' | 'messageDeleted', message: MessageRecord): ThreadEventWire {
  if (kind === 'messageEdited') return { type: 'MessageEdited', seq: message.seq, message };
  return { type: 'MessageDeleted', threadId: message.threadId, messageId: message.id, seq: message.seq };
}

export function runStatusChangedEvent(run: RunRecord): ThreadEventWire {
  return { type: 'RunStatusChanged', run };
}

/** A thread as events carry it, back into the domain type. */
export function threadOfWire(wire: ThreadWire): Thread {
  // lastReadSeq is a snapshot taken at the change; events written before read state (or forks) existed lack it (or forkedFrom).
  return {
    ...wire,
    lastReadSeq: wire.lastReadSeq ?? 0,
    retainUntil: wire.retainUntil ? new Date(wire.retainUntil) : null,
    forkedFrom: wire.forkedFrom ?? null,
    createdAt: new Date(wire.createdAt),
    updatedAt: new Date(wire.updatedAt),
  };
}

/** A run as the stream and events carry it, back into the domain type. */
export function runOfRecord(record: RunRecord): Run {
  const date = (value: string | null) => (value ? new Date(value) : null);
  return {
    id: record.id as Run['id'],
    threadId: record.threadId as ThreadId,
    status: record.status,
    metadata: record.metadata,
    error: record.error,
    actor: record.actor,
    model: record.model,
    usage: record.usage,
    createdAt: new Date(record.createdAt),
    startedAt: date(record.startedAt),
    completedAt: date(record.completedAt),
  };
}

/**
 * Parses a channel message, `<entryId>\n<json>` (or the JSON alone: an event not logged); throws
 * on anything that is not a known event.
 */
export function decodeThreadAnnouncement(message: string): ThreadEvent {
  if (message.startsWith('{')) return decodeThreadEvent(message);
  const newline = message.indexOf('\n');
  if (newline < 0) throw new Error('Not a thread event announcement');
  return decodeThreadEvent(message.slice(newline + 1), message.slice(0, newline));
}

/** Parses an event's JSON (as published, and as logged), with its log entry ID when it has one. */
export function decodeThreadEvent(json: string, entry?: string): ThreadEvent {
  const event = decodeThreadEventJson(json);
  if (entry !== undefined) event.entry = entry;
  return event;
}

function decodeThreadEventJson(json: string): ThreadEvent {
  const wire = JSON.parse(json) as ThreadEventWire;
  switch (wire.type) {
    case 'MessageAdded': {
      const message = messageOfRecord(wire.message);
      return { type: 'MessageAdded', threadId: message.threadId, seq: wire.seq, message };
    }
    case 'ThreadUpdated': {
      const thread = threadOfWire(wire.thread);
      return { type: 'ThreadUpdated', threadId: thread.id, thread };
    }
    case 'RunStatusChanged': {
      const run = runOfRecord(wire.run);
      return { type: 'RunStatusChanged', threadId: run.threadId, run };
    }
    case 'MessageDelta':
      return { ...wire, threadId: wire.threadId as ThreadId, messageId: wire.messageId as MessageId };
    case 'MessageCompleted':
    case 'MessageEdited': {
      const message = messageOfRecord(wire.message);
      return { type: wire.type, threadId: message.threadId, seq: wire.seq, message };
    }
    case 'ThreadDeleted':
      return { type: 'ThreadDeleted', threadId: wire.threadId as ThreadId };
    case 'MessageDeleted':
      return { ...wire, threadId: wire.threadId as ThreadId, messageId: wire.messageId as MessageId };
    default:
      throw new Error(`Unknown thread event ${JSON.stringify((wire as { type?: unknown }).type)}`);
  }
}
