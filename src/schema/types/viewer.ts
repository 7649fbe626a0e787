import { countUnreadThreads } from '../../storage/read-state.js';
import { builder } from '../builder.js';

interface Viewer {
  id: string;
}

const ViewerRef = builder.objectRef<Viewer>('Viewer').implement({
  description: 'The authenticated caller.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The user ID (the token subject).' }),
    unreadThreadCount: t.int({
      description: "How many of the viewer's ACTIVE threads have unread messages (unreadCount > 0); archived threads are not counted.",
      resolve: (viewer, _args, ctx) => countUnreadThreads(ctx.uow, ctx.messageStore, viewer.id),
    }),
  }),
});

builder.queryField('viewer', (t) =>
  t.withAuth({ authenticated: true }).field({ type: ViewerRef, resolve: (_root, _args, ctx) => ({ id: ctx.userId }) }),
);
