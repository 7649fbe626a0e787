import { z } from 'zod';
import type { MessageId, ThreadId } from '../ids/id-types.js';

/** A thumbs-up (1) or thumbs-down (-1): the only scores there are. */
export const FEEDBACK_SCORES = [-1, 1] as const;
export type FeedbackScore = (typeof FEEDBACK_SCORES)[number];

/** Longest feedback comment, in characters. */
export const MAX_FEEDBACK_COMMENT_LENGTH = 2_000;

/** The owner's rating of one message; rating it again replaces it. */
export interface MessageFeedback {
  messageId: MessageId;
  threadId: ThreadId;
  score: FeedbackScore;
  comment: string | null;
  ratedAt: Date;
}

export const feedbackScoreSchema = z
  .number()
  .refine((score): score is FeedbackScore => (FEEDBACK_SCORES as readonly number[]).includes(score), 'score must be -1 or 1');

export const feedbackCommentSchema = z.string().max(MAX_FEEDBACK_COMMENT_LENGTH, `comment must be at most ${MAX_FEEDBACK_COMMENT_LENGTH} characters`);
