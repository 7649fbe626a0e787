import type { Message, MessageRevision } from '../../domain/message.js';
import { MESSAGE_ROLES, MESSAGE_STATUSES } from '../../domain/message.js';
import type { Durability } from '../../storage/hot-tier.js';
import { MESSAGE_ID_REGEX } from '../../ids/id-formats.js';
import { parseMessageId } from '../../ids/parse-ids.js';
import { builder } from '../builder.js';
import { RunRef } from './run.js';
import { MessagePartRef } from './message-part.js';
import { partsOf } from '../../domain/message-parts.js';
import { ThreadRef } from './thread.js';
import { loadOrNull, nullWhenNotFound } from '../nullable-lookup.js';
import { parseRevisionCursor, revisionCursor } from '../pagination/cursors.js';
import { resolvePage } from '../pagination/resolve-page.js';

export const MessageRoleEnum = builder.enumType('MessageRole', { values: MESSAGE_ROLES });
const MessageStatusEnum = builder.enumType('MessageStatus', { values: MESSAGE_STATUSES });

/** A message as resolvers hand it over: with its durability where a read judged it, and its snippet in search results. */
export const MessageRef = builder.objectRef<Message & { durability?: Durability; snippet?: string }>('Message');

const DurabilityEnum = builder.enumType('Durability', {
  description: 'How far a message has travelled through the storage tiers.',
  values: {
    HOT: { description: 'Acknowledged and held in Redis; on its way to Postgres.' },
    DURABLE: { description: 'Committed in Postgres.' },
    ARCHIVED: { description: 'Also in the ClickHouse analytics archive.' },
  },
});

const MessageRevisionRef = builder.objectRef<MessageRevision>('MessageRevision').implement({
  description: 'An earlier version of a message, as an edit replaced it.',
  fields: (t) => ({
    revision: t.exposeInt('revision'),
    content: t.exposeString('content'),
    parts: t.field({ type: [MessagePartRef], resolve: (revision) => partsOf(revision) }),
    createdAt: t.expose('writtenAt', {
      type: 'DateTime',
      description: "When this version was written: the message's creation for revision 1, else the edit that made it.",
    }),
  }),
});

const MessageRevisionConnection = builder.connectionObject({ type: MessageRevisionRef, name: 'MessageRevisionConnection' });

builder.node(MessageRef, {
  description: 'One message in a thread, at a gap-free position `seq`.',
  id: { resolve: (message) => message.id },
  isTypeOf: (value) => MESSAGE_ID_REGEX.test((value as Message).id),
  loadMany: (ids, ctx) => ctx.loaders.messageById.loadMany(ids.map(parseMessageId)).then(nullWhenNotFound),
  fields: (t) => ({
    threadId: t.exposeID('threadId'),
    thread: t.field({ type: ThreadRef, resolve: (message, _args, ctx) => ctx.loaders.threadById.load(message.threadId) }),
    runId: t.exposeID('runId', { nullable: true }),
    run: t.field({
      type: RunRef,
      nullable: true,
      resolve: (message, _args, ctx) => (message.runId ? ctx.loaders.runById.load(message.runId) : null),
    }),
    role: t.expose('role', { type: MessageRoleEnum }),
    content: t.exposeString('content', { description: 'Its text parts joined; the whole message for a client that reads text only.' }),
    parts: t.field({
      type: [MessagePartRef],
      description: 'The message in order: text, reasoning, tool calls and results, files. A message sent as content is one TextPart.',
      resolve: (message) => partsOf(message),
    }),
    metadata: t.expose('metadata', { type: 'JSON' }),
    seq: t.exposeInt('seq'),
    status: t.expose('status', { type: MessageStatusEnum, description: 'IN_PROGRESS while streaming; content is what arrived so far.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    clientMessageId: t.exposeString('clientMessageId', { nullable: true }),
    actor: t.exposeString('actor', {
      nullable: true,
      description: "Who wrote it on the owner's behalf: the `act.sub` of a delegated token (e.g. an agent worker); null when the owner wrote it.",
    }),
    revision: t.exposeInt('revision', { description: 'Its version: 1 until edited; each edit, and its deletion, add one.' }),
    editedAt: t.expose('editedAt', { type: 'DateTime', nullable: true, description: 'When it was last edited; null if never.' }),
    deletedAt: t.expose('deletedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Set when it was deleted: a tombstone keeps its seq, with content "", parts [] and metadata {}.',
    }),
    revisions: t.connection(
      {
        type: MessageRevisionRef,
        description: 'Its earlier versions, newest first (none once deleted).',
        resolve: (message, args, ctx) =>
          resolvePage(args, { toCursor: (r: MessageRevision) => revisionCursor(r.revision), parse: parseRevisionCursor }, (window) =>
            ctx.loaders.revisionsOfMessage.load({ parentId: message.id, window }),
          ),
      },
      MessageRevisionConnection,
    ),
    durability: t.field({
      type: DurabilityEnum,
      description: 'As of this read. A message read straight from Postgres is at least DURABLE.',
      resolve: (message) => message.durability ?? 'DURABLE',
    }),
  }),
});

export const MessageConnection = builder.connectionObject(
  { type: MessageRef, name: 'MessageConnection' },
  {
    name: 'MessageEdge',
    fields: (t) => ({
      snippet: t.string({
        nullable: true,
        description: 'In searchMessages: the content around the matches, each match between « and »; plain text (tags in the content are dropped, none added). Null elsewhere.',
        resolve: (edge) => edge.node.snippet ?? null,
      }),
    }),
  },
);

builder.queryField('message', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: MessageRef,
    nullable: true,
    description: "A message in one of the viewer's threads; null when absent or another user's.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => loadOrNull(ctx.loaders.messageById, parseMessageId(args.id)),
  }),
);
