import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { MessageRole, MessageStatus } from '../domain/message.js';
import type { MessagePart } from '../domain/message-parts.js';

/**
 * The Postgres schema as Kysely sees it. Row types stay inside src/db, src/repositories and the
 * message record (storage/message-record.ts, which maps a message to its columns);
 * everything above the repositories works with the domain types of src/domain.
 */
export interface Database {
  threads: ThreadTable;
  runs: RunTable;
  messages: MessageTable;
  message_revisions: MessageRevisionTable;
  hot_state_invalidations: HotStateInvalidationTable;
  outbox: OutboxTable;
  thread_erasures: ThreadErasureTable;
  message_feedback: MessageFeedbackTable;
}

export interface ThreadErasureTable {
  /** SHA-1 hex of the thread ID (erasure/erasure-keys.ts). */
  thread_key: string;
  owner_key: string;
  /** Only while PENDING. */
  thread_id: string | null;
  status: Generated<'PENDING' | 'COMPLETE'>;
  reason: 'REQUESTED' | 'RETENTION';
  stream_mark: string | null;
  requested_at: Timestamp;
  completed_at: Date | null;
}

/** Keyed by message ID without a foreign key to messages: see the migration 2026-12-06T0810. */
export interface MessageFeedbackTable {
  message_id: string;
  thread_id: string;
  score: -1 | 1;
  comment: string | null;
  rated_at: Timestamp;
}

export interface OutboxTable {
  /** bigserial; bigints are parsed as numbers (create-database.ts). */
  id: Generated<number>;
  thread_id: string;
  kind: 'message' | 'messageCopied' | 'messageCompleted' | 'messageEdited' | 'messageDeleted' | 'run' | 'thread' | 'threadCreated' | 'threadRead' | 'feedback';
  payload: ColumnType<unknown, string, string>;
  created_at: Timestamp;
  /** When the relay set the entry aside because Redis refused it (migration outbox_set_aside); null while pending. */
  set_aside_at: ColumnType<Date | null, never, Date | null>;
  refusal: ColumnType<string | null, never, string | null>;
}

export interface HotStateInvalidationTable {
  thread_id: string;
  created_at: Timestamp;
}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type JsonObject = ColumnType<Record<string, unknown>, string | undefined, string>;

export interface ThreadTable {
  id: string;
  owner_id: string;
  title: string | null;
  status: Generated<'ACTIVE' | 'ARCHIVED'>;
  metadata: JsonObject;
  last_seq: Generated<number>;
  /** How far the owner has read: the highest seq marked read (never moves backwards). */
  last_read_seq: Generated<number>;
  /** Erased by the retention sweeper after this instant; null: RETENTION_DAYS after the last activity, or never. */
  retain_until: Generated<Date | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** The thread a fork was copied from (forkThread); null when none, or once that thread is deleted (ON DELETE SET NULL). */
  forked_from_thread_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The seq a fork was copied up to; null exactly when the thread is no fork. */
  forked_from_seq: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface RunTable {
  id: string;
  thread_id: string;
  status: Generated<'QUEUED' | 'IN_PROGRESS' | 'REQUIRES_ACTION' | 'CANCELLING' | 'COMPLETED' | 'FAILED' | 'CANCELLED'>;
  metadata: JsonObject;
  error: string | null;
  created_at: Timestamp;
  started_at: Date | null;
  completed_at: Date | null;
  updated_at: Timestamp;
  actor: string | null;
  model: string | null;
  /** Both null (never reported) or both set: a CHECK keeps them together. */
  input_tokens: number | null;
  output_tokens: number | null;
}

export interface MessageTable {
  id: string;
  thread_id: string;
  run_id: string | null;
  role: MessageRole;
  content: string;
  parts: ColumnType<MessagePart[] | null, string | null | undefined, string | null>;
  metadata: JsonObject;
  seq: number;
  client_message_id: string | null;
  created_at: Timestamp;
  status: Generated<MessageStatus>;
  actor: string | null;
  revision: Generated<number>;
  edited_at: Date | null;
  deleted_at: Date | null;
}

/** An earlier version of a message, kept when an edit replaced it (see the message_revisions migration). */
export interface MessageRevisionTable {
  message_id: string;
  revision: number;
  content: string;
  parts: ColumnType<MessagePart[] | null, string | null | undefined, string | null>;
  written_at: Timestamp;
}

export type ThreadRow = Selectable<ThreadTable>;
export type RunRow = Selectable<RunTable>;
export type MessageRow = Selectable<MessageTable>;
export type MessageRevisionRow = Selectable<MessageRevisionTable>;
export type NewMessageRow = Insertable<MessageTable>;
export type ThreadUpdate = Updateable<ThreadTable>;
