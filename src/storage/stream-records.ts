import { z } from 'zod';
import { RUN_STATUSES, type Run } from '../domain/run.js';
import type { MessageFeedback } from '../domain/message-feedback.js';
import { findUnstorableText } from '../domain/storable-text.js';
import { RUN_ID_REGEX, THREAD_ID_REGEX } from '../ids/id-formats.js';
import { MessageRecordModel, type MessageRecord } from './message-record.js';

/**
 * What travels on the persistence stream. Each entry is `type <kind> data <json>`; the JSON
 * is validated when read, and an entry that fails validation is a poison entry (dead-lettered).
 * A message travels as its record (message-record.ts).
 */
const RunRecordModel = z.object({
  id: z.string().regex(RUN_ID_REGEX),
  threadId: z.string().regex(THREAD_ID_REGEX),
  ownerId: z.string().min(1),
  status: z.enum(RUN_STATUSES),
  metadata: z.record(z.string(), z.unknown()).default({}),
  error: z.string().nullable(),
  createdAt: z.string().datetime(),
  startedAt: z.string().datetime().nullable(),
  completedAt: z.string().datetime().nullable(),
  // Records queued before delegated tokens existed carry no actor.
  actor: z.string().nullable().default(null),
  // And before agents reported usage: nothing reported.
  model: z.string().nullable().default(null),
  usage: z.object({ inputTokens: z.number().int().nonnegative(), outputTokens: z.number().int().nonnegative() }).nullable().default(null),
  /** When this transition happened. */
  at: z.string().datetime(),
});

export type RunRecord = z.infer<typeof RunRecordModel>;

/** A message's rating for the archive: the score and whether a comment came with it, not the comment. */
const FeedbackRecordModel = z.object({
  messageId: z.string().min(1),
  threadId: z.string().regex(THREAD_ID_REGEX),
  ownerId: z.string().min(1),
  score: z.union([z.literal(-1), z.literal(1)]),
  hasComment: z.boolean(),
  ratedAt: z.string().datetime(),
});

export type FeedbackRecord = z.infer<typeof FeedbackRecordModel>;
/**
 * `message`: a new message (insert if absent). `messageCompleted`: the final form of a streamed
 * message (insert or overwrite an IN_PROGRESS row), so completion wins whatever the order of arrival.
 * `messageEdited` / `messageDeleted`: a message's new revision or its tombstone, committed in
 * Postgres before it was queued (message-changes.ts): for the archiver; the persister has nothing to write.
 */
export type MessageStreamType = 'message' | 'messageCompleted' | 'messageEdited' | 'messageDeleted';
const MESSAGE_STREAM_TYPES: readonly string[] = ['message', 'messageCompleted', 'messageEdited', 'messageDeleted'] satisfies MessageStreamType[];

export type StreamRecord =
  | { type: MessageStreamType; record: MessageRecord }
  | { type: 'run'; record: RunRecord }
  | { type: 'feedback'; record: FeedbackRecord };

export function runRecordOf(run: Run, ownerId: string, at: Date): RunRecord {
  const iso = (date: Date | null) => (date ? date.toISOString() : null);
  return {
    id: run.id,
    threadId: run.threadId,
    ownerId,
    status: run.status,
    metadata: run.metadata,
    error: run.error,
    createdAt: run.createdAt.toISOString(),
    startedAt: iso(run.startedAt),
    completedAt: iso(run.completedAt),
    actor: run.actor,
    model: run.model,
    usage: run.usage,
    at: at.toISOString(),
  };
}

export function feedbackRecordOf(feedback: MessageFeedback, ownerId: string): FeedbackRecord {
  return {
    messageId: feedback.messageId,
    threadId: feedback.threadId,
    ownerId,
    score: feedback.score,
    hasComment: feedback.comment !== null && feedback.comment.length > 0,
    ratedAt: feedback.ratedAt.toISOString(),
  };
}

/** Field list for XADD. */
export function streamFieldsOf(entry: StreamRecord): string[] {
  return ['type', entry.type, 'data', JSON.stringify(entry.record)];
}

/** Parses an entry's fields; throws (making the entry poison) when they are not a valid record. */
export function parseStreamFields(fields: readonly string[]): StreamRecord {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] as string, fields[i + 1] as string);
  const data: unknown = JSON.parse(map.get('data') ?? 'null');
  // Validated before the ack, so this only catches entries queued by older code or by hand: poison.
  const unstorable = findUnstorableText(data);
  if (unstorable) throw new Error(`Stream entry holds unstorable text at ${JSON.stringify(unstorable.join('.'))}`);
  const type = map.get('type');
  if (type === 'run') return { type, record: RunRecordModel.parse(data) };
  if (type === 'feedback') return { type, record: FeedbackRecordModel.parse(data) };
  if (type !== undefined && MESSAGE_STREAM_TYPES.includes(type)) return { type: type as MessageStreamType, record: MessageRecordModel.parse(data) };
  throw new Error(`Unknown stream entry type ${JSON.stringify(type)}`);
}
