import { z } from 'zod';
import { ids } from '../../ids/generate-ids.js';
import { assertRunInThread, parseMessageId, parseRunId, parseThreadId } from '../../ids/parse-ids.js';
import { builder } from '../builder.js';
import { IMMEDIATE_WRITE } from '../immediate-write.js';
import { MessageRef, MessageRoleEnum } from './message.js';
import { metadataSchema } from '../../domain/metadata.js';

/** Largest single delta, in characters; whole messages are bounded by MAX_MESSAGE_BYTES. */
const MAX_DELTA_LENGTH = 16_384;

const StartMessageInput = builder.inputType('StartMessageInput', {
  fields: (t) => ({
    threadId: t.id({ required: true }),
    runId: t.id({ required: false, description: 'The run producing the message; must belong to the thread.' }),
    role: t.field({ type: MessageRoleEnum, required: false, defaultValue: 'ASSISTANT' }),
    metadata: t.field({ type: 'JSON', required: false, validate: metadataSchema.nullish() }),
  }),
});

const AppendMessageDeltaInput = builder.inputType('AppendMessageDeltaInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    delta: t.string({ required: true, validate: z.string().min(1).max(MAX_DELTA_LENGTH) }),
  }),
});

builder.mutationFields((t) => ({
  startMessage: t.withAuth({ authenticated: true }).field({
    type: MessageRef,
    description: 'Creates an empty IN_PROGRESS message (e.g. an assistant reply about to stream) at the next seq. Must be the only field of its mutation operation.',
    extensions: IMMEDIATE_WRITE,
    args: { input: t.arg({ type: StartMessageInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const threadId = parseThreadId(input.threadId);
      const runId = input.runId == null ? null : parseRunId(input.runId);
      if (runId) assertRunInThread(runId, threadId);
      return ctx.messageStore.send(
        {
          id: ids.messageId(),
          ownerId: ctx.userId,
          actor: ctx.actor,
          threadId,
          runId,
          role: input.role ?? 'ASSISTANT',
          content: '',
          parts: null,
          metadata: (input.metadata ?? {}) as Record<string, unknown>,
          clientMessageId: null,
          durability: 'FAST',
          status: 'IN_PROGRESS',
        },
        ctx.uow,
      );
    },
  }),
  appendMessageDelta: t.withAuth({ authenticated: true }).field({
    type: MessageRef,
    description: 'Appends a chunk to an IN_PROGRESS message; subscribers receive it at once as MessageDelta. Must be the only field of its mutation operation.',
    extensions: IMMEDIATE_WRITE,
    args: { input: t.arg({ type: AppendMessageDeltaInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.messageStore.appendDelta(ctx.uow, ctx.userId, parseMessageId(input.id), input.delta, ctx.limits.maxMessageBytes),
  }),
  completeMessage: t.withAuth({ authenticated: true }).field({
    type: MessageRef,
    description: 'Finalises a streaming message; its content is the concatenation of its deltas. Must be the only field of its mutation operation.',
    extensions: IMMEDIATE_WRITE,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.messageStore.completeMessage(ctx.uow, ctx.userId, parseMessageId(args.id), ctx.limits.maxMessageBytes),
  }),
}));
