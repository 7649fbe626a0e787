import { z } from 'zod';
import type { MessageRow, MessageTable } from '../db/database.js';
import { MESSAGE_ID_REGEX, RUN_ID_REGEX, THREAD_ID_REGEX } from '../ids/id-formats.js';
import { MESSAGE_ROLES, MESSAGE_STATUSES, type Message } from '../domain/message.js';
import { messagePartModel } from '../domain/message-parts.js';

/** How a field is typed where Postgres reads a record's JSON (`jsonb_to_recordset`). */
type PgType = 'text' | 'int' | 'jsonb' | 'timestamptz';

interface FieldCodec {
  /** Its column in `messages`. */
  column: keyof MessageTable;
  pgType: PgType;
  /** Its form in the record that travels as JSON: the stream, the outbox, the Redis window, events. */
  record: z.ZodType;
  /** What SQL reading a record takes for a field the record lacks (records queued before it existed). */
  sqlDefault?: string;
}

/**
 * Every stored field of a message, once: its Postgres column, its SQL type and its JSON form.
 * The domain type (`Message`), the row mapping, the insert column lists and the stream record all
 * derive from this. Adding a field means adding it to `Message`, here, to `MessageTable` (with a
 * migration) and to the GraphQL type; the compiler refuses a `Message` field or a `messages`
 * column this table does not cover.
 */
export const MESSAGE_FIELDS = {
  id: { column: 'id', pgType: 'text', record: z.string().regex(MESSAGE_ID_REGEX) },
  threadId: { column: 'thread_id', pgType: 'text', record: z.string().regex(THREAD_ID_REGEX) },
  runId: { column: 'run_id', pgType: 'text', record: z.string().regex(RUN_ID_REGEX).nullable() },
  role: { column: 'role', pgType: 'text', record: z.enum(MESSAGE_ROLES) },
  content: { column: 'content', pgType: 'text', record: z.string() },
  // Records queued before structured messages existed carry no parts: one text part, the content.
  parts: { column: 'parts', pgType: 'jsonb', record: z.array(messagePartModel).nullable().default(null) },
  metadata: { column: 'metadata', pgType: 'jsonb', record: z.record(z.string(), z.unknown()) },
  seq: { column: 'seq', pgType: 'int', record: z.number().int().positive() },
  clientMessageId: { column: 'client_message_id', pgType: 'text', record: z.string().nullable() },
  createdAt: { column: 'created_at', pgType: 'timestamptz', record: z.string().datetime() },
  // Records queued before streaming existed carry no status.
  status: { column: 'status', pgType: 'text', record: z.enum(MESSAGE_STATUSES).default('COMPLETED') },
  // Records queued before delegated tokens existed carry no actor.
  actor: { column: 'actor', pgType: 'text', record: z.string().nullable().default(null) },
  // Records queued before edits existed are first versions, never edited nor deleted.
  revision: { column: 'revision', pgType: 'int', record: z.number().int().positive().default(1), sqlDefault: '1' },
  editedAt: { column: 'edited_at', pgType: 'timestamptz', record: z.string().datetime().nullable().default(null) },
  deletedAt: { column: 'deleted_at', pgType: 'timestamptz', record: z.string().datetime().nullable().default(null) },
} as const satisfies { [K in keyof Message]-?: FieldCodec };

type MessageField = keyof typeof MESSAGE_FIELDS;

/** A `messages` column no field maps to is a compile error here. */
type UnmappedColumn = Exclude<keyof MessageTable, (typeof MESSAGE_FIELDS)[MessageField]['column']>;
const everyColumnMapped: [UnmappedColumn] extends [never] ? true : UnmappedColumn = true;
void everyColumnMapped;

const FIELD_NAMES = Object.keys(MESSAGE_FIELDS) as MessageField[];

/** The record as JSON carries it: the message, its owner (for the tiers that check it), ISO times. */
export const MessageRecordModel = z.object({
  ...(Object.fromEntries(FIELD_NAMES.map((name) => [name, MESSAGE_FIELDS[name].record])) as {
    [K in MessageField]: (typeof MESSAGE_FIELDS)[K]['record'];
  }),
  ownerId: z.string().min(1),
});

export type MessageRecord = z.infer<typeof MessageRecordModel>;

