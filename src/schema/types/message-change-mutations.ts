import { parseMessageId } from '../../ids/parse-ids.js';
import { InvalidInputError } from '../../errors/domain-errors.js';
import { builder } from '../builder.js';
import { MessageRef } from './message.js';
import { MessagePartInputRef } from './message-part.js';
import { bodyOf } from './message-mutations.js';

const EditMessageInput = builder.inputType('EditMessageInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    content: t.string({ required: false, description: 'The new text, as one text part; the limits of sendMessage apply. Give either content or parts.' }),
    parts: t.field({
      type: [MessagePartInputRef],
      required: false,
      description: 'The new parts; the rules of sendMessage apply, and tool calls and results must stay exactly as they were. Give either content or parts.',
    }),
  }),
});

builder.mutationFields((t) => ({
  editMessage: t.withAuth({ authenticated: true }).field({
    type: MessageRef,
    description:
      "Replaces the content or parts of one of the viewer's completed messages with a new revision; the one replaced stays in `revisions`. " +
      'Acknowledged once Postgres has committed it. BAD_USER_INPUT for a streaming or deleted message, or one whose tool calls or results the edit changes.',
    args: { input: t.arg({ type: EditMessageInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      // Checked before anything is read: a malformed ID or body changes nothing.
      const id = parseMessageId(input.id);
      if ((input.content == null) === (input.parts == null)) throw new InvalidInputError('Give exactly one of content and parts');
      const bodyFor = (role: string) => bodyOf(input, role, ctx.limits);
      return ctx.messageStore.changeMessage(ctx.uow, ctx.userId, id, { kind: 'edit', bodyFor });
    },
  }),
  deleteMessage: t.withAuth({ authenticated: true }).field({
    type: MessageRef,
    description:
      "Deletes one of the viewer's messages, leaving a tombstone at its seq (content \"\", parts [], metadata {}, deletedAt set) and no earlier revisions, " +
      'in Redis, Postgres and the archive. Deleting a tombstone again returns it. BAD_USER_INPUT for a streaming message or one with tool calls or results.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.messageStore.changeMessage(ctx.uow, ctx.userId, parseMessageId(args.id), { kind: 'delete' }),
  }),
}));
