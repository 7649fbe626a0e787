import { subscribeToRun } from '../../realtime/thread-subscription.js';
import { eventOf, type TailItem } from '../../realtime/thread-tail.js';
import { builder } from '../builder.js';
import { RunRef } from './run.js';

builder.subscriptionField('runUpdated', (t) =>
  // Authenticated once, at subscribe, by subscribeToThread/subscribeToRun (not withAuth: see there).
  t.field({
    type: RunRef,
    description:
      "The run each time its status changes. Routed by the thread its ID names; NOT_FOUND for another user's run. " +
      'After a server-side reconnect to Redis the run is re-read, and delivered if it changed meanwhile.',
    args: { runId: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) => subscribeToRun(ctx, args.runId),
    resolve: (item: TailItem) => {
      const event = eventOf(item);
      if (event.type !== 'RunStatusChanged') throw new Error(`runUpdated received a ${event.type} event`);
      return event.run;
    },
  }),
);
