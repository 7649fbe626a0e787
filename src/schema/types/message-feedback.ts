import { feedbackCommentSchema, feedbackScoreSchema, MAX_FEEDBACK_COMMENT_LENGTH, type FeedbackScore, type MessageFeedback } from '../../domain/message-feedback.js';
import { parseMessageId } from '../../ids/parse-ids.js';
import { upsertMessageFeedback } from '../../repositories/message-feedback-repository.js';
import { shareLockThread } from '../../repositories/threads-repository.js';
import { InvalidInputError } from '../../errors/domain-errors.js';
import { builder } from '../builder.js';
import { MessageRef } from './message.js';

const MessageFeedbackRef = builder.objectRef<MessageFeedback>('MessageFeedback').implement({
  description: "The owner's rating of a message; rating it again replaces it.",
  fields: (t) => ({
    score: t.exposeInt('score', { description: '1 (good) or -1 (bad).' }),
    comment: t.exposeString('comment', { nullable: true }),
    ratedAt: t.expose('ratedAt', { type: 'DateTime', description: 'When the current rating was given.' }),
  }),
});

builder.objectField(MessageRef, 'feedback', (t) =>
  t.field({
    type: MessageFeedbackRef,
    nullable: true,
    description: "The owner's rating (rateMessage); null when never rated.",
    resolve: (message, _args, ctx) => ctx.loaders.feedbackOfMessage.load(message.id),
  }),
);

const RateMessageInput = builder.inputType('RateMessageInput', {
  fields: (t) => ({
    id: t.id({ required: true, description: 'The message rated: any message of the viewer, even one not yet in Postgres.' }),
    score: t.int({ required: true, description: '1 (good) or -1 (bad); anything else is BAD_USER_INPUT.', validate: feedbackScoreSchema }),
    comment: t.string({
      required: false,
      description: `Why, in at most ${MAX_FEEDBACK_COMMENT_LENGTH} characters; omitted, null or empty: no comment.`,
      validate: feedbackCommentSchema.nullish(),
    }),
  }),
});

builder.mutationField('rateMessage', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: MessageRef,
    description:
      "Rates one of the viewer's messages, replacing any earlier rating (score and comment alike). Another user's message " +
      'is NOT_FOUND and nothing changes. The rating is archived for Analytics.feedback.',
    args: { input: t.arg({ type: RateMessageInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      // Through the message store: a message acked on the fast path is found in Redis before Postgres has it.
      const message = await ctx.loaders.messageById.load(parseMessageId(input.id));
      if (message.deletedAt) throw new InvalidInputError(`Message ${message.id} is deleted; a tombstone takes no rating`, { id: message.id });
      const trx = await ctx.uow.writer();
      // The thread first, as every writer locks it: a deleteThread under way is waited for (the
      // thread is then gone: NOT_FOUND), instead of each holding a lock the other needs.
      await shareLockThread(trx, ctx.userId, message.threadId);
      const feedback = await upsertMessageFeedback(trx, {
        messageId: message.id,
        threadId: message.threadId,
        score: input.score as FeedbackScore,
        comment: input.comment || null,
      });
      await ctx.messageStore.recordFeedback(ctx.uow, feedback, ctx.userId);
      ctx.loaders.feedbackOfMessage.prime(message.id, feedback);
      return message;
    },
  }),
);
