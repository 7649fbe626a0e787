import { builder } from '../builder.js';

interface Viewer {
  id: string;
}

const ViewerRef = builder.objectRef<Viewer>('Viewer').implement({
  description: 'The authenticated caller.',
  fields: (t) => ({ id: t.exposeID('id', { description: 'The user ID (the token subject).' }) }),
});

builder.queryField('viewer', (t) =>
  t.withAuth({ authenticated: true }).field({ type: ViewerRef, resolve: (_root, _args, ctx) => ({ id: ctx.userId }) }),
);
