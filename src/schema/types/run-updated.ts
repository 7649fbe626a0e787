import type { Run } from '../../domain/run.js';
import { subscribeToRun } from '../../realtime/thread-subscription.js';
import { eventOf, type TailItem } from '../../realtime/thread-tail.js';
import { builder } from '../builder.js';
import { RunRef } from './run.js';
import { AFTER_CURSOR_DESCRIPTION } from './thread-event.js';

/** A run as runUpdated delivers it: with the cursor of the change. */
type DeliveredRun = Run & { updateCursor?: string };

builder.objectField(RunRef, 'updateCursor', (t) =>
  t.string({
    nullable: true,
    description:
      "Set on the runs runUpdated delivers: this change's place among the thread's events, to pass as runUpdated's `after` to resume after it. Null elsewhere.",
    resolve: (run: DeliveredRun) => run.updateCursor ?? null,
  }),
);

builder.subscriptionField('runUpdated', (t) =>
  // Authenticated once, at subscribe, by subscribeToThread/subscribeToRun (not withAuth: see there).
  t.field({
    type: RunRef,
    description:
      "The run each time its status changes. Routed by the thread its ID names; NOT_FOUND for another user's run. " +
      'After a server-side reconnect to Redis the changes meanwhile are replayed from the thread\'s event log (or, when it cannot tell, the run is re-read and delivered if it changed).',
    args: {
      runId: t.arg.id({ required: true }),
      after: t.arg.string({
        required: false,
        description: `${AFTER_CURSOR_DESCRIPTION} Takes an updateCursor of this subscription, or a cursor of the thread's threadEvents.`,
      }),
    },
    subscribe: (_root, args, ctx) => subscribeToRun(ctx, args.runId, args.after),
    resolve: (item: TailItem): DeliveredRun => {
      const event = eventOf(item);
      if (event.type !== 'RunStatusChanged') throw new Error(`runUpdated received a ${event.type} event`);
      return { ...event.run, updateCursor: event.cursor };
    },
  }),
);
