import type { Message } from '../../domain/message.js';
import { MESSAGE_ROLES } from '../../domain/message.js';
import { MESSAGE_ID_REGEX } from '../../ids/id-formats.js';
import { parseMessageId } from '../../ids/parse-ids.js';
import { builder } from '../builder.js';
import { RunRef } from './run.js';
import { nullWhenNotFound, ThreadRef } from './thread.js';

export const MessageRoleEnum = builder.enumType('MessageRole', { values: MESSAGE_ROLES });

export const MessageRef = builder.objectRef<Message>('Message');

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
    content: t.exposeString('content'),
    metadata: t.expose('metadata', { type: 'JSON' }),
    seq: t.exposeInt('seq'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    clientMessageId: t.exposeString('clientMessageId', { nullable: true }),
  }),
});

export const MessageConnection = builder.connectionObject({ type: MessageRef, name: 'MessageConnection' }, { name: 'MessageEdge' });

builder.queryField('message', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: MessageRef,
    nullable: true,
    description: "A message in one of the viewer's threads; null when absent or another user's.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const [message] = nullWhenNotFound(await ctx.loaders.messageById.loadMany([parseMessageId(args.id)]));
      return message ?? null;
    },
  }),
);
