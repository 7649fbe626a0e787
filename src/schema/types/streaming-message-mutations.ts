import { z } from 'zod';
import { ids } from '../../ids/generate-ids.js';
import { assertRunInThread, parseMessageId, parseRunId, parseThreadId } from '../../ids/parse-ids.js';
import { builder } from '../builder.js';
import { IMMEDIATE_WRITE } from '../immediate-write.js';
import { MessageRef, MessageRoleEnum } from './message.js';
import { metadataSchema } from '../../domain/metadata.js';
import { assertPartsAcceptable, contentOfParts, partsOfInput } from '../../domain/message-parts.js';
import { MessagePartInputRef } from './message-part.js';

/** Largest single delta, in characters; whole messages are bounded by MAX_MESSAGE_BYTES. */
const MAX_DELTA_LENGTH = 16_384;
/** Highest partIndex a delta may name; a message has far fewer parts than this. */
const MAX_PARTS_INDEX = 10_000;

const StartMessageInput = builder.inputType('StartMessageInput', {
  fields: (t) => ({
    threadId: t.id({ required: true }),
    runId: t.id({ required: false, description: 'The run producing the message; must belong to the thread.' }),
    role: t.field({ type: MessageRoleEnum, required: false, defaultValue: 'ASSISTANT' }),
    metadata: t.field({ type: 'JSON', required: false, validate: metadataSchema.nullish() }),
    parts: t.field({
      type: [MessagePartInputRef],
      required: false,
      description:
        'The parts the message opens with (default: one empty text part). Deltas extend text and reasoning parts, and toolCall parts whose arguments is a string: JSON text that completeMessage parses.',
    }),
  }),
});

const AppendMessageDeltaInput = builder.inputType('AppendMessageDeltaInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    delta: t.string({ required: true, validate: z.string().min(1).max(MAX_DELTA_LENGTH) }),
    partIndex: t.int({
      required: false,
      defaultValue: 0,
      description: 'The part the chunk extends, from 0: a text or reasoning part, or a toolCall started with string arguments.',
      validate: z.number().int().min(0).max(MAX_PARTS_INDEX),
    }),
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
      const role = input.role ?? 'ASSISTANT';
      const parts = input.parts == null ? null : partsOfInput(input.parts);
      if (parts) assertPartsAcceptable(parts, role, ctx.limits);
      return ctx.messageStore.send(
        {
          id: ids.messageId(),
          ownerId: ctx.userId,
          actor: ctx.actor,
          threadId,
          runId,
          role,
          content: parts ? contentOfParts(parts) : '',
          parts,
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
      ctx.messageStore.appendDelta(ctx.uow, ctx.userId, parseMessageId(input.id), { text: input.delta, partIndex: input.partIndex ?? 0 }, ctx.limits.maxMessageBytes),
  }),
  completeMessage: t.withAuth({ authenticated: true }).field({
    type: MessageRef,
    description: 'Finalises a streaming message; its content is the concatenation of its deltas. Must be the only field of its mutation operation.',
    extensions: IMMEDIATE_WRITE,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.messageStore.completeMessage(ctx.uow, ctx.userId, parseMessageId(args.id), ctx.limits.maxMessageBytes),
  }),
}));
