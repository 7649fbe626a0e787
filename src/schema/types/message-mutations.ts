import { z } from 'zod';
import { assertContentSize, MAX_CLIENT_MESSAGE_ID_LENGTH } from '../../domain/message.js';
import { ids } from '../../ids/generate-ids.js';
import { assertRunInThread, parseRunId, parseThreadId } from '../../ids/parse-ids.js';
import { builder } from '../builder.js';
import { IMMEDIATE_WRITE } from '../immediate-write.js';
import { MessageRef, MessageRoleEnum } from './message.js';
import { MessagePartInputRef } from './message-part.js';
import { assertPartsAcceptable, contentOfParts, partsOfInput, type MessagePart, type MessagePartInput } from '../../domain/message-parts.js';
import { InvalidInputError } from '../../errors/domain-errors.js';
import type { RequestLimits } from '../../context/execution-context.js';
import { metadataSchema } from '../../domain/metadata.js';

const WriteDurabilityEnum = builder.enumType('WriteDurability', {
  description: 'When a write is acknowledged.',
  values: {
    FAST: { description: 'Once Redis has sequenced and queued it (AOF fsync policy applies; see README).' },
    DURABLE: { description: 'Once Postgres has committed it.' },
  },
});

const SendMessageInput = builder.inputType('SendMessageInput', {
  fields: (t) => ({
    threadId: t.id({ required: true }),
    content: t.string({
      required: false,
      description: 'The message as one text part: at most MAX_MESSAGE_BYTES UTF-8 bytes (default 64 KiB). Give either content or parts.',
    }),
    parts: t.field({
      type: [MessagePartInputRef],
      required: false,
      description: 'The message as structured parts, in order (text, reasoning, tool calls and results, files); at most MAX_MESSAGE_BYTES as JSON. Give either content or parts.',
    }),
    role: t.field({ type: MessageRoleEnum, required: false, defaultValue: 'USER' }),
    runId: t.id({ required: false, description: 'The run that produced the message; must belong to the thread.' }),
    clientMessageId: t.string({
      required: false,
      description: 'Idempotency key: sending the same one again in a thread returns the first message.',
      validate: z.string().min(1).max(MAX_CLIENT_MESSAGE_ID_LENGTH).nullish(),
    }),
    metadata: t.field({ type: 'JSON', required: false, validate: metadataSchema.nullish() }),
    durability: t.field({ type: WriteDurabilityEnum, required: false, defaultValue: 'FAST' }),
  }),
});

builder.mutationField('sendMessage', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: MessageRef,
    description: "Appends a message to one of the viewer's threads, at the next seq. Must be the only field of its mutation operation.",
    extensions: IMMEDIATE_WRITE,
    args: { input: t.arg({ type: SendMessageInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      // Everything that can be checked without storage is checked first: bad input changes nothing.
      const threadId = parseThreadId(input.threadId);
      const runId = input.runId == null ? null : parseRunId(input.runId);
      if (runId) assertRunInThread(runId, threadId);
      const role = input.role ?? 'USER';
      const { content, parts } = bodyOf(input, role, ctx.limits);
      return ctx.messageStore.send(
        {
          id: ids.messageId(),
          ownerId: ctx.userId,
          actor: ctx.actor,
          threadId,
          runId,
          role,
          content,
          parts,
          metadata: (input.metadata ?? {}) as Record<string, unknown>,
          clientMessageId: input.clientMessageId ?? null,
          durability: input.durability ?? 'FAST',
        },
        ctx.uow,
      );
    },
  }),
);

/** The message's text and parts from exactly one of `content` and `parts`, checked (sendMessage, editMessage). */
export function bodyOf(
  input: { content?: string | null; parts?: readonly MessagePartInput[] | null },
  role: string,
  limits: RequestLimits,
): { content: string; parts: MessagePart[] | null } {
  if ((input.content == null) === (input.parts == null)) throw new InvalidInputError('Give exactly one of content and parts');
  if (input.content != null) {
    assertContentSize(input.content, limits.maxMessageBytes);
    return { content: input.content, parts: null };
  }
  const parts = partsOfInput(input.parts!);
  assertPartsAcceptable(parts, role, limits);
  return { content: contentOfParts(parts), parts };
}
