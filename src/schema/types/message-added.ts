import type { Message } from '../../domain/message.js';
import { subscribeToThread } from '../../realtime/thread-subscription.js';
import { eventOf, type TailItem } from '../../realtime/thread-tail.js';
import type { Durability } from '../../storage/hot-tier.js';
import { builder } from '../builder.js';
import { MessageRef } from './message.js';

export const AFTER_SEQ_DESCRIPTION =
  'Replay first every message with a greater seq (at most SUBSCRIPTION_MAX_REPLAY, default 1000), then go live, with no gap and no duplicate. ' +
  'Further back, the first event is a REPLAY_UNAVAILABLE error. Omitted: live from now.';

/** A message as a live event carries it: replayed ones know their durability, one just published is in Redis. */
export function asDelivered(message: Message & { durability?: Durability }): Message & { durability: Durability } {
  return { ...message, durability: message.durability ?? 'HOT' };
}

builder.subscriptionField('messageAdded', (t) =>
  // Authenticated once, at subscribe, by subscribeToThread/subscribeToRun (not withAuth: see there).
  t.field({
    type: MessageRef,
    description: "Each message added to one of the viewer's threads, in seq order. NOT_FOUND for another user's thread.",
    args: {
      threadId: t.arg.id({ required: true }),
      afterSeq: t.arg.int({ required: false, description: AFTER_SEQ_DESCRIPTION }),
    },
    subscribe: (_root, args, ctx) =>
      subscribeToThread(ctx, args.threadId, { afterSeq: args.afterSeq }, (event) => event.type === 'MessageAdded'),
    resolve: (item: TailItem) => {
      const event = eventOf(item);
      if (event.type !== 'MessageAdded') throw new Error(`messageAdded received a ${event.type} event`);
      return asDelivered(event.message);
    },
  }),
);
