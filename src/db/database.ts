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
  hot_state_invalidations: HotStateInvalidationTable;
  outbox: OutboxTable;
  message_feedback: MessageFeedbackTable;
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
  kind: 'message' | 'messageCompleted' | 'run' | 'thread' | 'feedback';
  payload: ColumnType<unknown, string, string>;
  created_at: Timestamp;
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
  created_at: Timestamp;
  updated_at: Timestamp;
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
}

export type ThreadRow = Selectable<ThreadTable>;
export type RunRow = Selectable<RunTable>;
export type MessageRow = Selectable<MessageTable>;
export type NewMessageRow = Insertable<MessageTable>;
export type ThreadUpdate = Updateable<ThreadTable>;
