import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, MessageRevisionRow, MessageRow } from '../db/database.js';
import type { Message, MessageRevision } from '../domain/message.js';
import type { MessagePart } from '../domain/message-parts.js';
import type { MessageId } from '../ids/id-types.js';
import { messageOfRow } from '../storage/message-record.js';
import { groupBy } from './group-by.js';
import type { PageWindow } from './page-window.js';

/** The change an edit or a deletion makes to a message's row; the caller holds its thread's lock. */
export interface MessageVersionChange {
  content: string;
  parts: MessagePart[] | null;
  /** Set by a deletion only: the tombstone's metadata is emptied. */
  metadata?: Record<string, unknown>;
  edited?: boolean;
  deleted?: boolean;
}

/**
 * Writes the next version of a message, if it is still at `fromRevision`: the guard makes a
 * change computed from a stale read fail rather than overwrite a newer one. Undefined when it moved.
 */
export async function updateMessageVersion(
  trx: Transaction<Database>,
  id: MessageId,
  fromRevision: number,
  change: MessageVersionChange,
): Promise<Message | undefined> {
  const row = await trx
    .updateTable('messages')
    .set({
      content: change.content,
      parts: change.parts && JSON.stringify(change.parts),
      revision: fromRevision + 1,
      ...(change.metadata ? { metadata: JSON.stringify(change.metadata) } : {}),
      ...(change.edited ? { edited_at: sql<Date>`now()` } : {}),
      ...(change.deleted ? { deleted_at: sql<Date>`now()` } : {}),
    })
    .where('id', '=', id)
    .where('revision', '=', fromRevision)
    .returningAll()
    .modifyEnd(sql`/* messageRevisions.updateMessageVersion */`)
    .executeTakeFirst();
  return row && messageOfRow(row as MessageRow);
}

/** Keeps the version an edit is about to replace; idempotent on (message, revision). */
export async function insertMessageRevision(trx: Transaction<Database>, message: Message): Promise<void> {
  await trx
    .insertInto('message_revisions')
    .values({
      message_id: message.id,
      revision: message.revision,
      content: message.content,
      parts: message.parts && JSON.stringify(message.parts),
      written_at: message.editedAt ?? message.createdAt,
    })
    .onConflict((c) => c.columns(['message_id', 'revision']).doNothing())
    .modifyEnd(sql`/* messageRevisions.insertMessageRevision */`)
    .execute();
}

/** A deletion leaves no earlier version behind. */
export async function deleteMessageRevisions(trx: Transaction<Database>, id: MessageId): Promise<void> {
  await trx
    .deleteFrom('message_revisions')
    .where('message_id', '=', id)
    .modifyEnd(sql`/* messageRevisions.deleteMessageRevisions */`)
    .execute();
}

/**
 * One page of earlier versions for each message, newest first, in one statement. The window's
 * `after` is a revision the page goes below, `before` one it stays above. The messages were
 * loaded for the viewer already, so the revisions need no owner check of their own.
 */
export async function findRevisionPages(db: Kysely<Database>, ids: readonly MessageId[], window: PageWindow<number>): Promise<Map<string, MessageRevision[]>> {
  const direction = sql.raw(window.backwards ? 'asc' : 'desc');
  const after = window.after !== undefined ? sql`and r.revision < ${window.after}` : sql``;
  const before = window.before !== undefined ? sql`and r.revision > ${window.before}` : sql``;
  const { rows } = await sql<MessageRevisionRow>`/* messageRevisions.findRevisionPages */
    select page.* from unnest(${sql.val(ids)}::text[]) as p(id)
    cross join lateral (
      select r.* from message_revisions r
      where r.message_id = p.id ${after} ${before}
      order by r.revision ${direction}
      limit ${window.limit}
    ) page`.execute(db);
  return groupBy(rows.map(revisionOfRow), (revision) => revision.messageId);
}

/** Every earlier version of each message, newest first (the export: a message keeps few, and the batch is bounded). */
export async function findAllRevisions(db: Kysely<Database>, ids: readonly MessageId[]): Promise<Map<string, MessageRevision[]>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('message_revisions')
    .selectAll()
    .where('message_id', '=', sql<string>`any(${sql.val(ids)})`)
    .orderBy('message_id')
    .orderBy('revision', 'desc')
    .modifyEnd(sql`/* messageRevisions.findAllRevisions */`)
    .execute();
  return groupBy(rows.map(revisionOfRow), (revision) => revision.messageId);
}

function revisionOfRow(row: MessageRevisionRow): MessageRevision {
  return { messageId: row.message_id as MessageId, revision: row.revision, content: row.content, parts: row.parts, writtenAt: row.written_at };
}