/** Fields a message starts without: the sequencing tier gives it a seq, a time and a status; edits and deletion the rest. */
type LaterField = 'seq' | 'createdAt' | 'status' | 'revision' | 'editedAt' | 'deletedAt';

/** What a new message is before the tier that sequences it gives it a seq, a time and a status. */
export type NewMessage = Omit<Message, LaterField> & {
  /** IN_PROGRESS starts a streaming message (content grows by deltas). Default COMPLETED. */
  status?: Message['status'];
};

/** The fields a new message brings; the sequencing tier adds the rest. */
const LATER_FIELDS: readonly MessageField[] = ['seq', 'createdAt', 'status', 'revision', 'editedAt', 'deletedAt'] satisfies LaterField[];
const NEW_MESSAGE_FIELDS = FIELD_NAMES.filter((name): name is Exclude<MessageField, LaterField> => !LATER_FIELDS.includes(name));

/** A new message's record before the hot tier gives it a seq: the fields of the message, nothing else of the input. */
export function newMessageRecordOf(message: NewMessage & { ownerId: string }, createdAt: Date): Omit<MessageRecord, 'seq'> {
  const record = { ownerId: message.ownerId } as Record<string, unknown>;
  for (const name of NEW_MESSAGE_FIELDS) record[name] = message[name];
  record.createdAt = createdAt.toISOString();
  record.status = message.status ?? 'COMPLETED';
  record.revision = 1;
  record.editedAt = null;
  record.deletedAt = null;
  return record as Omit<MessageRecord, 'seq'>;
}

/** The message's times, which travel as ISO strings. */
const TIME_FIELDS = ['createdAt', 'editedAt', 'deletedAt'] as const satisfies readonly MessageField[];

export function messageRecordOf(message: Message, ownerId: string): MessageRecord {
  const record = { ownerId } as Record<string, unknown>;
  for (const name of FIELD_NAMES) record[name] = message[name];
  for (const name of TIME_FIELDS) record[name] = message[name]?.toISOString() ?? null;
  return record as MessageRecord;
}

/**
 * The message a record carries. Window entries are read without the zod model (it costs more
 * than the read), so the defaults of fields older entries lack are applied here too.
 */
export function messageOfRecord(record: MessageRecord): Message {
  const message = {} as Record<string, unknown>;
  for (const name of FIELD_NAMES) message[name] = record[name];
  for (const name of TIME_FIELDS) message[name] = record[name] == null ? null : new Date(record[name]);
  message.status = record.status ?? 'COMPLETED';
  message.revision = record.revision ?? 1;
  return message as unknown as Message;
}

export function messageOfRow(row: MessageRow): Message {
  const message = {} as Record<string, unknown>;
  for (const name of FIELD_NAMES) message[name] = row[MESSAGE_FIELDS[name].column];
  return message as unknown as Message;
}

/** The `messages` columns, in field order: `id, thread_id, …`. */
export const MESSAGE_COLUMNS = FIELD_NAMES.map((name) => MESSAGE_FIELDS[name].column).join(', ');

/** The fields deltas grow while a message streams: what its final form brings to the row. */
const STREAMED_FIELDS = ['content', 'parts'] as const satisfies readonly MessageField[];

/** `content = excluded.content, …`: the update a streamed message's final form makes to its row. */
export const STREAMED_COLUMNS_FROM_EXCLUDED = STREAMED_FIELDS.map((name) => `${MESSAGE_FIELDS[name].column} = excluded.${MESSAGE_FIELDS[name].column}`).join(', ');

/** The column definition list of `jsonb_to_recordset(…) as r(…)` over records: `id text, "threadId" text, …`. */
export const MESSAGE_RECORD_COLUMNS = FIELD_NAMES.map((name) => `"${name}" ${MESSAGE_FIELDS[name].pgType}`).join(', ');

/**
 * The select list that turns a record row `r` into values for MESSAGE_COLUMNS, with some fields
 * given as SQL instead (a seq Postgres takes, a time it defaults).
 */
export function messageRecordValues(alias: string, instead: Partial<Record<MessageField, string>> = {}): string {
  return FIELD_NAMES.map((name) => {
    const value = `${alias}."${name}"`;
    const fallback = (MESSAGE_FIELDS[name] as FieldCodec).sqlDefault;
    return instead[name] ?? (fallback ? `coalesce(${value}, ${fallback})` : value);
  }).join(', ');
}
