import { deleteMessageFeedback } from '../repositories/message-feedback-repository.js';
import { isDeepStrictEqual } from 'node:util';
import type { UnitOfWork } from '../db/unit-of-work.js';
import type { Message } from '../domain/message.js';
import type { MessagePart } from '../domain/message-parts.js';
import { assertThreadWritable } from '../domain/thread.js';
import { InvalidInputError, NotFoundError } from '../errors/domain-errors.js';
import type { MessageId, ThreadId } from '../ids/id-types.js';
import { deleteMessageRevisions, insertMessageRevision, updateMessageVersion } from '../repositories/message-revisions-repository.js';
import { findMessagesByIds, lockOwnedMessage } from '../repositories/messages-repository.js';
import type { OutboxEntry } from '../repositories/outbox-repository.js';
import { lockOwnedThread } from '../repositories/threads-repository.js';
import type { StoredMessage } from './hot-send.js';
import { messageRecordOf } from './message-record.js';

/** How long an edit or deletion of a message acked a moment ago waits for the persister to write it, ms. */
const PERSISTED_WAIT_MS = 10_000;

/** A message's new text and parts, checked against the rules of its role (the sendMessage checks). */
export type MessageBody = { content: string; parts: MessagePart[] | null };

export type MessageChange =
  | { kind: 'edit'; bodyFor: (role: Message['role']) => MessageBody }
  | { kind: 'delete' };

/** What the change needs of the message store's tiers. */
export interface MessageChangeTiers {
  /** The owner's message wherever it is now (Redis first); undefined when absent or another user's. */
  find(ownerId: string, id: MessageId): Promise<StoredMessage | undefined>;
  /** Until Postgres holds every message acked before the call; false when it did not in time. */
  awaitPersisted(timeoutMs: number): Promise<boolean>;
  /** Queues the committed change for Redis (window, stream, subscribers) through the outbox. */
  record(uow: UnitOfWork, threadId: ThreadId, entry: OutboxEntry): Promise<void>;
}

/**
 * Edits or deletes a message in every tier, acked once Postgres has committed it. A message acked
 * on the fast path may be in Redis only: the change first waits for the persister to write it, so
 * the change is made to the Postgres row and a later insert of the original (idempotent on the
 * ID) changes nothing. Under the thread's lock (what Postgres-path sends take) it checks, keeps the
 * replaced version, writes the new revision guarded by the old one, and queues an outbox entry in
 * the same transaction; the relay then replaces the Redis window entry by seq, queues the record
 * on the stream for the archiver, and tells subscribers (hot-tier.ts `relay`).
 *
 * Deleting a tombstone again returns it unchanged (idempotent; no second event).
 */
export async function changeMessage(
  tiers: MessageChangeTiers,
  uow: UnitOfWork,
  ownerId: string,
  id: MessageId,
  change: MessageChange,
): Promise<Message> {
  const found = await tiers.find(ownerId, id);
  if (!found) throw messageNotFound(id);
  if ((await awaitsPersister(uow, ownerId, found)) && !(await tiers.awaitPersisted(PERSISTED_WAIT_MS))) {
    // Postgres is not taking the backlog (down, or far behind): nothing has changed, the client may retry.
    throw new Error(`Message ${id} is not in Postgres yet; an edit or deletion waits for it`);
  }
  const trx = await uow.writer();
  const thread = await lockOwnedThread(trx, ownerId, found.threadId);
  const current = await lockOwnedMessage(trx, ownerId, id);
  if (!current) throw messageNotFound(id);
  if (change.kind === 'delete' && current.deletedAt) return current;
  if (current.deletedAt) throw new InvalidInputError(`Message ${id} is deleted`, { id });
  if (current.status !== 'COMPLETED') throw new InvalidInputError(`Message ${id} is still streaming; complete it first`, { id });

  const updated =
    change.kind === 'edit'
      ? await writeEdit(trx, current, change.bodyFor(current.role), () => assertThreadWritable(thread))
      : await writeTombstone(trx, current);
  await tiers.record(uow, current.threadId, { kind: change.kind === 'edit' ? 'messageEdited' : 'messageDeleted', payload: messageRecordOf(updated, ownerId) });
  return updated;
}

/**
 * Whether Postgres may still lack what the fast path acked of the message: the message itself, or
 * its completion (a row still IN_PROGRESS: the completion may be on its way, and a message that
 * really streams is refused after the wait). Checked before any lock is taken: the persister's
 * write must not wait behind this change's lock while the change waits for it.
 */
async function awaitsPersister(uow: UnitOfWork, ownerId: string, found: StoredMessage): Promise<boolean> {
  if (found.durability === 'HOT') return true;
  const [row] = await findMessagesByIds(uow.reader, ownerId, [found.id]);
  return row?.status === 'IN_PROGRESS';
}

type Writer = Awaited<ReturnType<UnitOfWork['writer']>>;

async function writeEdit(trx: Writer, current: Message, body: MessageBody, assertWritable: () => void): Promise<Message> {
  assertWritable();
  assertSameToolParts(current, body.parts);
  await insertMessageRevision(trx, current);
  return versionWritten(current, await updateMessageVersion(trx, current.id, current.revision, { ...body, edited: true }));
}

async function writeTombstone(trx: Writer, current: Message): Promise<Message> {
  if (toolParts(current.parts).length > 0) {
    // Its call or result is part of the thread's tool-call bookkeeping (which calls are open, in
    // Postgres and in Redis); erasing it would leave a result without its call or a call open forever.
    throw new InvalidInputError(`Message ${current.id} carries tool calls or results, which cannot be deleted alone`, { id: current.id });
  }
  await deleteMessageRevisions(trx, current.id);
  // A rating's comment may quote what was said: it goes with the content.
  await deleteMessageFeedback(trx, current.id);
  const tombstone = { content: '', parts: [], metadata: {}, deleted: true };
  return versionWritten(current, await updateMessageVersion(trx, current.id, current.revision, tombstone));
}

/**
 * An edit keeps the thread's tool-call rules sound by leaving tool calls and results exactly as
 * they were: they open and answer calls, which other messages and the Redis index depend on.
 */
function assertSameToolParts(current: Message, parts: MessagePart[] | null): void {
  // As JSON both ways (an absent field and an undefined one are alike), compared whatever the key
  // order: Postgres's jsonb gives keys back in an order of its own.
  const asStored = (list: MessagePart[]) => JSON.parse(JSON.stringify(list)) as unknown;
  if (!isDeepStrictEqual(asStored(toolParts(current.parts)), asStored(toolParts(parts)))) {
    throw new InvalidInputError(`An edit cannot add, remove or change tool calls or tool results (message ${current.id})`, { id: current.id });
  }
}

function toolParts(parts: readonly MessagePart[] | null): MessagePart[] {
  return (parts ?? []).filter((part) => part.type === 'toolCall' || part.type === 'toolResult');
}

/** The row is locked, so its revision cannot have moved; if it did, that is a bug, not a retry. */
function versionWritten(current: Message, updated: Message | undefined): Message {
  if (!updated) throw new Error(`Message ${current.id} moved past revision ${current.revision} under its thread's lock`);
  return updated;
}

function messageNotFound(id: MessageId): NotFoundError {
  return new NotFoundError(`Message ${id} not found`, { id });
}
