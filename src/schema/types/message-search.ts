import { z } from 'zod';
import { InvalidInputError } from '../../errors/domain-errors.js';
import { isSearchableQuery, searchMessagesOfOwner, type MessageSearchHit } from '../../repositories/message-search-repository.js';
import { builder } from '../builder.js';
import { requireAuthenticated } from '../../context/execution-context.js';
import { parseTimeCursor, timeCursor } from '../pagination/cursors.js';
import { resolvePage } from '../pagination/resolve-page.js';
import { MessageConnection, MessageRef } from './message.js';

/** Longest search query, in characters. */
export const MAX_SEARCH_QUERY_LENGTH = 200;
/** Longest a search waits for messages acked just before it to reach Postgres, ms. */
const PERSISTED_WAIT_MS = 2_000;
/** Search cursors are their own kind: a cursor of a thread's messages is no position here. */
const CURSOR_KIND = 'search';

builder.queryField('searchMessages', (t) =>
  // authScopes, not withAuth: the shared MessageConnection is typed for the plain context.
  t.connection(
    {
      type: MessageRef,
      authScopes: { authenticated: true },
      description:
        "The viewer's messages whose content matches `query` (words, \"phrases\", -excluded, or), newest first, each edge with a snippet. " +
        'Full-text search over Postgres; includes every message acked before the search.',
      args: {
        query: t.arg.string({
          required: true,
          validate: z.string().trim().min(1, 'query must not be empty').max(MAX_SEARCH_QUERY_LENGTH, `query must be at most ${MAX_SEARCH_QUERY_LENGTH} characters`),
        }),
      },
      resolve: async (_root, args, context) => {
        const ctx = requireAuthenticated(context);
        const db = ctx.uow.reader;
        if (!(await isSearchableQuery(db, args.query))) throw new InvalidInputError('query must contain a word to search for');
        // Read-your-writes: a FAST send acked a moment ago is still on its way to Postgres.
        await ctx.messageStore.awaitPersisted(PERSISTED_WAIT_MS);
        return resolvePage(
          args,
          { toCursor: (hit: MessageSearchHit) => timeCursor(hit.createdAt, hit.id, CURSOR_KIND), parse: (cursor) => parseTimeCursor(cursor, CURSOR_KIND) },
          (window) => searchMessagesOfOwner(db, ctx.userId, args.query, window),
        );
      },
    },
    MessageConnection,
  ),
);
