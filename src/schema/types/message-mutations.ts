import { z } from 'zod';
import { assertContentSize, MAX_CLIENT_MESSAGE_ID_LENGTH } from '../../domain/message.js';
import { assertThreadWritable } from '../../domain/thread.js';
import { ids } from '../../ids/generate-ids.js';
import { assertRunInThread, parseRunId, parseThreadId } from '../../ids/parse-ids.js';
import { findMessageByClientId, insertMessageWithNextSeq } from '../../repositories/messages-repository.js';
import { findRunsByIds, runNotFound } from '../../repositories/runs-repository.js';
import { lockOwnedThread } from '../../repositories/threads-repository.js';
import { builder } from '../builder.js';
import { MessageRef, MessageRoleEnum } from './message.js';
import { metadataSchema } from './thread.js';

const SendMessageInput = builder.inputType('SendMessageInput', {
  fields: (t) => ({
    threadId: t.id({ required: true }),
    content: t.string({ required: true, description: 'At most MAX_MESSAGE_BYTES UTF-8 bytes (default 64 KiB).' }),
    role: t.field({ type: MessageRoleEnum, required: false, defaultValue: 'USER' }),
    runId: t.id({ required: false, description: 'The run that produced the message; must belong to the thread.' }),
    clientMessageId: t.string({
      required: false,
      description: 'Idempotency key: sending the same one again in a thread returns the first message.',
      validate: z.string().min(1).max(MAX_CLIENT_MESSAGE_ID_LENGTH).nullish(),
    }),
    metadata: t.field({ type: 'JSON', required: false, validate: metadataSchema.nullish() }),
  }),
});

builder.mutationField('sendMessage', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: MessageRef,
    description: 'Appends a message to one of the viewer\'s threads, at the next seq.',
    args: { input: t.arg({ type: SendMessageInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      // Everything that can be checked without the database is checked first: bad input changes nothing.
      const threadId = parseThreadId(input.threadId);
      const runId = input.runId == null ? null : parseRunId(input.runId);
      if (runId) assertRunInThread(runId, threadId);
      assertContentSize(input.content, ctx.limits.maxMessageBytes);

      const trx = await ctx.uow.writer();
      const thread = await lockOwnedThread(trx, ctx.userId, threadId);
      assertThreadWritable(thread);
      const clientMessageId = input.clientMessageId ?? null;
      const earlier = clientMessageId ? await findMessageByClientId(trx, threadId, clientMessageId) : undefined;
      if (earlier) return earlier;
      if (runId && (await findRunsByIds(trx, ctx.userId, [runId])).length === 0) throw runNotFound(runId);
      return insertMessageWithNextSeq(trx, {
        id: ids.messageId(),
        threadId,
        runId,
        role: input.role ?? 'USER',
        content: input.content,
        metadata: (input.metadata ?? {}) as Record<string, unknown>,
        clientMessageId,
      });
    },
  }),
);
